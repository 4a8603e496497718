// oauth4webapi against the README's token endpoint snippet (readme_snippet/run.sh) in front of
// dpopd, which requires DPoP nonces: client_credentials with client_secret_basic — the library
// form-urlencodes the client id and secret before base64, as RFC 6749 §2.3.1 says, so
// `demo-client` goes out as `demo%2Dclient` — and a DPoP proof, through the use_dpop_nonce retry.
// TOKEN_URL is the snippet's token endpoint; CLIENT=odd uses the client of ../odd_client.json,
// otherwise development mode's demo-client.
import { readFileSync } from 'node:fs';
import * as oauth from 'oauth4webapi';

const TOKEN_URL = process.env.TOKEN_URL ?? 'http://127.0.0.1:3000/token';
const NAME = process.env.SUITE ?? 'readme-snippet-oauth4webapi';
const ODD = JSON.parse(readFileSync(new URL('../odd_client.json', import.meta.url), 'utf8'));
const [CLIENT_ID, CLIENT_SECRET] =
  process.env.CLIENT === 'odd' ? [ODD.client_id, ODD.client_secret] : ['demo-client', 'demo-client-secret'];

let passed = 0;
let failed = 0;
function check(what, ok, detail = '') {
  if (ok) passed += 1;
  else failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail ? `: ${detail}` : ''}`);
}

const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

// Every exchange the library makes, with the Authorization header it sent.
const exchanges = [];
async function recordingFetch(url, init) {
  const response = await fetch(url, init);
  const headers = new Headers(init.headers);
  exchanges.push({ status: response.status, authorization: headers.get('authorization'), headers: response.headers });
  return response;
}
const options = (DPoP) => ({ DPoP, [oauth.allowInsecureRequests]: true, [oauth.customFetch]: recordingFetch });

async function main() {
  const as = { issuer: new URL(TOKEN_URL).origin, token_endpoint: TOKEN_URL };
  const client = { client_id: CLIENT_ID };
  const keyPair = await oauth.generateKeyPair('ES256');
  const DPoP = oauth.DPoP(client, keyPair);
  const grant = (secret, dpop) =>
    oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(secret), { scope: 'read' }, options(dpop));

  // oauth4webapi's documented pattern: retry once when isDPoPNonceError says the server wants a nonce.
  let tokens;
  try {
    tokens = await oauth.processClientCredentialsResponse(as, client, await grant(CLIENT_SECRET, DPoP));
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    tokens = await oauth.processClientCredentialsResponse(as, client, await grant(CLIENT_SECRET, DPoP));
  }
  check('token: DPoP-bound access token issued', tokens.token_type === 'dpop', `token_type ${tokens.token_type}`);
  const statuses = exchanges.map((e) => e.status).join(',');
  check('token: use_dpop_nonce answered with DPoP-Nonce, then retried by the library', statuses === '400,200' &&
    /^[!#-[\]-~]+$/.test(exchanges[0].headers.get('dpop-nonce') ?? ''), statuses);
  check('token: Cache-Control no-store on every answer', exchanges.every((e) => e.headers.get('cache-control') === 'no-store'));
  const claims = claimsOf(tokens.access_token);
  check('token: cnf.jkt is the thumbprint of the library key', claims.cnf?.jkt === (await DPoP.calculateThumbprint()));
  check('token: issued to the client id as registered', claims.client_id === CLIENT_ID, JSON.stringify(claims.client_id));

  // What made it hard: the header carries the form-urlencoded id, which the snippet relays as it is.
  const sent = Buffer.from(exchanges[0].authorization.replace(/^Basic /, ''), 'base64').toString('utf8');
  const sentId = sent.slice(0, sent.indexOf(':'));
  check('token: the library sent the id form-urlencoded (RFC 6749 §2.3.1), not as it is',
    sentId !== CLIENT_ID && decodeURIComponent(sentId.replace(/\+/g, ' ')) === CLIENT_ID, sentId);

  exchanges.length = 0;
  const wrong = await grant('wrong', undefined);
  const wrongBody = await wrong.json();
  check('token: a wrong secret is 401 invalid_client with WWW-Authenticate Basic and no-store', wrong.status === 401 &&
    wrongBody.error === 'invalid_client' && /^Basic\b/.test(wrong.headers.get('www-authenticate') ?? '') &&
    wrong.headers.get('cache-control') === 'no-store', `${wrong.status} ${JSON.stringify(wrongBody)}`);
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
