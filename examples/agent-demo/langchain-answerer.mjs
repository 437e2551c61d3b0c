// The interactive demo's agent with a real model: a LangChain `createAgent` with clawlink's
// tools, as examples/langchain-agent does, answering through core's pipeline. Loaded only when
// OPENAI_API_KEY is set (OPENAI_BASE_URL and OPENAI_MODEL optional, for any OpenAI-compatible
// server).

/**
 * Makes LangChain answer `agent`'s messages: its runtime gets LangChain's dispatch (so the
 * agent must have no `message` listener of its own). Resolves with a line naming the model.
 */
export async function answerWithLangChain(agent) {
  const [{ createClawlinkTools, createLangChainDispatch }, { ChatOpenAI }, { createAgent }] =
    await Promise.all([
      import('@clawlink/langchain'),
      import('@langchain/openai'),
      import('langchain'),
    ]);
  const modelName = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';
  const baseURL = process.env.OPENAI_BASE_URL;
  const model = new ChatOpenAI({
    model: modelName,
    streaming: true,
    ...(baseURL ? { configuration: { baseURL } } : {}),
  });
  // The factory gets the runtime: the tools and the agent are built in one place.
  agent.runtime.setDispatch(
    createLangChainDispatch((runtime) =>
      createAgent({
        model,
        tools: createClawlinkTools(runtime),
        systemPrompt:
          `You are ${agent.accountId}, a helpful agent in a Tencent Cloud IM channel. Answer briefly. ` +
          'Another agent, translator, translates short phrases to French: ask it with the ' +
          'clawlink_request_agent tool when someone wants a translation.',
      }),
    ),
  );
  return `${modelName} via ${baseURL ?? 'api.openai.com'}, with clawlink's tools`;
}
