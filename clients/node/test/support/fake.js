// Stand-ins for a dpopd that fails: each answers every call the same broken way, or records
// what it was sent and answers a canned object.
import { createServer } from 'node:http';

/** `mode`: 'http500', 'garbage', 'silent' (never answers), or a function (body) => object. */
export function startFake(mode) {
  const received = [];
  const sockets = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ path: req.url, headers: req.headers, body: body ? JSON.parse(body) : undefined });
      if (mode === 'silent') return;
      if (mode === 'http500')
        return res
          .writeHead(500, { 'Content-Type': 'application/json' })
          .end('{"resultCode":"A001101","resultMessage":"[A001101] x"}');
      if (mode === 'garbage')
        return res.writeHead(200, { 'Content-Type': 'application/json' }).end('<html>proxy error</html>');
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(mode(received.at(-1))));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        received,
        stop: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
