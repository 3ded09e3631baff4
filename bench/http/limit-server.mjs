// The machine's limit for the HTTP benchmark: a plain Node HTTP server doing the same PUT and GET
// as raft-node's API into a Map, with no consensus, no disk and no forwarding.
import { createServer } from 'node:http';

const map = new Map();
const port = Number(process.argv[2]);
createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const key = req.url.slice(4).split('?')[0]; // "/kv/" + key
  if (req.method === 'PUT') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      map.set(key, Buffer.concat(chunks));
      const body = `{"index":${map.size}}`;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(body);
    });
  } else {
    const value = map.get(key);
    if (value === undefined) {
      res.writeHead(404, { 'Content-Type': 'application/json', 'Content-Length': 25 });
      res.end('{"error":"key not found"}');
    } else {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': value.length });
      res.end(value);
    }
  }
}).listen(port, '127.0.0.1');
