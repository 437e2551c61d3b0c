import {
  createToolSpecs,
  type ToolRuntime,
  type ToolSelection,
  type ToolSpec,
} from '@clawlink/core';
import { ToolMessage } from '@langchain/core/messages';
import { DynamicStructuredTool, type ToolRunnableConfig } from '@langchain/core/tools';
import type { InteropZodObject } from '@langchain/core/utils/types';

/**
 * Which tools {@link createClawlinkTools} returns: core's selection (`include`, `exclude` by
 * name; `readOnly` for only the tools that change nothing).
 */
export type ClawlinkToolsOptions = ToolSelection;

/**
 * A clawlink tool as LangChain sees it. Invoked with plain arguments it returns the result as
 * a JSON string; invoked with a tool call it returns a `ToolMessage` whose `content` is that
 * JSON and whose `artifact` is the result object. A failure is a result too,
 * `{"error": {"code", "message"}}` (input that does not fit the schema included: code
 * `INVALID_ARGUMENT`, every wrong field named), so the model reads what went wrong and what
 * to do; the tool never throws.
 */
export type ClawlinkTool = DynamicStructuredTool;

/**
 * LangChain tools over one account, built from `@clawlink/core`'s tool specs: the same names,
 * descriptions and zod input schemas, so every host offers the same tools. Give them to
 * `createAgent({model, tools})` or `model.bindTools(tools)`.
 *
 * @throws ClawlinkError `INVALID_ARGUMENT` when `include` or `exclude` names no tool.
 */
export function createClawlinkTools(
  runtime: ToolRuntime,
  options: ClawlinkToolsOptions = {},
): ClawlinkTool[] {
  return createToolSpecs(runtime, options).map((spec) => new SpecTool(spec));
}

/** One core tool spec as a LangChain tool; the call's abort signal reaches the spec's run. */
class SpecTool extends DynamicStructuredTool {
  readonly #spec: ToolSpec;

  constructor(spec: ToolSpec) {
    super({
      name: spec.name,
      description: spec.description,
      // Every core spec's input is a zod 4 object schema; LangChain takes zod 4 as it is.
      schema: spec.input as unknown as InteropZodObject,
      responseFormat: 'content_and_artifact',
      func: async (input, _runManager, config) => {
        const result = await spec.run(input, config?.signal ? { signal: config.signal } : {});
        return [JSON.stringify(result), result];
      },
    });
    this.#spec = spec;
  }

  /**
   * LangChain refuses input that does not fit the schema with a thrown exception (which an
   * agent turns into a stack trace for the model). Here it is the spec's own result instead:
   * `INVALID_ARGUMENT` with every wrong field named, like every other failure.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the override keeps LangChain's generic signature.
  override async call(arg: any, configArg?: any, tags?: string[]): Promise<any> {
    const toolCall = isToolCall(arg) ? arg : undefined;
    const input = toolCall ? toolCall.args : arg;
    if (this.#spec.input.safeParse(input ?? {}).success) return super.call(arg, configArg, tags);
    const result = await this.#spec.run(input);
    const content = JSON.stringify(result);
    const callId = toolCall?.id ?? (configArg as ToolRunnableConfig | undefined)?.toolCall?.id;
    if (callId === undefined) return content;
    return new ToolMessage({
      content,
      artifact: result,
      tool_call_id: callId,
      name: this.name,
      status: 'error',
    });
  }
}

function isToolCall(value: unknown): value is { type: 'tool_call'; id?: string; args: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'tool_call' &&
    'args' in value
  );
}
