import { TIM_CODES, TimCodeError } from './protocol/tim-codes.js';
import type { FaultSpec } from './types.js';

/** A fault that fired for one request. */
export interface FiredFault {
  errorCode?: number;
  errorInfo: string;
  delayMs: number;
}

/** Faults injected on demand; each matching request uses one up. */
export type FaultRegistry = ReturnType<typeof createFaultRegistry>;

/** Creates an empty fault registry. */
export function createFaultRegistry() {
  let faults: (FaultSpec & { remaining: number })[] = [];

  return {
    /** Adds a fault; it needs a command and an errorCode or a delayMs. */
    add(fault: FaultSpec): void {
      if (typeof fault.command !== 'string' || fault.command === '') {
        throw new TimCodeError(
          TIM_CODES.INVALID_PARAMETERS,
          'a fault needs a command (a servcmd such as group_open_http_svc.send_group_msg)',
        );
      }
      if (fault.errorCode === undefined && fault.delayMs === undefined) {
        throw new TimCodeError(
          TIM_CODES.INVALID_PARAMETERS,
          `the fault for ${fault.command} needs an errorCode, a delayMs or both`,
        );
      }
      const times = fault.times ?? 1;
      if (!Number.isInteger(times) || times < 1) {
        throw new TimCodeError(TIM_CODES.INVALID_PARAMETERS, 'a fault needs times >= 1');
      }
      faults.push({ ...fault, remaining: times });
    },

    clear(): void {
      faults = [];
    },

    /** The first fault matching this request, used up by one; undefined when none. */
    take(command: string, userId: string | undefined): FiredFault | undefined {
      const fault = faults.find(
        (f) => f.command === command && (f.userId === undefined || f.userId === userId),
      );
      if (!fault) return undefined;
      fault.remaining -= 1;
      if (fault.remaining <= 0) faults = faults.filter((f) => f !== fault);
      return {
        ...(fault.errorCode !== undefined ? { errorCode: fault.errorCode } : {}),
        errorInfo: fault.errorInfo ?? `injected fault on ${command}`,
        delayMs: fault.delayMs ?? 0,
      };
    },
  };
}
