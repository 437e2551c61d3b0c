import type { OpenClawConfig, PluginRuntime } from 'openclaw/plugin-sdk/channel-core';

/** Shared by every copy of this module in the process (OpenClaw may load the plugin twice). */
const KEY = Symbol.for('clawlink.openclaw.pluginRuntime');

type Holder = { [KEY]?: PluginRuntime };

/** Keeps the runtime OpenClaw hands the plugin at registration (`setRuntime`). */
export function setPluginRuntime(runtime: PluginRuntime): void {
  (globalThis as Holder)[KEY] = runtime;
}

/** The runtime OpenClaw gave the plugin, if it was registered in this process. */
export function pluginRuntime(): PluginRuntime | undefined {
  return (globalThis as Holder)[KEY];
}

/** OpenClaw's live config (`runtime.config.current()`), else `fallback` (a start-time snapshot). */
export function currentConfig(fallback: OpenClawConfig): OpenClawConfig {
  return (pluginRuntime()?.config.current() as OpenClawConfig | undefined) ?? fallback;
}
