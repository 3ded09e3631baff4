/**
 * The HTTP API's routes: a table of (method, path pattern) -> handler, and the route lookup that
 * tells "unknown route" (404) from "known route, wrong method" (405 with Allow).
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { shownName } from './body.js';
import { HttpError } from './http-errors.js';

/** What a handler answers: a status and a body (an object is sent as JSON, a Buffer/string as is). */
export interface Answer {
  status: number;
  body: Record<string, unknown> | Buffer | string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** The route's path parameter (the decoded key or address), and the query. */
export interface RouteParams {
  param: string;
  query: URLSearchParams;
}

/** A route: `pattern` is a path with at most one `{param}` segment, e.g. `/kv/{key}/cas`. */
export interface Route<Ctx> {
  method: string;
  pattern: string;
  /** "METHOD pattern", e.g. "PUT /kv/{key}" (metrics label); filled in by the router. */
  name?: string;
  /** Which /status request count a 2xx answer adds to, if any. */
  kind?: 'reads' | 'writes';
  /**
   * The query parameters it takes (none if left out; any other is a 400 naming it), or `'any'` for
   * a read-only route that ignores its query: /status, /metrics and the dashboard, which uptime
   * checkers, Prometheus scrape `params` and cache-busting browsers call with queries of their own.
   */
  query?: readonly string[] | 'any';
  handler: (ctx: Ctx, params: RouteParams, req: IncomingMessage) => Promise<Answer> | Answer;
}

interface Compiled<Ctx> {
  parts: string[];
  /** Position of the `{param}` part, or -1. */
  paramAt: number;
  routes: Array<Route<Ctx> & { name: string }>;
}

/** Longest key accepted, in bytes of its UTF-8 form. */
export const MAX_KEY_BYTES = 4096;

/** Decodes one URL-encoded path segment; 400 for a malformed, empty or oversized one. */
function decodeSegment(raw: string, what: string): string {
  if (raw === '') throw new HttpError(400, `empty ${what}`);
  // The common short key without escapes: nothing to decode, and at most 3 UTF-8 bytes per
  // UTF-16 unit bounds its size without measuring it.
  if (raw.length * 3 <= MAX_KEY_BYTES && !raw.includes('%')) return raw;
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `malformed ${what}: ${JSON.stringify(raw)} is not valid URL encoding`);
  }
  if (value === '') throw new HttpError(400, `empty ${what}`);
  if (Buffer.byteLength(value) > MAX_KEY_BYTES) throw new HttpError(400, `${what} longer than ${MAX_KEY_BYTES} bytes`);
  return value;
}

/** A router over a fixed route table. */
export class Router<Ctx> {
  private readonly table: Compiled<Ctx>[] = [];

  constructor(routes: readonly Route<Ctx>[]) {
    for (const route of routes) {
      const named = Object.assign(route, { name: `${route.method} ${route.pattern}` });
      const parts = route.pattern.split('/').slice(1);
      const existing = this.table.find((c) => c.parts.join('/') === parts.join('/'));
      if (existing) existing.routes.push(named);
      else this.table.push({ parts, paramAt: parts.findIndex((part) => part.startsWith('{')), routes: [named] });
    }
  }

  /**
   * Finds the handler for `method` and `pathname` (still URL-encoded). HEAD runs a GET route
   * (node:http sends its headers without the body). Throws 404 for an unknown path and 405 (with
   * `Allow`) for a known path with another method.
   */
  match(method: string, pathname: string): { route: Route<Ctx> & { name: string }; param: string } {
    const wanted = method === 'HEAD' ? 'GET' : method;
    const segments = pathname.split('/');
    // segments[0] is the empty string before the leading slash; parts have no such entry.
    for (const compiled of this.table) {
      const { parts, paramAt } = compiled;
      if (parts.length !== segments.length - 1) continue;
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) ok = i === paramAt || parts[i] === segments[i + 1];
      if (!ok) continue;
      for (const route of compiled.routes) {
        if (route.method !== wanted) continue;
        return { route, param: paramAt < 0 ? '' : decodeSegment(segments[paramAt + 1]!, parts[paramAt]!.slice(1, -1)) };
      }
      const allow = compiled.routes.flatMap((r) => (r.method === 'GET' ? ['GET', 'HEAD'] : [r.method])).join(', ');
      throw new HttpError(405, `method ${method} not allowed on ${parts.length ? '/' + parts.join('/') : '/'}; allowed: ${allow}`, {}, { Allow: allow });
    }
    throw new HttpError(404, `no route ${pathname}`);
  }
}

/**
 * Refuses a query parameter `route` does not take (400 naming it): a misspelt one was ignored, so
 * `?consistancy=local` read at the default consistency and said nothing (found in a README
 * walkthrough), as a misspelt JSON field did before it was refused too.
 */
export function checkQuery(route: Pick<Route<unknown>, 'query'> & { name: string }, query: URLSearchParams): void {
  if (query.size === 0 || route.query === 'any') return;
  const known = route.query ?? [];
  for (const name of query.keys()) {
    if (!known.includes(name)) {
      throw new HttpError(400, `unknown query parameter ${shownName(name)} (${route.name} takes ${known.length ? known.join(', ') : 'none'})`);
    }
  }
}
