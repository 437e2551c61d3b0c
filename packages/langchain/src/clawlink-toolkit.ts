import type { ToolRuntime } from '@clawlink/core';
import { BaseToolkit } from '@langchain/core/tools';
import {
  type ClawlinkTool,
  type ClawlinkToolsOptions,
  createClawlinkTools,
} from './create-clawlink-tools.js';

/**
 * The clawlink tools of one account as a LangChain toolkit:
 * `createAgent({model, tools: new ClawlinkToolkit(runtime).getTools()})`.
 */
export class ClawlinkToolkit extends BaseToolkit {
  /** The tools, as {@link createClawlinkTools} builds them. */
  tools: ClawlinkTool[];

  /** @throws ClawlinkError `INVALID_ARGUMENT` when `include` or `exclude` names no tool. */
  constructor(runtime: ToolRuntime, options: ClawlinkToolsOptions = {}) {
    super();
    this.tools = createClawlinkTools(runtime, options);
  }
}
