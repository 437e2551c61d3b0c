// @clawlink/langchain: clawlink for LangChain 1.x. Tools over an account for LangChain agents,
// and a dispatch that answers TIM messages with a LangChain agent or Runnable.

export { ClawlinkToolkit } from './clawlink-toolkit.js';
export {
  type ClawlinkTool,
  type ClawlinkToolsOptions,
  createClawlinkTools,
} from './create-clawlink-tools.js';
export {
  createLangChainDispatch,
  DEFAULT_HISTORY_COUNT,
  type LangChainAnswerer,
  type LangChainAnswererFactory,
  type LangChainDispatchOptions,
  type MessagesAgent,
} from './create-langchain-dispatch.js';
