// An OpenID Connect provider and resource server in front of dpopd, on Express and dpopd-relay
// (clients/node): token, PAR, revocation, authorization and userinfo endpoints, a protected
// resource, and the discovery documents. Every protocol decision is dpopd's; the package relays
// its answers (status, Cache-Control, DPoP-Nonce, WWW-Authenticate) and answers 503 when dpopd
// cannot be asked. The login is a demo: one user, `demo-user`, and no password (README.md).
import express from 'express';
import { dpopdExpress } from 'dpopd-relay/express';

const PORT = Number(process.env.PORT ?? 3001);
const HOST = process.env.HOST ?? '127.0.0.1';
const DPOPD_URL = (process.env.DPOPD_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
// The URL clients call this server at: the DPoP `htu` of their proofs is checked against it,
// and it is this server's resource identifier (RFC 9728).
const PUBLIC_URL = (process.env.PUBLIC_URL ?? `http://127.0.0.1:${PORT}`).replace(/\/+$/, '');

const dpopd = dpopdExpress({
  dpopdUrl: DPOPD_URL,
  // Development mode's demo caller when unset; a real deployment sets both.
  caller: process.env.DPOPD_CALLER ?? 'demo-caller',
  secret: process.env.DPOPD_SECRET ?? 'demo-caller-secret',
  publicUrl: PUBLIC_URL,
});

// The user database of the demo: one user and their claim values. dpopd keeps, of these, the
// claims the request asked for (ID token) or the token allows (userinfo).
const USERS = {
  'demo-user': {
    name: 'Demo User',
    email: 'demo-user@example.com',
    email_verified: true,
  },
};
// The demo's login: the user `login_hint` names is logged in with no password, at the time of
// the request. Anything else is the login page below, which only offers that user too.
function demoLogin(loginHint) {
  if (!Object.hasOwn(USERS, loginHint ?? '')) return null;
  return { subject: loginHint, authTime: Math.floor(Date.now() / 1000), amr: ['pwd'], claims: USERS[loginHint] };
}
const grantOf = (ticket, user) => ({ ticket, subject: user.subject, authTime: user.authTime, amr: user.amr, claims: user.claims });
const escapeHtml = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const app = express();
app.post('/token', dpopd.token());
app.post('/par', dpopd.par());
app.post('/revoke', dpopd.revocation());
app.all(
  '/authorize',
  dpopd.authorize(async (req, res, interaction) => {
    const user = demoLogin(interaction.loginHint);
    if (user) return dpopd.issue(res, grantOf(interaction.ticket, user));
    // prompt=none (OIDC Core §3.1.2.1): no page; nobody is logged in.
    if (interaction.noInteraction) return dpopd.fail(res, { ticket: interaction.ticket, reason: 'NOT_LOGGED_IN' });
    const ticket = escapeHtml(interaction.ticket);
    res.set('Cache-Control', 'no-store').type('html').send(`<!doctype html>
<title>Sign in (demo)</title>
<p>${escapeHtml(interaction.clientId)} asks for: ${escapeHtml(interaction.scopes.join(' '))}</p>
<form method="post" action="/login">
  <input type="hidden" name="ticket" value="${ticket}">
  <button name="user" value="demo-user">Sign in as demo-user</button>
  <button name="deny" value="1">Deny</button>
</form>`);
  }),
);
// The demo login form: a ticket and the user chosen, or a refusal.
app.post('/login', express.urlencoded({ extended: false, limit: '8kb' }), async (req, res, next) => {
  try {
    const { ticket, user: name, deny } = req.body ?? {};
    if (typeof ticket !== 'string' || ticket === '') return res.status(400).json({ error: 'invalid_request' });
    const user = deny ? null : demoLogin(name);
    if (!user) return await dpopd.fail(res, { ticket, reason: 'DENIED' });
    await dpopd.issue(res, grantOf(ticket, user));
  } catch (err) {
    next(err);
  }
});
app.all(
  '/userinfo',
  dpopd.userinfo((principal) => USERS[principal.subject] ?? {}),
);
app.all('/resource', dpopd.protect({ scopes: ['read'] }), (req, res) => {
  const { subject, clientId, scopes } = req.dpopd;
  res.set('Cache-Control', 'no-store').json({ message: 'hello from the resource server', subject, clientId, scopes });
});

// The metadata documents are dpopd's, published here where clients look for them. dpopd's
// `[service]` URLs must name this server's endpoints (README.md).
async function relayDocument(res, path) {
  let response;
  try {
    response = await fetch(`${DPOPD_URL}${path}`, { redirect: 'error', signal: AbortSignal.timeout(5000) });
  } catch (err) {
    console.error(`dpopd ${path}: unreachable (${err?.cause?.code ?? err?.message ?? err})`);
    return res.status(503).set('Cache-Control', 'no-store').json({ error: 'temporarily_unavailable' });
  }
  const body = await response.text();
  if (response.status !== 200) {
    console.error(`dpopd ${path}: HTTP ${response.status}`);
    return res.status(503).set('Cache-Control', 'no-store').json({ error: 'temporarily_unavailable' });
  }
  res.status(200).type('application/json').send(body);
}
// OpenID Connect Discovery 1.0 §4 and RFC 8414 §3.
app.get(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'], (req, res) =>
  relayDocument(res, '/service/configuration'),
);
app.get('/jwks', (req, res) => relayDocument(res, '/service/jwks'));
// RFC 9728 §3: this server's resources (`/resource`, `/userinfo`) as one protected resource.
app.get('/.well-known/oauth-protected-resource', (req, res) =>
  relayDocument(res, `/service/resource_configuration?resource=${encodeURIComponent(PUBLIC_URL)}`),
);

app.use((err, req, res, _next) => {
  console.error(`${req.method} ${req.originalUrl}: ${err.message}`);
  res.status(500).json({ error: 'server_error' });
});

const server = app.listen(PORT, HOST, () => console.log(`front on http://${HOST}:${PORT}, dpopd at ${DPOPD_URL}`));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
