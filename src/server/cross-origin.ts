/**
 * Cross-site request refusal for the HTTP API's state-changing routes. A web page in an
 * operator's browser may send a "simple" POST (text/plain, no preflight) to any address the
 * browser reaches, and the API would apply it: a write, a compare-and-set, a member added, a
 * leadership transfer (found in a user trial). Browsers say where a request comes from, and
 * other clients (curl, the benchmarks, scripts) say nothing, so a request is refused only when
 * its browser tells it came from another site: `Sec-Fetch-Site` when sent (every current
 * browser), else an `Origin` whose host is not the request's `Host`. The same rule as Go's
 * net/http CrossOriginProtection (1.25).
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Methods that change nothing: never refused (the dashboards of other members read /status). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why a request must be refused as cross-site (the message of its 403), or undefined when it
 * may go on: a safe method, a client that is not a browser, or a page of this same node.
 */
export function crossSiteRefusal(method: string, headers: IncomingHttpHeaders): string | undefined {
  if (SAFE_METHODS.has(method)) return undefined;
  const site = headers['sec-fetch-site'];
  if (site !== undefined) {
    // "none": typed in the address bar or a bookmark; "same-origin": this node's own page.
    if (site === 'same-origin' || site === 'none') return undefined;
    return `a ${method} from a web page of another site is refused (Sec-Fetch-Site: ${site}): send it from a client that is not a browser, or from this node's own page`;
  }
  const origin = headers.origin;
  if (origin === undefined) return undefined; // not a browser (or an old one that sends neither)
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined; // "null": a sandboxed frame or a file:// page
  }
  if (host !== undefined && host === headers.host) return undefined;
  return `a ${method} from a web page of another origin (${origin}) is refused: send it from a client that is not a browser, or from this node's own page`;
}
