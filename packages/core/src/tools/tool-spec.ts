import type { z } from 'zod';

/** A failure as a tool returns it: the `ClawlinkError` code and its "what to do" message. */
export interface ToolError {
  readonly error: { readonly code: string; readonly message: string };
}

/** What a tool's `run` resolves with: a compact JSON-able value, or a {@link ToolError}. */
export type ToolResult = Record<string, unknown> | ToolError;

/** What a host passes to {@link ToolSpec.run} besides the input. */
export interface ToolRunOptions {
  /** Aborts the tool's wait (e.g. for an agent request) when the host gives up. */
  readonly signal?: AbortSignal;
}

/**
 * One host-agnostic tool over an account: adapters translate it (LangChain `tool()`, OpenClaw
 * agent tools, ...) and never redefine it.
 */
export interface ToolSpec<Input = unknown> {
  /** The tool's name, `clawlink_<verb>_<thing>`. */
  readonly name: string;
  /** Written for a model: when to use it, what each argument means, what comes back, limits. */
  readonly description: string;
  /** The input schema; bad input is refused by `run` with the field named. */
  readonly input: z.ZodType<Input>;
  /** True when the tool changes something (joins, leaves, creates, sends, asks another agent). */
  readonly mutates: boolean;
  /**
   * Validates `input` and runs the tool. Never rejects: every failure resolves as a
   * {@link ToolError}.
   */
  run(input: unknown, options?: ToolRunOptions): Promise<ToolResult>;
}

/** Whether a tool result is a failure. */
export function isToolError(result: ToolResult): result is ToolError {
  const error = (result as { error?: unknown }).error;
  return typeof error === 'object' && error !== null && 'code' in error && 'message' in error;
}
