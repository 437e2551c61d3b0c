/** A gate a test task waits on until it is opened. */
export interface Gate {
  open(): void;
  readonly opened: Promise<void>;
}

/** Named gates, and the test tasks that fail, hang or wait on one of them. */
export interface Gates {
  /** The gate named `name`: the same gate each time, created closed on first use. */
  gate(name: string): Gate;
  /** Opens every gate made so far. */
  openAll(): void;
  /**
   * Runs one of the tasks agent-request tests send: `throw` fails, `hang` runs until `signal`
   * aborts, `wait:<name>` resolves with `<name>` once that gate opens; any other task fails.
   */
  blockingTask(task: string, signal: AbortSignal): Promise<string>;
}

/** Named gates for test tasks (test support, not part of the package's API). */
export function createGates(): Gates {
  const gates = new Map<string, Gate>();
  const gate = (name: string): Gate => {
    let entry = gates.get(name);
    if (!entry) {
      let open = () => {};
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      entry = { open, opened };
      gates.set(name, entry);
    }
    return entry;
  };
  return {
    gate,
    openAll() {
      for (const entry of gates.values()) entry.open();
    },
    async blockingTask(task, signal) {
      if (task === 'throw') throw new Error('the deploy script exited with code 3');
      if (task === 'hang') {
        return new Promise<string>((_, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      }
      if (task.startsWith('wait:')) {
        const name = task.slice(5);
        await gate(name).opened;
        return name;
      }
      throw new Error(`unknown test task ${task}`);
    },
  };
}
