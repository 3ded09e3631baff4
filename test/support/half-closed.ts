/**
 * A client that shuts down its sending side right after its request (like `nc -q1`).
 * @module
 */
import { connect } from 'node:net';

/**
 * Writes `request` to the HTTP server at `url` on a new connection and half-closes it at once;
 * resolves with everything the server sent and how long after the request it closed the socket.
 */
export function halfClosedRequest(url: string, request: string): Promise<{ response: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let response = '';
    const socket = connect(Number(port), hostname, () => {
      socket.write(request);
      socket.end();
    });
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (response += d));
    socket.on('error', reject);
    socket.on('close', () => resolve({ response, closedAfterMs: Date.now() - started }));
    socket.setTimeout(20_000, () => socket.destroy(new Error(`no close within 20 s; got ${JSON.stringify(response)}`)));
  });
}
