import { createServer } from 'node:net';

/**
 * Every port this process has handed out. The OS may give a port that was bound and closed a
 * moment ago to the next listen(0), so a caller that asks for several ports before binding any of
 * them (a cluster: every peer port, then every HTTP port) could get one port twice and a node
 * would fail with EADDRINUSE. Remembering them makes that impossible within one process.
 */
const handedOut = new Set<number>();

/** Ask the OS for a free loopback port once (bind port 0, read the port, close). */
function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('the OS gave no port for listen(0)'))));
    });
  });
}

/**
 * A loopback port that was free a moment ago and that no earlier call in this process returned,
 * for a server that must be addressed before it starts. (Another process may still take it.)
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = await probePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no fresh loopback port after 1000 tries (${handedOut.size} handed out already)`);
}
