// A DPoP-capable token endpoint, PAR and revocation endpoints, and a resource server in front
// of dpopd, on Express and dpopd-relay (clients/node). Every protocol decision is dpopd's; the
// package relays its answers (status, Cache-Control, DPoP-Nonce, WWW-Authenticate) and answers
// 503 when dpopd cannot be asked.
import express from 'express';
import { dpopdExpress } from 'dpopd-relay/express';

const PORT = Number(process.env.PORT ?? 3001);
const HOST = process.env.HOST ?? '127.0.0.1';

const dpopd = dpopdExpress({
  dpopdUrl: process.env.DPOPD_URL ?? 'http://127.0.0.1:8080',
  // Development mode's demo caller when unset; a real deployment sets both.
  caller: process.env.DPOPD_CALLER ?? 'demo-caller',
  secret: process.env.DPOPD_SECRET ?? 'demo-caller-secret',
  // The URL clients call this server at: the DPoP `htu` of their proofs is checked against it.
  publicUrl: process.env.PUBLIC_URL ?? `http://127.0.0.1:${PORT}`,
});

const app = express();
app.post('/token', dpopd.token());
app.post('/par', dpopd.par());
app.post('/revoke', dpopd.revocation());
app.all('/resource', dpopd.protect({ scopes: ['read'] }), (req, res) => {
  const { subject, clientId, scopes } = req.dpopd;
  res.set('Cache-Control', 'no-store').json({ message: 'hello from the resource server', subject, clientId, scopes });
});
app.use((err, req, res, _next) => {
  console.error(`${req.method} ${req.originalUrl}: ${err.message}`);
  res.status(500).json({ error: 'server_error' });
});

const server = app.listen(PORT, HOST, () =>
  console.log(`front on http://${HOST}:${PORT}, dpopd at ${process.env.DPOPD_URL ?? 'http://127.0.0.1:8080'}`),
);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
