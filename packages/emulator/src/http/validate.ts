import { checkUserId } from '@clawlink/usersig';
import { badRequest } from './http-error.js';

/**
 * Hand-written request validation: small checks that compose into an object shape. A check
 * returns the typed value or throws a 400 naming the field, what it must be and what it got
 * (the kind of value only, never the value: it may be a secret).
 */

/** Checks one value found at `path` (e.g. `content.text`) and returns it typed. */
export type Check<T> = (value: unknown, path: string) => T;

/** A check whose field may be absent. */
export interface OptionalCheck<T> extends Check<T | undefined> {
  readonly optional: true;
}

type Shape = Record<string, Check<unknown>>;
type RequiredKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends OptionalCheck<unknown> ? never : K;
}[keyof S];
type OptionalKeys<S extends Shape> = Exclude<keyof S, RequiredKeys<S>>;
type Checked<C> = C extends Check<infer T> ? T : never;

/** The value an {@link object} check returns for `S`. */
export type ShapeOf<S extends Shape> = { [K in RequiredKeys<S>]: Checked<S[K]> } & {
  [K in OptionalKeys<S>]?: Exclude<Checked<S[K]>, undefined>;
};

/** Names the kind of a JSON value for error messages. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length === 0 ? 'an empty string' : 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function fail(path: string, expected: string, value: unknown): never {
  throw badRequest(`${path} must be ${expected} (got ${kindOf(value)})`);
}

/** A string; non-empty unless `allowEmpty`, at most `maxLength` characters when given. */
export function string(options: { allowEmpty?: boolean; maxLength?: number } = {}): Check<string> {
  const expected = options.allowEmpty ? 'a string' : 'a non-empty string';
  return (value, path) => {
    if (typeof value !== 'string' || (!options.allowEmpty && value.length === 0)) {
      fail(path, expected, value);
    }
    if (options.maxLength !== undefined && value.length > options.maxLength) {
      throw badRequest(`${path} must be at most ${options.maxLength} characters`);
    }
    return value;
  };
}

/** A TIM UserID: non-empty, at most 32 UTF-8 bytes, no spaces, no reserved prefix. */
export function userId(): Check<string> {
  return (value, path) => {
    if (typeof value !== 'string') fail(path, 'a TIM UserID string', value);
    const problem = checkUserId(value);
    if (problem) throw badRequest(`${path} is not a valid UserID: ${problem}`);
    return value;
  };
}

/** An integer within `[min, max]`. */
export function integer(options: { min?: number; max?: number } = {}): Check<number> {
  const min = options.min ?? Number.MIN_SAFE_INTEGER;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const expected = `an integer from ${min} to ${max}`;
  return (value, path) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      fail(path, expected, value);
    }
    return value;
  };
}

/** One of the listed strings. */
export function oneOf<const T extends string>(values: readonly T[]): Check<T> {
  const expected = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return (value, path) => {
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
      fail(path, expected, value);
    }
    return value as T;
  };
}

/** An array whose items each pass `item`; non-empty unless `allowEmpty`. */
export function arrayOf<T>(item: Check<T>, options: { allowEmpty?: boolean } = {}): Check<T[]> {
  return (value, path) => {
    if (!Array.isArray(value) || (!options.allowEmpty && value.length === 0)) {
      fail(path, options.allowEmpty ? 'an array' : 'a non-empty array', value);
    }
    return value.map((entry, index) => item(entry, `${path}[${index}]`));
  };
}

/** An object used as a map: any keys, every value passing `entry`. */
export function recordOf<T>(entry: Check<T>): Check<Record<string, T>> {
  return (value, path) => {
    if (!isPlainObject(value)) fail(path, 'an object', value);
    const out: Record<string, T> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = entry(item, `${path}.${key}`);
    }
    return out;
  };
}

/** Marks a field of an {@link object} shape as optional: absent (or `undefined`) is accepted. */
export function optional<T>(check: Check<T>): OptionalCheck<T> {
  const wrapped = ((value: unknown, path: string) =>
    value === undefined ? undefined : check(value, path)) as OptionalCheck<T>;
  Object.defineProperty(wrapped, 'optional', { value: true });
  return wrapped;
}

/**
 * An object with exactly the fields of `shape`: a missing required field or an unknown one is
 * a 400 that lists the fields to send.
 */
export function object<S extends Shape>(shape: S): Check<ShapeOf<S>> {
  const keys = Object.keys(shape);
  const listing = keys
    .map((key) => ((shape[key] as Partial<OptionalCheck<unknown>>).optional ? `${key}?` : key))
    .join(', ');
  return (value, path) => {
    const where = path === '' ? 'the body' : path;
    if (!isPlainObject(value)) {
      fail(where, `a JSON object with the fields {${listing}}`, value);
    }
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(shape, key)) {
        throw badRequest(`${join(path, key)} is not a known field; send only {${listing}}`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const check = shape[key] as Check<unknown>;
      const field = value[key];
      if (field === undefined && !(check as Partial<OptionalCheck<unknown>>).optional) {
        throw badRequest(`${join(path, key)} is missing; send {${listing}}`);
      }
      const checked = check(field, join(path, key));
      if (checked !== undefined) out[key] = checked;
    }
    return out as ShapeOf<S>;
  };
}

/** Either of two object shapes, told apart by which of their discriminating keys is present. */
export function either<A, B>(
  first: { key: string; check: Check<A> },
  second: { key: string; check: Check<B> },
): Check<A | B> {
  return (value, path) => {
    if (isPlainObject(value)) {
      if (Object.hasOwn(value, first.key)) return first.check(value, path);
      if (Object.hasOwn(value, second.key)) return second.check(value, path);
    }
    return fail(
      path === '' ? 'the body' : path,
      `an object with either "${first.key}" or "${second.key}"`,
      value,
    );
  };
}

/** Validates a request body against `check`; an empty body (`undefined`) reads as `{}`. */
export function parseBody<T>(body: unknown, check: Check<T>): T {
  return check(body === undefined ? {} : body, '');
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
