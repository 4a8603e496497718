// oauth4webapi through nginx (auth_request) and Caddy (forward_auth) in gateway mode
// (docs/gateway.md; tests/interop/gateway/run.sh starts everything). The client gets a
// DPoP-bound token from the Node example front and calls the API behind each gateway with
// oauth4webapi's protected resource request. PHASE=plain: accepted requests reach the upstream
// with the identity headers (and never a client's own), and every refusal is a 401 or 403 with
// the right challenge that never reaches the upstream. PHASE=nonce (dpopd reloaded with
// nonce_required on both routes): the first call is use_dpop_nonce with DPoP-Nonce, and the
// library's retry is accepted.
import * as oauth from 'oauth4webapi';
import { SignJWT, calculateJwkThumbprint, exportJWK } from 'jose';

const NAME = process.env.SUITE ?? 'gateway';
const PHASE = process.env.PHASE ?? 'plain';
const AS_URL = process.env.AS_URL;
const UPSTREAM_URL = process.env.UPSTREAM_URL;
const GATEWAYS = { nginx: process.env.NGINX_URL, caddy: process.env.CADDY_URL };
const ISSUER_URL = process.env.ISSUER_URL;

let passed = 0;
let failed = 0;
function check(what, ok, detail = '') {
  if (ok) passed += 1;
  else failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail ? `: ${detail}` : ''}`);
}

const sha256b64u = async (text) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('base64url');

// Every exchange oauth4webapi makes, with the proof it sent, so that one can be replayed.
const exchanges = [];
async function recordingFetch(url, init) {
  const response = await fetch(url, init);
  const headers = new Headers(init.headers);
  exchanges.push({ url: String(url), status: response.status, headers, response: response.clone() });
  return response;
}
const options = (DPoP) => ({ DPoP, [oauth.allowInsecureRequests]: true, [oauth.customFetch]: recordingFetch });

async function withNonceRetry(attempt) {
  try {
    return await attempt();
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    return attempt();
  }
}

async function hits() {
  return (await (await fetch(`${UPSTREAM_URL}/__hits`)).json()).hits;
}

// A proof made by hand, for the refusals the library would never produce.
async function proof(keyPair, { htm = 'GET', htu, ath, nonce }) {
  const jwk = await exportJWK(keyPair.publicKey);
  const claims = { htm, htu, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000) };
  if (ath) claims.ath = ath;
  if (nonce) claims.nonce = nonce;
  return new SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).sign(keyPair.privateKey);
}

// The one challenge's scheme and error.
function challenge(response) {
  const text = response.headers.get('www-authenticate') ?? '';
  const scheme = text.split(' ')[0];
  const error = /error="([^"]+)"/.exec(text)?.[1] ?? null;
  return { scheme, error, text };
}

async function token(keyPair) {
  const as = { issuer: AS_URL, token_endpoint: `${AS_URL}/token` };
  const client = { client_id: 'demo-client' };
  const DPoP = oauth.DPoP(client, keyPair);
  const tokens = await withNonceRetry(async () => {
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic('demo-client-secret'),
      { scope: 'read' }, options(DPoP));
    return oauth.processClientCredentialsResponse(as, client, response);
  });
  return { tokens, DPoP };
}

async function refused(what, before, response, status, error) {
  const got = challenge(response);
  check(`${what}: ${status} ${error}`, response.status === status && got.scheme === 'DPoP' && got.error === error,
    `${response.status} ${got.text}`);
  check(`${what}: the upstream was not reached`, (await hits()) === before);
}

async function plain(gateway, base) {
  const keyPair = await oauth.generateKeyPair('ES256');
  const { tokens, DPoP } = await token(keyPair);
  check(`${gateway}: DPoP-bound token issued`, tokens.token_type === 'dpop', tokens.token_type);
  const url = new URL(`${base}/orders?page=2`);
  const ath = await sha256b64u(tokens.access_token);

  // Accepted: the upstream sees who it is, never the client's own claim to be someone else.
  exchanges.length = 0;
  let before = await hits();
  const response = await oauth.protectedResourceRequest(tokens.access_token, 'GET', url,
    new Headers({ 'X-Dpopd-Subject': 'admin', 'X-Dpopd-Scopes': 'admin' }), undefined, options(DPoP));
  const echoed = response.status === 200 ? await response.json() : {};
  check(`${gateway}: token and proof accepted (200)`, response.status === 200, String(response.status));
  check(`${gateway}: the upstream got the request once`, (await hits()) === before + 1);
  check(`${gateway}: the upstream sees the subject from dpopd`, echoed.headers?.['x-dpopd-subject'] === 'demo-client',
    JSON.stringify(echoed.headers));
  check(`${gateway}: the upstream sees the scopes from dpopd, not the client's`, echoed.headers?.['x-dpopd-scopes'] === 'read');
  check(`${gateway}: the upstream sees the jkt`, echoed.headers?.['x-dpopd-jkt']?.length === 43);
  check(`${gateway}: the upstream never sees the gateway's caller credentials`, !echoed.headers?.['x-dpopd-caller']);
  check(`${gateway}: the upstream got the original path and query`, echoed.path === '/orders?page=2', echoed.path);

  // Replay: the very proof oauth4webapi sent, again.
  const sent = exchanges.find((e) => e.url.startsWith(base));
  before = await hits();
  const replay = await fetch(url, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: sent.headers.get('dpop') } });
  await refused(`${gateway}: replayed proof`, before, replay, 401, 'invalid_dpop_proof');

  // A proof of another key than the token's.
  const other = await oauth.generateKeyPair('ES256');
  before = await hits();
  const stolen = await fetch(url, {
    headers: { authorization: `DPoP ${tokens.access_token}`, dpop: await proof(other, { htu: url.origin + url.pathname, ath }) },
  });
  await refused(`${gateway}: proof of another key`, before, stolen, 401, 'invalid_token');

  // The bound token as a Bearer token.
  before = await hits();
  const bearer = await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  await refused(`${gateway}: Bearer downgrade`, before, bearer, 401, 'invalid_token');

  // ath missing, or of another token.
  for (const [why, value] of [['missing ath', undefined], ['wrong ath', await sha256b64u('another token')]]) {
    before = await hits();
    const r = await fetch(url, {
      headers: { authorization: `DPoP ${tokens.access_token}`, dpop: await proof(keyPair, { htu: url.origin + url.pathname, ath: value }) },
    });
    await refused(`${gateway}: ${why}`, before, r, 401, 'invalid_dpop_proof');
  }

  // A proof for another URL, and for another method.
  for (const [why, claims] of [
    ['proof for another URL', { htu: `${url.origin}/elsewhere`, ath }],
    ['proof for another method', { htm: 'POST', htu: url.origin + url.pathname, ath }],
  ]) {
    before = await hits();
    const r = await fetch(url, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: await proof(keyPair, claims) } });
    await refused(`${gateway}: ${why}`, before, r, 401, 'invalid_dpop_proof');
  }

  // No token at all: a bare DPoP challenge.
  before = await hits();
  const none = await fetch(url);
  const bare = challenge(none);
  check(`${gateway}: no token is 401 with a bare DPoP challenge`, none.status === 401 && bare.scheme === 'DPoP' && bare.error === null,
    `${none.status} ${bare.text}`);
  check(`${gateway}: no token: the upstream was not reached`, (await hits()) === before);
}

async function nonce(gateway, base) {
  const keyPair = await oauth.generateKeyPair('ES256');
  const { tokens, DPoP } = await token(keyPair);
  const url = new URL(`${base}/orders`);
  exchanges.length = 0;
  const before = await hits();
  const response = await withNonceRetry(() =>
    oauth.protectedResourceRequest(tokens.access_token, 'GET', url, undefined, undefined, options(DPoP)));
  const calls = exchanges.filter((e) => e.url.startsWith(base));
  const first = calls[0];
  check(`${gateway}: first call 401 use_dpop_nonce with DPoP-Nonce`,
    first?.status === 401 && challenge(first.response).error === 'use_dpop_nonce' && !!first.response.headers.get('dpop-nonce'),
    `${first?.status} ${first && challenge(first.response).text}`);
  check(`${gateway}: the retry with the nonce is accepted (200)`, response.status === 200 && calls.length === 2,
    `${response.status} after ${calls.length} calls`);
  check(`${gateway}: the upstream got only the accepted request`, (await hits()) === before + 1);
}

// A token of the second issuer, bound to `keyPair`, through the gateway at `base`.
async function external(base, keyPair, token) {
  const DPoP = oauth.DPoP({ client_id: 'external-client' }, keyPair);
  return oauth.protectedResourceRequest(token, 'GET', new URL(`${base}/orders`), undefined, undefined, options(DPoP));
}

async function mintExternal(keyPair) {
  const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
  const minted = await (await fetch(`${ISSUER_URL}/mint`, { method: 'POST', body: JSON.stringify({ jkt }) })).json();
  return minted.access_token;
}

// The second issuer: its token is accepted through both gateways; with its JWKS down, the key
// dpopd cached still serves; a token of a key dpopd never saw is refused (fail closed).
async function secondIssuer() {
  const keyPair = await oauth.generateKeyPair('ES256');
  const token = await mintExternal(keyPair);
  for (const [gateway, base] of Object.entries(GATEWAYS)) {
    const before = await hits();
    const response = await external(base, keyPair, token);
    const echoed = response.status === 200 ? await response.json() : {};
    check(`${gateway}: a second issuer's token is accepted (200)`, response.status === 200,
      `${response.status} ${response.headers.get('www-authenticate')}`);
    check(`${gateway}: the upstream sees that issuer`, echoed.headers?.['x-dpopd-issuer'] === ISSUER_URL,
      JSON.stringify(echoed.headers?.['x-dpopd-issuer']));
    check(`${gateway}: and its subject`, echoed.headers?.['x-dpopd-subject'] === 'external-user');
    check(`${gateway}: the upstream got it once`, (await hits()) === before + 1);
  }
  await fetch(`${ISSUER_URL}/down`, { method: 'POST' });
  for (const [gateway, base] of Object.entries(GATEWAYS)) {
    const response = await external(base, keyPair, token);
    check(`${gateway}: issuer's JWKS down, key cached: accepted (200)`, response.status === 200, String(response.status));
  }
  await fetch(`${ISSUER_URL}/rotate`, { method: 'POST' });
  const unseen = await mintExternal(keyPair);
  // Past jwks.min_refresh_secs (1 s in this test): the unknown kid may fetch, and the fetch fails.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  for (const [gateway, base] of Object.entries(GATEWAYS)) {
    const before = await hits();
    const url = new URL(`${base}/orders`);
    const dpop = await proof(keyPair, { htu: url.origin + url.pathname, ath: await sha256b64u(unseen) });
    const response = await fetch(url, { headers: { authorization: `DPoP ${unseen}`, dpop } });
    const got = challenge(response);
    check(`${gateway}: issuer's JWKS down, key never seen: 401 invalid_token (fail closed)`,
      response.status === 401 && got.error === 'invalid_token', `${response.status} ${got.text}`);
    check(`${gateway}: key never seen: the upstream was not reached`, (await hits()) === before);
  }
}

async function main() {
  for (const [gateway, base] of Object.entries(GATEWAYS)) {
    try {
      await (PHASE === 'nonce' ? nonce(gateway, base) : plain(gateway, base));
    } catch (err) {
      check(`${gateway}: no exception`, false, err?.stack ?? String(err));
    }
  }
  if (PHASE === 'plain') {
    try {
      await secondIssuer();
    } catch (err) {
      check('second issuer: no exception', false, err?.stack ?? String(err));
    }
  }
  console.log(`${NAME}: ${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main();
