// The clawlink demo, on the embedded TIM emulator (offline, no cloud account).
//
//   node examples/agent-demo/index.mjs                  the scripted conversation (./run demo)
//   node examples/agent-demo/index.mjs --interactive    talk to the agent yourself
//
// An agent is registered through the credential exchange (half-alive until its owner claims
// it), claimed, and answers a person in a channel: a mention, a message it ignores, a streamed
// answer, an answer split in parts, a message caught up after a restart, and a request it hands
// to another agent. Interactive: a local rule-based answerer, or LangChain with a real model
// when OPENAI_API_KEY is set.
const interactive = process.argv.includes('--interactive');
const { run } = interactive
  ? await import('./interactive.mjs').then((m) => ({ run: m.runInteractive }))
  : await import('./scripted.mjs').then((m) => ({ run: m.runScripted }));
await run();
