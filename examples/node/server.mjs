// A DPoP-capable authorization server token endpoint and resource server in front of dpopd,
// with Node's own `http` module and `fetch` (Node 18+), no dependencies. Every protocol
// decision is dpopd's: this file forwards what the client sent and relays dpopd's `action`.
import http from 'node:http';

const DPOPD_URL = (process.env.DPOPD_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const CALLER = process.env.DPOPD_CALLER ?? 'demo-caller';
const SECRET = process.env.DPOPD_SECRET ?? 'demo-caller-secret';
const PORT = Number(process.env.PORT ?? 3001);
const HOST = process.env.HOST ?? '127.0.0.1';
// The URL clients use to reach this server: the DPoP `htu` of their proofs is checked against it.
const PUBLIC_URL = (process.env.PUBLIC_URL ?? `http://127.0.0.1:${PORT}`).replace(/\/+$/, '');
const MAX_BODY = 64 * 1024;

const STATUS = { OK: 200, BAD_REQUEST: 400, INVALID_CLIENT: 401, UNAUTHORIZED: 401, FORBIDDEN: 403 };

async function callDpopd(path, body) {
  const response = await fetch(`${DPOPD_URL}${path}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: 'Basic ' + Buffer.from(`${CALLER}:${SECRET}`).toString('base64'),
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  // Non-200 means the API call itself was wrong (credentials, role, malformed): our bug, not the client's.
  if (response.status !== 200) throw new Error(`dpopd ${path}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(Object.assign(new Error('body too large'), { status: 413 }));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// Every `DPoP` header the client sent (RFC 9449 §4.3: more than one is an invalid request).
function dpopHeaders(req) {
  const values = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === 'dpop') values.push(req.rawHeaders[i + 1]);
  }
  return { dpop: values[0], dpopHeaderCount: values.length };
}

// `Authorization: Basic base64(id:secret)`, each part form-urlencoded (RFC 6749 §2.3.1).
function basicCredentials(header) {
  const match = /^Basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const unform = (s) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s; // not form-encoded after all: take it as it is
    }
  };
  return { clientId: unform(decoded.slice(0, colon)), clientSecret: unform(decoded.slice(colon + 1)) };
}

async function token(req, res) {
  const basic = basicCredentials(req.headers.authorization);
  const r = await callDpopd('/auth/token', {
    parameters: await readBody(req),
    ...dpopHeaders(req),
    htm: req.method,
    htu: `${PUBLIC_URL}/token`,
    clientId: basic?.clientId,
    clientSecret: basic?.clientSecret,
  });
  const headers = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };
  if (r.dpopNonce) headers['DPoP-Nonce'] = r.dpopNonce;
  if (r.action === 'INVALID_CLIENT' && basic) headers['WWW-Authenticate'] = 'Basic realm="token"';
  if (r.responseContent === undefined) return serverError(res, headers);
  res.writeHead(STATUS[r.action] ?? 500, headers).end(r.responseContent);
}

async function resource(req, res) {
  // `Authorization: DPoP <token>` or `Bearer <token>`; anything else is no token at all.
  const match = /^(DPoP|Bearer)\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  const r = await callDpopd('/auth/introspection', {
    token: match ? match[2] : undefined,
    tokenScheme: match ? (match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer') : undefined,
    scopes: ['read'],
    ...dpopHeaders(req),
    htm: req.method,
    htu: `${PUBLIC_URL}/resource`,
  });
  const headers = { 'Cache-Control': 'no-store' };
  if (r.dpopNonce) headers['DPoP-Nonce'] = r.dpopNonce;
  if (r.action === 'OK') {
    const body = { message: 'hello from the resource server', subject: r.subject, clientId: r.clientId, scopes: r.scopes };
    res.writeHead(200, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  } else if (r.action === 'INTERNAL_SERVER_ERROR' || r.responseContent === undefined) {
    // dpopd sends no WWW-Authenticate value when it could not decide (its store did not answer).
    serverError(res, headers);
  } else {
    // responseContent is the WWW-Authenticate value (RFC 6750 §3, RFC 9449 §7.1).
    res.writeHead(STATUS[r.action] ?? 500, { ...headers, 'WWW-Authenticate': r.responseContent }).end();
  }
}

function serverError(res, headers) {
  res.writeHead(500, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'server_error' }));
}

const routes = { 'POST /token': token, 'GET /resource': resource, 'POST /resource': resource };

const server = http.createServer(async (req, res) => {
  const route = routes[`${req.method} ${new URL(req.url, PUBLIC_URL).pathname}`];
  if (!route) return res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  try {
    await route(req, res);
  } catch (err) {
    console.error(`${req.method} ${req.url}: ${err.message}`);
    if (res.headersSent) return res.destroy();
    res.writeHead(err.status ?? 500, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: 'server_error' }));
  }
});

server.listen(PORT, HOST, () => console.log(`front on http://${HOST}:${PORT} (public ${PUBLIC_URL}), dpopd at ${DPOPD_URL}`));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
