import { ClawlinkError, markerFor } from './clawlink-error.js';

const MARKER = markerFor('ConfigError');

/** One problem found in a configuration object. */
export interface ConfigIssue {
  /** Where the problem is, e.g. `credentials.apiKey` or `groups.policy`. */
  path: string;
  /** What is wrong and what to write instead. */
  message: string;
}

/** A configuration or options object was refused; `issues` lists every problem at once. */
export class ConfigError extends ClawlinkError {
  readonly issues: readonly ConfigIssue[];
  /** @internal */
  readonly [MARKER] = true;

  /** Builds the error from what was refused (`subject`) and every problem found. */
  constructor(subject: string, issues: readonly ConfigIssue[]) {
    const lines = issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n');
    super('CONFIG_INVALID', `Invalid ${subject}:\n${lines}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }

  /** True for a `ConfigError`, whichever copy of the package created it. */
  static override isInstance(error: unknown): error is ConfigError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}
