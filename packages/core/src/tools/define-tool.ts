import type { z } from 'zod';
import { ClawlinkError } from '../errors/clawlink-error.js';
import type { ToolError, ToolResult, ToolRunOptions, ToolSpec } from './tool-spec.js';

/** What {@link defineTool} builds a {@link ToolSpec} from. */
export interface ToolDefinition<Input> {
  name: string;
  description: string;
  input: z.ZodType<Input>;
  mutates: boolean;
  /** The tool's work on valid input; a thrown error becomes a {@link ToolError}. */
  execute(input: Input, options: ToolRunOptions): Promise<Record<string, unknown>>;
}

/**
 * Builds a tool whose `run` validates its input (refusing bad input with every field named)
 * and turns every failure into a model-readable {@link ToolError}, never a thrown stack; a run
 * the host cancelled through its `signal` is `STOPPED`, saying so.
 */
export function defineTool<Input>(definition: ToolDefinition<Input>): ToolSpec<Input> {
  const { name, description, input, mutates, execute } = definition;
  return {
    name,
    description,
    input,
    mutates,
    async run(raw: unknown, options: ToolRunOptions = {}): Promise<ToolResult> {
      const parsed = input.safeParse(raw ?? {});
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) =>
          issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
        );
        return toolError('INVALID_ARGUMENT', `Invalid input for ${name}: ${problems.join('; ')}.`);
      }
      try {
        return await execute(parsed.data, options);
      } catch (error) {
        const { signal } = options;
        if (signal?.aborted && (error === signal.reason || isAbortError(error))) {
          return toolError(
            'STOPPED',
            `${name} was cancelled by the host: ${reasonOf(signal.reason)}. Do not retry unless asked to.`,
          );
        }
        return toToolError(error);
      }
    },
  };
}

/** A failure as a tool result. */
export function toolError(code: string, message: string): ToolError {
  return { error: { code, message } };
}

/** Any thrown value as a tool result: a `ClawlinkError` keeps its code and message. */
function toToolError(error: unknown): ToolError {
  if (ClawlinkError.isInstance(error)) return toolError(error.code, error.message);
  const message = error instanceof Error ? error.message : String(error);
  return toolError('INTERNAL', `The tool failed unexpectedly: ${message}`);
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** A signal's reason as text: its message, or that no reason was given. */
function reasonOf(reason: unknown): string {
  if (reason instanceof Error) {
    return reason.name === 'AbortError' ? 'no reason given' : reason.message;
  }
  return typeof reason === 'string' && reason !== '' ? reason : 'no reason given';
}
