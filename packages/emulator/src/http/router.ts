import { badRequest } from './http-error.js';

/** HTTP methods the API routes on. */
export type Method = 'GET' | 'POST' | 'DELETE';

/** One route: a method and a path pattern whose `:name` segments become params. */
export interface Route<H> {
  method: Method;
  /** e.g. `/admin/groups/:groupId/members`. */
  pattern: string;
  handler: H;
}

/** Where a request lands: a route with its decoded params, or why none matched. */
export type RouteMatch<H> =
  | { kind: 'found'; route: Route<H>; params: Record<string, string> }
  | { kind: 'not-found' }
  | { kind: 'method-not-allowed'; allow: Method[] };

/** A path router over a fixed route table; the first route whose pattern and method match wins. */
export interface Router<H> {
  match(method: string, pathname: string): RouteMatch<H>;
}

/** Builds a {@link Router} from `routes`. */
export function createRouter<H>(routes: readonly Route<H>[]): Router<H> {
  const compiled = routes.map((route) => ({ route, segments: split(route.pattern) }));
  return {
    match(method, pathname) {
      const segments = split(pathname);
      const allow: Method[] = [];
      for (const { route, segments: pattern } of compiled) {
        const params = matchSegments(pattern, segments);
        if (!params) continue;
        if (route.method === method) return { kind: 'found', route, params };
        if (!allow.includes(route.method)) allow.push(route.method);
      }
      return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
    },
  };
}

function split(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function matchSegments(pattern: string[], path: string[]): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    const actual = path[index] as string;
    if (part.startsWith(':')) {
      params[part.slice(1)] = decode(actual);
    } else if (part !== actual) {
      return undefined;
    }
  }
  return params;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`the path segment "${segment}" is not valid percent-encoding`);
  }
}
