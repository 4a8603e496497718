// A second, independent authorization server for the gateway test (tests/interop/gateway):
// it publishes its JWK Set at /jwks and mints RFC 9068 access tokens bound to a client's key
// (cnf.jkt) at POST /mint. POST /down makes /jwks answer 503 from then on (the issuer is
// unreachable for dpopd); POST /rotate switches to a new signing key that dpopd has never seen.
// Listens on 127.0.0.1:$PORT; its issuer identifier is http://127.0.0.1:$PORT.
import { createServer } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

const PORT = Number(process.env.PORT);
const ISSUER = `http://127.0.0.1:${PORT}`;
const AUDIENCE = process.env.AUDIENCE ?? 'https://api.example.com';

async function newKey(kid) {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

let key = await newKey('second-issuer-1');
let down = false;

async function mint({ jkt, sub = 'external-user', scope = 'read' }) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope, client_id: 'external-client', cnf: { jkt }, jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
    .setIssuer(ISSUER)
    .setSubject(sub)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(key.privateKey);
}

const server = createServer(async (req, res) => {
  const send = (status, body, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  let text = '';
  for await (const chunk of req) text += chunk;
  if (req.method === 'GET' && req.url === '/jwks') {
    return down ? send(503, { error: 'down' }) : send(200, { keys: [key.jwk] }, 'application/jwk-set+json');
  }
  if (req.method === 'POST' && req.url === '/mint') return send(200, { access_token: await mint(JSON.parse(text || '{}')) });
  if (req.method === 'POST' && req.url === '/down') {
    down = true;
    return send(200, { down });
  }
  if (req.method === 'POST' && req.url === '/rotate') {
    key = await newKey(`second-issuer-${Date.now()}`);
    return send(200, { kid: key.kid });
  }
  if (req.method === 'GET' && req.url === '/') return send(200, { issuer: ISSUER });
  return send(404, { error: 'not_found' });
});
server.listen(PORT, '127.0.0.1');
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
