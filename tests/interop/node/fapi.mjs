// A FAPI 2.0-style login with oauth4webapi against an example front and dpopd: discovery from
// the front's /.well-known/openid-configuration (and its RFC 9728 document), a pushed
// authorization request with a DPoP proof, private_key_jwt and PKCE S256, the front's
// authorization endpoint with the demo login (login_hint=demo-user), the redirect's Location
// read without following it, the code redeemed with DPoP, the ID token validated by the
// library (iss, aud, nonce, and its signature with a key of jwks_uri), userinfo with DPoP,
// refresh with DPoP. Then refusals cheap to provoke at this level: a client assertion for
// another audience, a replayed client assertion, an authorization request that was not
// pushed, a tampered ID token, a bound token presented as Bearer.
// AS_URL is the front (dpopd's [service] URLs name its endpoints, issuer included);
// FAPI_CLIENT_KEY is the file with the private JWK of client `fapi-client` (fapi_key.mjs).
import { readFileSync } from 'node:fs';
import * as oauth from 'oauth4webapi';
import { importJWK } from 'jose';

const AS_URL = process.env.AS_URL ?? 'http://127.0.0.1:3001';
const NAME = process.env.SUITE ?? 'oauth4webapi-fapi';
const CLIENT_KEY = JSON.parse(readFileSync(process.env.FAPI_CLIENT_KEY, 'utf8'));
const CLIENT_ID = 'fapi-client';
const REDIRECT_URI = 'http://127.0.0.1/fapi/callback';
const USER = 'demo-user';

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

// Every exchange the library makes: its proof, its form body and the answer's status and headers.
const exchanges = [];
async function recordingFetch(url, init) {
  const response = await fetch(url, init);
  const dpop = init.headers?.dpop ?? init.headers?.DPoP;
  const body = init.body instanceof URLSearchParams ? new URLSearchParams(init.body) : null;
  exchanges.push({ url, status: response.status, proof: dpop ? claimsOf(dpop) : null, body, headers: response.headers });
  return response;
}
const options = (DPoP, extra = {}) => ({
  DPoP,
  [oauth.allowInsecureRequests]: true,
  [oauth.customFetch]: recordingFetch,
  ...extra,
});

// oauth4webapi's documented pattern: retry once when isDPoPNonceError says the server wants a nonce.
async function withNonceRetry(attempt) {
  try {
    return await attempt();
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    return attempt();
  }
}

// The error a step ended with (or null): refusals are checked on what the library threw.
const failure = (promise) => promise.then(() => null, (err) => err);
const describe = (err) => `${err?.name}: ${err?.message} ${JSON.stringify(err?.cause ?? err?.error ?? '')}`;

async function main() {
  // 1. Discovery: the front publishes dpopd's document, whose URLs are the front's.
  const issuer = new URL(AS_URL);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options()));
  check('discovery: issuer is the front (checked by processDiscoveryResponse)', as.issuer === AS_URL, as.issuer);
  const endpoints = {
    authorization_endpoint: '/authorize',
    pushed_authorization_request_endpoint: '/par',
    token_endpoint: '/token',
    userinfo_endpoint: '/userinfo',
    jwks_uri: '/jwks',
    revocation_endpoint: '/revoke',
  };
  const wrong = Object.entries(endpoints).filter(([k, path]) => as[k] !== `${AS_URL}${path}`);
  check('discovery: every endpoint is the front\'s', wrong.length === 0, JSON.stringify(wrong.map(([k]) => [k, as[k]])));
  check('discovery: pushed authorization requests required', as.require_pushed_authorization_requests === true);
  check('discovery: private_key_jwt supported', as.token_endpoint_auth_methods_supported?.includes('private_key_jwt'),
    JSON.stringify(as.token_endpoint_auth_methods_supported));
  check('discovery: ES256 for ID tokens and DPoP proofs', as.id_token_signing_alg_values_supported?.includes('ES256') &&
    as.dpop_signing_alg_values_supported?.includes('ES256'));
  check('discovery: S256 PKCE and the iss response parameter', as.code_challenge_methods_supported?.includes('S256') &&
    as.authorization_response_iss_parameter_supported === true);
  const prm = await fetch(`${AS_URL}/.well-known/oauth-protected-resource`);
  const prmBody = prm.status === 200 ? await prm.json() : {};
  check('protected resource metadata (RFC 9728): the front, this AS, DPoP algs', prm.status === 200 &&
    prmBody.resource === AS_URL && prmBody.authorization_servers?.includes(as.issuer) &&
    prmBody.dpop_signing_alg_values_supported?.includes('ES256'), `${prm.status} ${JSON.stringify(prmBody)}`);

  // 2. The client: private_key_jwt with the key dpopd knows, and a DPoP key of its own.
  const client = { client_id: CLIENT_ID };
  const clientAuth = oauth.PrivateKeyJwt({ key: await importJWK(CLIENT_KEY, 'ES256'), kid: CLIENT_KEY.kid });
  const keyPair = await oauth.generateKeyPair('ES256');
  const DPoP = oauth.DPoP(client, keyPair);
  const jkt = await DPoP.calculateThumbprint();

  // 3. PAR with PKCE S256, a nonce, the demo login's hint; nonces are required, so the library retries.
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const nonce = oauth.generateRandomNonce();
  const state = oauth.generateRandomState();
  const request = {
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid email',
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    nonce,
    state,
    login_hint: USER,
  };
  exchanges.length = 0;
  const pushed = await withNonceRetry(async () =>
    oauth.processPushedAuthorizationResponse(as, client,
      await oauth.pushedAuthorizationRequest(as, client, clientAuth, request, options(DPoP))),
  );
  check('PAR: request_uri issued', /^urn:ietf:params:oauth:request_uri:/.test(pushed.request_uri) &&
    pushed.expires_in > 0, JSON.stringify(pushed));
  const parStatuses = exchanges.map((e) => e.status).join(',');
  check('PAR: use_dpop_nonce (400), then 201 with the nonce, proofs for the PAR endpoint', parStatuses === '400,201' &&
    exchanges.every((e) => e.proof?.htm === 'POST' && e.proof?.htu === as.pushed_authorization_request_endpoint) &&
    exchanges[1].proof.nonce === exchanges[0].headers.get('dpop-nonce'), parStatuses);
  const parAssertion = exchanges.at(-1).body.get('client_assertion');
  const assertionClaims = claimsOf(parAssertion);
  check('PAR: the library sent a private_key_jwt assertion, aud the issuer, each attempt its own jti',
    exchanges.at(-1).body.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' &&
      assertionClaims.aud === as.issuer && assertionClaims.iss === CLIENT_ID && assertionClaims.sub === CLIENT_ID &&
      claimsOf(exchanges[0].body.get('client_assertion')).jti !== assertionClaims.jti, JSON.stringify(assertionClaims));

  // 4. The authorization endpoint: the demo login, then the redirect, read and not followed.
  const authorizationUrl = new URL(as.authorization_endpoint);
  authorizationUrl.searchParams.set('client_id', CLIENT_ID);
  authorizationUrl.searchParams.set('request_uri', pushed.request_uri);
  const redirect = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = new URL(redirect.headers.get('location') ?? 'about:blank');
  check('authorize: 302 to the registered redirect URI', redirect.status === 302 &&
    `${location.origin}${location.pathname}` === REDIRECT_URI, `${redirect.status} ${location}`);
  const callback = oauth.validateAuthResponse(as, client, location, state);
  check('authorize: validateAuthResponse accepts it (state, iss = issuer per RFC 9207)',
    callback.get('code') && location.searchParams.get('iss') === as.issuer, location.search);
  const reuse = await fetch(authorizationUrl, { redirect: 'manual' });
  const reuseLocation = reuse.headers.get('location') ?? '';
  check('authorize: the request_uri is used once', !new URL(reuseLocation || 'about:blank').searchParams.get('code'),
    `${reuse.status} ${reuseLocation}`);

  // 5. The code for tokens with DPoP; the library validates the ID token (iss, aud, nonce, times).
  exchanges.length = 0;
  const tokenResponse = await withNonceRetry(async () => {
    const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, callback, REDIRECT_URI,
      codeVerifier, options(DPoP));
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true });
    return { response, result };
  });
  const tokens = tokenResponse.result;
  check('token: DPoP-bound access token, refresh token and ID token', tokens.token_type === 'dpop' &&
    typeof tokens.refresh_token === 'string' && typeof tokens.id_token === 'string', JSON.stringify(Object.keys(tokens)));
  check('token: cnf.jkt is the DPoP key\'s thumbprint', claimsOf(tokens.access_token).cnf?.jkt === jkt);
  check('token: every proof is for the token endpoint', exchanges.every((e) => e.proof?.htu === as.token_endpoint));
  await oauth.validateApplicationLevelSignature(as, tokenResponse.response, options());
  check('ID token: signature verified with a key of jwks_uri (validateApplicationLevelSignature)', true);
  const idClaims = oauth.getValidatedIdTokenClaims(tokens);
  check('ID token: nonce is the one sent', idClaims.nonce === nonce, `${idClaims.nonce} vs ${nonce}`);
  check('ID token: iss, aud, sub, auth_time', idClaims.iss === as.issuer && idClaims.aud === CLIENT_ID &&
    idClaims.sub === USER && Number.isInteger(idClaims.auth_time), JSON.stringify(idClaims));
  check('ID token: the email the scope asked for, not the name it did not', idClaims.email === 'demo-user@example.com' &&
    idClaims.name === undefined, JSON.stringify(idClaims));

  // 6. A tampered ID token fails the library's signature check.
  const [h, p, s] = tokens.id_token.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...b64uJson(p), sub: 'someone-else' })).toString('base64url')}.${s}`;
  const forgedResponse = new Response(JSON.stringify({ ...tokens, id_token: forged }), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
  await oauth.processAuthorizationCodeResponse(as, client, forgedResponse, { expectedNonce: nonce, requireIdToken: true });
  const forgedError = await failure(oauth.validateApplicationLevelSignature(as, forgedResponse, options()));
  check('ID token: a tampered one fails the signature check', forgedError !== null, 'accepted');

  // 7. Userinfo with DPoP: the claims the token allows, for the ID token's subject.
  exchanges.length = 0;
  const userinfo = await withNonceRetry(async () =>
    oauth.processUserInfoResponse(as, client, idClaims.sub,
      await oauth.userInfoRequest(as, client, tokens.access_token, options(DPoP))),
  );
  check('userinfo: sub matches the ID token (processUserInfoResponse)', userinfo.sub === idClaims.sub);
  check('userinfo: email allowed by the scope, name not', userinfo.email === 'demo-user@example.com' &&
    userinfo.email_verified === true && userinfo.name === undefined, JSON.stringify(userinfo));
  const ath = await sha256b64u(tokens.access_token);
  check('userinfo: proofs for GET userinfo with ath', exchanges.length > 0 && exchanges.every((e) =>
    e.proof?.htm === 'GET' && e.proof?.htu === as.userinfo_endpoint && e.proof?.ath === ath),
    JSON.stringify(exchanges.map((e) => [e.status, e.proof])));
  check('userinfo: Cache-Control no-store', exchanges.at(-1).headers.get('cache-control') === 'no-store');
  const downgrade = await fetch(as.userinfo_endpoint, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  check('userinfo: the bound token as Bearer is refused with a DPoP challenge', downgrade.status === 401 &&
    /^DPoP\b/.test(downgrade.headers.get('www-authenticate') ?? ''), `${downgrade.status} ${downgrade.headers.get('www-authenticate')}`);

  // 8. Refresh with DPoP: a new bound access token, and an ID token without nonce for the same user.
  exchanges.length = 0;
  const refreshed = await withNonceRetry(async () =>
    oauth.processRefreshTokenResponse(as, client,
      await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, options(DPoP))),
  );
  check('refresh: a new DPoP-bound access token', refreshed.token_type === 'dpop' &&
    refreshed.access_token !== tokens.access_token && claimsOf(refreshed.access_token).cnf?.jkt === jkt);
  check('refresh: proofs for the token endpoint', exchanges.every((e) => e.proof?.htu === as.token_endpoint));
  const refreshedId = refreshed.id_token ? oauth.getValidatedIdTokenClaims(refreshed) : undefined;
  check('refresh: a new ID token, same sub and auth_time, no nonce (OIDC Core §12.2)', refreshedId?.sub === USER &&
    refreshedId.auth_time === idClaims.auth_time && refreshedId.nonce === undefined, JSON.stringify(refreshedId));
  const userinfoAgain = await withNonceRetry(async () =>
    oauth.processUserInfoResponse(as, client, USER,
      await oauth.userInfoRequest(as, client, refreshed.access_token, options(DPoP))),
  );
  check('refresh: the new access token serves userinfo', userinfoAgain.sub === USER);

  // 9. Client authentication refusals at PAR.
  const otherAudience = oauth.PrivateKeyJwt({ key: await importJWK(CLIENT_KEY, 'ES256'), kid: CLIENT_KEY.kid }, {
    [oauth.modifyAssertion]: (_header, payload) => {
      payload.aud = as.token_endpoint;
    },
  });
  const audError = await failure(withNonceRetry(async () =>
    oauth.processPushedAuthorizationResponse(as, client,
      await oauth.pushedAuthorizationRequest(as, client, otherAudience, request, options(DPoP)))));
  check('PAR: an assertion for another audience (the token endpoint) is invalid_client',
    audError instanceof oauth.ResponseBodyError && audError.status === 401 && audError.error === 'invalid_client',
    describe(audError));
  const replay = await fetch(as.pushed_authorization_request_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...request, client_id: CLIENT_ID,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: parAssertion }),
  });
  const replayBody = await replay.json().catch(() => ({}));
  check('PAR: the accepted assertion sent again is invalid_client (its jti is spent)', replay.status === 401 &&
    replayBody.error === 'invalid_client', `${replay.status} ${JSON.stringify(replayBody)}`);
  const wrongKey = oauth.PrivateKeyJwt({ key: (await oauth.generateKeyPair('ES256')).privateKey, kid: CLIENT_KEY.kid });
  const keyError = await failure(withNonceRetry(async () =>
    oauth.processPushedAuthorizationResponse(as, client,
      await oauth.pushedAuthorizationRequest(as, client, wrongKey, request, options(DPoP)))));
  check('PAR: an assertion signed with another key is invalid_client',
    keyError instanceof oauth.ResponseBodyError && keyError.status === 401 && keyError.error === 'invalid_client',
    describe(keyError));

  // 10. The client must push: a plain authorization request gets no code.
  const plain = new URL(as.authorization_endpoint);
  for (const [k, v] of Object.entries({ ...request, client_id: CLIENT_ID })) plain.searchParams.set(k, v);
  const plainAnswer = await fetch(plain, { redirect: 'manual' });
  const plainLocation = new URL(plainAnswer.headers.get('location') ?? 'about:blank');
  check('authorize: a request that was not pushed gets an error, no code', (plainAnswer.status === 400 ||
    (plainAnswer.status === 302 && plainLocation.searchParams.get('error'))) && !plainLocation.searchParams.get('code'),
    `${plainAnswer.status} ${plainLocation}`);
}

try {
  await main();
} catch (err) {
  check('the flow ran to its end', false, `${describe(err)}\n${err?.stack}`);
}
console.log(`${NAME}: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
