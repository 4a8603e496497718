// oauth4webapi (a certified OAuth 2.0 client library) against an example front and dpopd:
// client_credentials with DPoP and the token endpoint's use_dpop_nonce retry, the token's
// cnf.jkt against the library's own thumbprint, then a protected resource call with `ath`
// and the resource server's nonce retry; then the same for the client of ../odd_client.json,
// whose id and secret the library form-urlencodes (RFC 6749 §2.3.1) and dpopd decodes. AS_URL
// and RS_URL are the front(s) to use; they should be different origins, since oauth4webapi
// keeps one nonce per origin. dpopd must know both clients (run.sh configures it).
import { readFileSync } from 'node:fs';
import * as oauth from 'oauth4webapi';
import { calculateJwkThumbprint, exportJWK } from 'jose';

const AS_URL = process.env.AS_URL ?? 'http://127.0.0.1:3001';
const RS_URL = process.env.RS_URL ?? AS_URL;
const NAME = process.env.SUITE ?? 'oauth4webapi';
const ODD = JSON.parse(readFileSync(new URL('../odd_client.json', import.meta.url), 'utf8'));

let passed = 0;
let failed = 0;
function check(what, ok, detail = '') {
  if (ok) passed += 1;
  else failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail ? `: ${detail}` : ''}`);
}

const b64uJson = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
const claimsOf = (jwt) => b64uJson(jwt.split('.')[1]);
const sha256b64u = async (text) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('base64url');

// Every exchange the library makes, so the test sees the retries it performed by itself.
const exchanges = [];
async function recordingFetch(url, init) {
  const response = await fetch(url, init);
  const dpop = init.headers?.dpop ?? init.headers?.DPoP;
  exchanges.push({ url, status: response.status, proof: dpop ? claimsOf(dpop) : null, headers: response.headers });
  return response;
}
const options = (DPoP) => ({ DPoP, [oauth.allowInsecureRequests]: true, [oauth.customFetch]: recordingFetch });

// oauth4webapi's documented pattern: retry once when isDPoPNonceError says the server wants a nonce.
async function withNonceRetry(attempt) {
  try {
    return await attempt();
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    return attempt();
  }
}

async function main() {
  const as = { issuer: AS_URL, token_endpoint: `${AS_URL}/token` };
  const client = { client_id: 'demo-client' };
  const clientAuth = oauth.ClientSecretBasic('demo-client-secret');
  const keyPair = await oauth.generateKeyPair('ES256');
  const DPoP = oauth.DPoP(client, keyPair);

  // 1. Token request; the first answer is use_dpop_nonce (nonces are required), the retry succeeds.
  exchanges.length = 0;
  const tokens = await withNonceRetry(async () => {
    const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, { scope: 'read' }, options(DPoP));
    return oauth.processClientCredentialsResponse(as, client, response);
  });
  check('token: DPoP-bound access token issued', tokens.token_type === 'dpop', `token_type ${tokens.token_type}`);
  check('token: scope read granted', tokens.scope === 'read', `scope ${tokens.scope}`);
  const tokenStatuses = exchanges.map((e) => e.status).join(',');
  check('token: use_dpop_nonce answered, then retried by the library', tokenStatuses === '400,200', tokenStatuses);
  check('token: first proof without nonce, retry with the DPoP-Nonce of the answer',
    exchanges.length === 2 && exchanges[0].proof.nonce === undefined &&
      exchanges[1].proof.nonce === exchanges[0].headers.get('dpop-nonce'));
  check('token: Cache-Control no-store relayed', exchanges.at(-1)?.headers.get('cache-control') === 'no-store');

  // 2. cnf.jkt is the thumbprint of the client's key, as the library computes it and as jose does.
  const jkt = claimsOf(tokens.access_token).cnf?.jkt;
  const libraryJkt = await DPoP.calculateThumbprint();
  const joseJkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
  check('jkt: cnf.jkt equals oauth4webapi DPoP.calculateThumbprint()', jkt === libraryJkt, `${jkt} vs ${libraryJkt}`);
  check('jkt: cnf.jkt equals jose calculateJwkThumbprint()', jkt === joseJkt, `${jkt} vs ${joseJkt}`);

  // 3. Resource request: the resource server wants its own nonce first, the library retries.
  const resourceUrl = new URL(`${RS_URL}/resource`);
  const get = () => oauth.protectedResourceRequest(tokens.access_token, 'GET', resourceUrl, undefined, undefined, options(DPoP));
  exchanges.length = 0;
  const response = await withNonceRetry(get);
  const body = await response.json();
  const rsStatuses = exchanges.map((e) => e.status).join(',');
  check('resource: 200 with the token subject and scopes', response.status === 200 && body.subject === 'demo-client' &&
    JSON.stringify(body.scopes) === '["read"]', JSON.stringify(body));
  check('resource: use_dpop_nonce challenge (401), then retried by the library', rsStatuses === (AS_URL === RS_URL ? '200' : '401,200'), rsStatuses);
  const ath = await sha256b64u(tokens.access_token);
  check('resource: every proof carries ath = SHA-256 of the token', exchanges.every((e) => e.proof?.ath === ath));
  check('resource: retried proof carries the resource server nonce',
    exchanges.at(-1).proof.nonce && exchanges.at(-1).proof.nonce === exchanges[0].headers.get('dpop-nonce'));

  // 4. The cached nonce serves the next call without a new challenge.
  exchanges.length = 0;
  const again = await get();
  check('resource: second call succeeds at once with the cached nonce', again.status === 200 && exchanges.length === 1);

  // 5. The front relays refusals: a bound token as Bearer, no token, too little scope, a wrong secret.
  const downgrade = await fetch(resourceUrl, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  check('resource: bound token as Bearer refused with a DPoP challenge', downgrade.status === 401 &&
    /^DPoP\b/.test(downgrade.headers.get('www-authenticate') ?? ''), `${downgrade.status} ${downgrade.headers.get('www-authenticate')}`);
  const noToken = await fetch(resourceUrl);
  // RFC 6750 §3.1: a request without a token gets 401 and a challenge without an error code.
  check('resource: no token refused with a challenge', noToken.status === 401 &&
    /^(Bearer|DPoP)\b/.test(noToken.headers.get('www-authenticate') ?? ''), `${noToken.status} ${noToken.headers.get('www-authenticate')}`);
  const writeOnly = await withNonceRetry(async () => {
    const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, { scope: 'write' }, options(DPoP));
    return oauth.processClientCredentialsResponse(as, client, response);
  });
  const forbidden = await oauth
    .protectedResourceRequest(writeOnly.access_token, 'GET', resourceUrl, undefined, undefined, options(DPoP))
    .catch((err) => err);
  check('resource: token without scope read is 403 insufficient_scope', forbidden instanceof oauth.WWWAuthenticateChallengeError &&
    forbidden.response.status === 403 && forbidden.cause.some((c) => c.parameters.error === 'insufficient_scope'),
    `${forbidden?.response?.status ?? forbidden?.status} ${JSON.stringify(forbidden?.cause)}`);
  const wrongSecret = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic('wrong'), { scope: 'read' },
    { [oauth.allowInsecureRequests]: true });
  const wrongBody = await wrongSecret.json();
  check('token: wrong client secret is 401 invalid_client with WWW-Authenticate Basic', wrongSecret.status === 401 &&
    wrongBody.error === 'invalid_client' && /^Basic\b/.test(wrongSecret.headers.get('www-authenticate') ?? ''));

  // 6. A client whose id and secret hold - . _ ~ : % + space, quotes and non-ASCII: the library
  //    form-urlencodes both, the front relays the header as sent, dpopd decodes it.
  const odd = { client_id: ODD.client_id };
  const oddDPoP = oauth.DPoP(odd, keyPair);
  const oddGrant = (secret, dpop) =>
    oauth.clientCredentialsGrantRequest(as, odd, oauth.ClientSecretBasic(secret), { scope: 'read' }, options(dpop));
  const oddTokens = await withNonceRetry(async () =>
    oauth.processClientCredentialsResponse(as, odd, await oddGrant(ODD.client_secret, oddDPoP)));
  check('odd client: DPoP-bound access token issued', oddTokens.token_type === 'dpop' &&
    claimsOf(oddTokens.access_token).cnf?.jkt === libraryJkt, `token_type ${oddTokens.token_type}`);
  const oddResource = await withNonceRetry(() =>
    oauth.protectedResourceRequest(oddTokens.access_token, 'GET', resourceUrl, undefined, undefined, options(oddDPoP)));
  const oddBody = await oddResource.json();
  check('odd client: the resource serves its token, with the client id as registered',
    oddResource.status === 200 && oddBody.clientId === ODD.client_id, JSON.stringify(oddBody));
  const oddWrong = await oddGrant(`${ODD.client_secret}x`, undefined);
  check('odd client: a wrong secret is 401 invalid_client', oddWrong.status === 401 &&
    (await oddWrong.json()).error === 'invalid_client', oddWrong.status);
}

try {
  await main();
} catch (err) {
  failed += 1;
  console.log(`FAIL unexpected error: ${err?.stack ?? err}`);
  if (err?.cause) console.log(`     cause: ${JSON.stringify(err.cause)}`);
}
console.log(`${NAME}: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
