// Express and Fastify apps on the relay, in front of a real dpopd (development mode): tokens
// with and without proofs, server nonces, refused proofs, protected resources, PAR and the
// authorization code flow. What the client gets is compared with what dpopd said.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FRAMEWORKS, startApp } from './support/apps.js';
import { CALLER, startDpopd } from './support/dpopd.js';
import { callDpopd, FORM, send } from './support/http.js';
import { ath, basic, dpopKey } from './support/proof.js';

const CLIENT = basic('demo-client', 'demo-client-secret');
const PKCE_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'; // RFC 7636 appendix B
const PKCE_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

let dpopd;
let nonceDpopd;
before(async () => {
  [dpopd, nonceDpopd] = await Promise.all([
    startDpopd(),
    startDpopd({ env: { DPOPD__DPOP__NONCE_REQUIRED: 'true', DPOPD__DPOP__RS_NONCE_REQUIRED: 'true' } }),
  ]);
});
after(() => Promise.all([dpopd?.stop(), nonceDpopd?.stop()]));

/** A DPoP token for `scope` from the app at `url`, with `key`. */
async function dpopToken(app, key, scope = 'read') {
  const response = await send(`${app.url}/token`, {
    method: 'POST',
    headers: { ...FORM, Authorization: CLIENT, DPoP: await key.proof('POST', `${app.url}/token`) },
    body: `grant_type=client_credentials&scope=${scope}`,
  });
  assert.equal(response.status, 200, response.body);
  return response.json().access_token;
}

for (const framework of FRAMEWORKS) {
  describe(`${framework}: token endpoint`, () => {
    let app;
    before(async () => {
      app = await startApp(framework, { dpopdUrl: dpopd.url, ...CALLER });
    });
    after(() => app.stop());

    test('a token request with a proof gets a DPoP-bound token, not stored by caches', async () => {
      const key = await dpopKey();
      const response = await send(`${app.url}/token`, {
        method: 'POST',
        headers: { ...FORM, Authorization: CLIENT, DPoP: await key.proof('POST', `${app.url}/token`) },
        body: 'grant_type=client_credentials&scope=read',
      });
      assert.equal(response.status, 200, response.body);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.match(response.headers['content-type'], /^application\/json/);
      const body = response.json();
      assert.equal(body.token_type, 'DPoP');
      const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url'));
      assert.equal(claims.cnf.jkt, key.jkt);
    });

    test('a token request without a proof gets a Bearer token', async () => {
      const response = await send(`${app.url}/token`, {
        method: 'POST',
        headers: { ...FORM, Authorization: CLIENT },
        body: 'grant_type=client_credentials',
      });
      assert.equal(response.status, 200);
      assert.equal(response.json().token_type, 'Bearer');
    });

    test('two DPoP headers are refused with invalid_dpop_proof', async () => {
      const key = await dpopKey();
      const htu = `${app.url}/token`;
      const response = await send(htu, {
        method: 'POST',
        headers: { ...FORM, Authorization: CLIENT, DPoP: [await key.proof('POST', htu), await key.proof('POST', htu)] },
        body: 'grant_type=client_credentials',
      });
      assert.equal(response.status, 400);
      assert.equal(response.json().error, 'invalid_dpop_proof');
    });

    test('a proof for another URL is refused: htu is the configured public URL', async () => {
      const key = await dpopKey();
      const response = await send(`${app.url}/token`, {
        method: 'POST',
        headers: {
          ...FORM,
          Authorization: CLIENT,
          DPoP: await key.proof('POST', 'https://elsewhere.example/token'),
          'X-Forwarded-Host': 'elsewhere.example',
        },
        body: 'grant_type=client_credentials',
      });
      assert.equal(response.status, 400);
      assert.equal(response.json().error, 'invalid_dpop_proof');
    });

    test('a wrong client secret is 401 invalid_client with a Basic challenge', async () => {
      const response = await send(`${app.url}/token`, {
        method: 'POST',
        headers: { ...FORM, Authorization: basic('demo-client', 'wrong') },
        body: 'grant_type=client_credentials',
      });
      assert.equal(response.status, 401);
      assert.equal(response.json().error, 'invalid_client');
      assert.match(response.headers['www-authenticate'], /^Basic realm=/);
      assert.equal(response.headers['cache-control'], 'no-store');
    });

    test("a Basic header that does not decode is 401 invalid_client with a Basic challenge and dpopd's body", async () => {
      const cases = [
        ['Basic bm8tY29sb24=', 'A060303'],
        ['Basic ###', 'A060302'],
        [`Basic ${Buffer.from('id:%zz').toString('base64')}`, 'A060304'],
      ];
      for (const [header, resultCode] of cases) {
        const response = await send(`${app.url}/token`, {
          method: 'POST',
          headers: { ...FORM, Authorization: header },
          body: 'grant_type=client_credentials',
        });
        const direct = await callDpopd(dpopd.url, '/auth/token', {
          parameters: 'grant_type=client_credentials',
          clientAuthorization: header,
        });
        assert.equal(direct.action, 'INVALID_CLIENT', header);
        assert.equal(direct.resultCode, resultCode, header);
        assert.equal(response.status, 401, header);
        assert.equal(response.body, direct.responseContent, header);
        assert.equal(response.json().error, 'invalid_client', header);
        assert.match(response.headers['www-authenticate'] ?? '', /^Basic realm=/, header);
        assert.equal(response.headers['cache-control'], 'no-store', header);
      }
    });

    test('PAR with a Basic header that does not decode is 401 with a Basic challenge', async () => {
      const response = await send(`${app.url}/par`, {
        method: 'POST',
        headers: { ...FORM, Authorization: 'Basic ###' },
        body: 'response_type=code&client_id=demo-client',
      });
      assert.equal(response.status, 401);
      assert.equal(response.json().error, 'invalid_client');
      assert.match(response.headers['www-authenticate'] ?? '', /^Basic realm=/);
    });

    test('another scheme than Basic is 401 invalid_client without a Basic challenge', async () => {
      const response = await send(`${app.url}/token`, {
        method: 'POST',
        headers: { ...FORM, Authorization: 'Bearer abc' },
        body: 'grant_type=client_credentials',
      });
      assert.equal(response.status, 401);
      assert.equal(response.json().error, 'invalid_client');
      assert.equal(response.headers['www-authenticate'], undefined);
    });

    test('a client id the client form-urlencoded, as oauth4webapi does, authenticates', async () => {
      // demo%2Dclient:demo%2Dclient%2Dsecret (RFC 6749 §2.3.1; oauth4webapi escapes - too)
      const header = 'Basic ZGVtbyUyRGNsaWVudDpkZW1vJTJEY2xpZW50JTJEc2VjcmV0';
      const response = await send(`${app.url}/token`, {
        method: 'POST',
        headers: { ...FORM, Authorization: header },
        body: 'grant_type=client_credentials',
      });
      assert.equal(response.status, 200, response.body);
    });

    test('two Authorization headers are refused with invalid_request', async () => {
      const response = await send(`${app.url}/token`, {
        method: 'POST',
        headers: { ...FORM, Authorization: [CLIENT, basic('other', 'x')] },
        body: 'grant_type=client_credentials',
      });
      assert.equal(response.status, 400);
      assert.equal(response.json().error, 'invalid_request');
    });

    test("an unsupported grant is 400 with dpopd's body, verbatim", async () => {
      const response = await send(`${app.url}/token`, {
        method: 'POST',
        headers: { ...FORM, Authorization: CLIENT },
        body: 'grant_type=password',
      });
      const direct = await callDpopd(dpopd.url, '/auth/token', {
        parameters: 'grant_type=password',
        clientAuthorization: CLIENT,
      });
      assert.equal(response.status, 400);
      assert.equal(response.body, direct.responseContent);
    });

    test('a body over the limit is 413', async () => {
      const response = await send(`${app.url}/token`, {
        method: 'POST',
        headers: { ...FORM, Authorization: CLIENT },
        body: `grant_type=client_credentials&x=${'a'.repeat(70_000)}`,
      });
      assert.equal(response.status, 413);
      assert.equal(response.json().error, 'invalid_request');
    });

    test('revocation answers 200 with an empty body', async () => {
      const key = await dpopKey();
      const token = await dpopToken(app, key);
      const response = await send(`${app.url}/revoke`, {
        method: 'POST',
        headers: { ...FORM, Authorization: CLIENT },
        body: `token=${token}`,
      });
      assert.equal(response.status, 200);
      assert.equal(response.body, '');
    });
  });

  describe(`${framework}: server nonces`, () => {
    let app;
    before(async () => {
      app = await startApp(framework, { dpopdUrl: nonceDpopd.url, ...CALLER });
    });
    after(() => app.stop());

    test('a token request without a nonce is 400 use_dpop_nonce with DPoP-Nonce relayed; the retry succeeds', async () => {
      const key = await dpopKey();
      const htu = `${app.url}/token`;
      const first = await send(htu, {
        method: 'POST',
        headers: { ...FORM, Authorization: CLIENT, DPoP: await key.proof('POST', htu) },
        body: 'grant_type=client_credentials&scope=read',
      });
      assert.equal(first.status, 400);
      assert.equal(first.json().error, 'use_dpop_nonce');
      const nonce = first.headers['dpop-nonce'];
      assert.match(nonce, /^[A-Za-z0-9_-]+$/);
      const retry = await send(htu, {
        method: 'POST',
        headers: { ...FORM, Authorization: CLIENT, DPoP: await key.proof('POST', htu, { nonce }) },
        body: 'grant_type=client_credentials&scope=read',
      });
      assert.equal(retry.status, 200, retry.body);
      assert.equal(retry.json().token_type, 'DPoP');
      assert.ok(retry.headers['dpop-nonce'], 'a success carries the current nonce too');
    });

    test('the resource wants its own nonce: 401 use_dpop_nonce, then served with the nonce on the answer', async () => {
      const key = await dpopKey();
      const tokenHtu = `${app.url}/token`;
      const first = await send(tokenHtu, {
        method: 'POST',
        headers: { ...FORM, Authorization: CLIENT, DPoP: await key.proof('POST', tokenHtu) },
        body: 'grant_type=client_credentials&scope=read',
      });
      const issued = await send(tokenHtu, {
        method: 'POST',
        headers: {
          ...FORM,
          Authorization: CLIENT,
          DPoP: await key.proof('POST', tokenHtu, { nonce: first.headers['dpop-nonce'] }),
        },
        body: 'grant_type=client_credentials&scope=read',
      });
      const token = issued.json().access_token;
      const htu = `${app.url}/resource`;
      const refused = await send(htu, {
        headers: { Authorization: `DPoP ${token}`, DPoP: await key.proof('GET', htu, { ath: ath(token) }) },
      });
      assert.equal(refused.status, 401);
      assert.match(refused.headers['www-authenticate'], /^DPoP error="use_dpop_nonce"/);
      const nonce = refused.headers['dpop-nonce'];
      assert.ok(nonce);
      const served = await send(htu, {
        headers: { Authorization: `DPoP ${token}`, DPoP: await key.proof('GET', htu, { ath: ath(token), nonce }) },
      });
      assert.equal(served.status, 200, served.headers['www-authenticate']);
      assert.equal(served.json().subject, 'demo-client');
      assert.ok(served.headers['dpop-nonce'], 'the served answer carries the current nonce');
    });
  });

  describe(`${framework}: protect({ scopes })`, () => {
    let app;
    before(async () => {
      app = await startApp(framework, { dpopdUrl: dpopd.url, ...CALLER });
    });
    after(() => app.stop());

    test('a valid DPoP request reaches the handler with subject, client id and scopes', async () => {
      const key = await dpopKey();
      const token = await dpopToken(app, key, 'read write');
      const htu = `${app.url}/resource`;
      const response = await send(`${htu}?page=2`, {
        headers: { Authorization: `DPoP ${token}`, DPoP: await key.proof('GET', htu, { ath: ath(token) }) },
      });
      assert.equal(response.status, 200, response.headers['www-authenticate']);
      const body = response.json();
      assert.equal(body.served, true);
      assert.equal(body.subject, 'demo-client');
      assert.equal(body.clientId, 'demo-client');
      assert.deepEqual(body.scopes, ['read', 'write']);
      assert.equal(body.tokenScheme, 'DPoP');
      assert.equal(body.jkt, key.jkt);
    });

    test('a POST is checked with htm POST', async () => {
      const key = await dpopKey();
      const token = await dpopToken(app, key);
      const htu = `${app.url}/resource`;
      const response = await send(htu, {
        method: 'POST',
        headers: { Authorization: `DPoP ${token}`, DPoP: await key.proof('POST', htu, { ath: ath(token) }) },
      });
      assert.equal(response.status, 200, response.headers['www-authenticate']);
    });

    test("a bad proof is 401 with dpopd's challenge, exactly, and the handler does not run", async () => {
      const key = await dpopKey();
      const token = await dpopToken(app, key);
      const htu = `${app.url}/resource`;
      const proof = await key.proof('GET', htu, { ath: ath('another token') });
      const runs = app.handlerRuns;
      const response = await send(htu, { headers: { Authorization: `DPoP ${token}`, DPoP: proof } });
      const direct = await callDpopd(dpopd.url, '/auth/introspection', {
        token,
        tokenScheme: 'DPoP',
        scopes: ['read'],
        dpop: proof,
        dpopHeaderCount: 1,
        htm: 'GET',
        htu,
      });
      assert.equal(response.status, 401);
      assert.equal(direct.action, 'UNAUTHORIZED');
      assert.equal(response.headers['www-authenticate'], direct.responseContent);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(app.handlerRuns, runs);
    });

    test('two DPoP headers at a resource are refused', async () => {
      const key = await dpopKey();
      const token = await dpopToken(app, key);
      const htu = `${app.url}/resource`;
      const proofs = [
        await key.proof('GET', htu, { ath: ath(token) }),
        await key.proof('GET', htu, { ath: ath(token) }),
      ];
      const response = await send(htu, { headers: { Authorization: `DPoP ${token}`, DPoP: proofs } });
      assert.equal(response.status, 401);
      assert.match(response.headers['www-authenticate'], /invalid_dpop_proof/);
    });

    test('a token without the scope is 403 insufficient_scope', async () => {
      const key = await dpopKey();
      const token = await dpopToken(app, key, 'write');
      const htu = `${app.url}/resource`;
      const runs = app.handlerRuns;
      const response = await send(htu, {
        headers: { Authorization: `DPoP ${token}`, DPoP: await key.proof('GET', htu, { ath: ath(token) }) },
      });
      assert.equal(response.status, 403);
      assert.match(response.headers['www-authenticate'], /error="insufficient_scope"/);
      assert.equal(app.handlerRuns, runs);
    });

    test('a DPoP-bound token presented as Bearer is refused with a DPoP challenge', async () => {
      const key = await dpopKey();
      const token = await dpopToken(app, key);
      const response = await send(`${app.url}/resource`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(response.status, 401);
      assert.match(response.headers['www-authenticate'], /^DPoP /);
    });

    test('no token is 401 with a bare challenge (RFC 6750 §3.1)', async () => {
      const runs = app.handlerRuns;
      const response = await send(`${app.url}/resource`);
      assert.equal(response.status, 401);
      assert.match(response.headers['www-authenticate'], /^Bearer/);
      assert.doesNotMatch(response.headers['www-authenticate'], /error=/);
      assert.equal(app.handlerRuns, runs);
    });

    test('a Bearer token without a proof is served as Bearer', async () => {
      const issued = await send(`${app.url}/token`, {
        method: 'POST',
        headers: { ...FORM, Authorization: CLIENT },
        body: 'grant_type=client_credentials&scope=read',
      });
      const response = await send(`${app.url}/resource`, {
        headers: { Authorization: `Bearer ${issued.json().access_token}` },
      });
      assert.equal(response.status, 200);
      assert.equal(response.json().tokenScheme, 'Bearer');
    });
  });

  describe(`${framework}: PAR and the authorization code flow`, () => {
    let app;
    before(async () => {
      app = await startApp(framework, { dpopdUrl: dpopd.url, ...CALLER });
    });
    after(() => app.stop());
    const authorizationQuery =
      `response_type=code&client_id=demo-public-client&state=s1&code_challenge=${PKCE_CHALLENGE}` +
      `&code_challenge_method=S256&redirect_uri=${encodeURIComponent('http://127.0.0.1:3000/callback')}`;

    test('a valid authorization request reaches the interaction, and issue redirects with a code that redeems with a proof', async () => {
      const shown = await send(`${app.url}/authorize-show?${authorizationQuery}`);
      assert.equal(shown.status, 200);
      assert.equal(shown.json().clientId, 'demo-public-client');
      assert.deepEqual(shown.json().scopes, ['read', 'write']);
      const response = await send(`${app.url}/authorize?${authorizationQuery}`);
      assert.equal(response.status, 302);
      const location = new URL(response.headers.location);
      assert.equal(location.origin + location.pathname, 'http://127.0.0.1:3000/callback');
      assert.equal(location.searchParams.get('state'), 's1');
      const code = location.searchParams.get('code');
      const key = await dpopKey();
      const htu = `${app.url}/token`;
      const redeemed = await send(htu, {
        method: 'POST',
        headers: { ...FORM, DPoP: await key.proof('POST', htu) },
        body: `grant_type=authorization_code&client_id=demo-public-client&code=${code}&code_verifier=${PKCE_VERIFIER}&redirect_uri=${encodeURIComponent('http://127.0.0.1:3000/callback')}`,
      });
      assert.equal(redeemed.status, 200, redeemed.body);
      assert.equal(redeemed.json().token_type, 'DPoP');
    });

    test('a POSTed authorization request is read from the form body', async () => {
      const response = await send(`${app.url}/authorize`, { method: 'POST', headers: FORM, body: authorizationQuery });
      assert.equal(response.status, 302);
      assert.ok(new URL(response.headers.location).searchParams.get('code'));
    });

    test('fail redirects with access_denied', async () => {
      const response = await send(`${app.url}/authorize-deny?${authorizationQuery}`);
      assert.equal(response.status, 302);
      assert.equal(new URL(response.headers.location).searchParams.get('error'), 'access_denied');
    });

    test('an unknown client is 400 and never redirected', async () => {
      const response = await send(
        `${app.url}/authorize?response_type=code&client_id=nobody&redirect_uri=${encodeURIComponent('https://attacker.example/')}`,
      );
      assert.equal(response.status, 400);
      assert.equal(response.headers.location, undefined);
      assert.ok(response.json().error);
    });

    test('PAR answers 201 with a request_uri that the authorization endpoint takes', async () => {
      const key = await dpopKey();
      const htu = `${app.url}/par`;
      const pushed = await send(htu, {
        method: 'POST',
        headers: { ...FORM, DPoP: await key.proof('POST', htu) },
        body: authorizationQuery,
      });
      assert.equal(pushed.status, 201, pushed.body);
      assert.equal(pushed.headers['cache-control'], 'no-store');
      const requestUri = pushed.json().request_uri;
      assert.match(requestUri, /^urn:ietf:params:oauth:request_uri:/);
      const shown = await send(
        `${app.url}/authorize-show?client_id=demo-public-client&request_uri=${encodeURIComponent(requestUri)}`,
      );
      assert.equal(shown.status, 200, shown.body);
      assert.equal(shown.json().pushed, true);
      assert.equal(shown.json().dpopJkt, key.jkt);
    });

    test('PAR with two DPoP headers is refused with invalid_dpop_proof, even when each proof is valid', async () => {
      const key = await dpopKey();
      const htu = `${app.url}/par`;
      const response = await send(htu, {
        method: 'POST',
        headers: { ...FORM, DPoP: [await key.proof('POST', htu), await key.proof('POST', htu)] },
        body: authorizationQuery,
      });
      assert.equal(response.status, 400);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(response.json().error, 'invalid_dpop_proof');
    });

    test('PAR with an empty DPoP header is refused with invalid_dpop_proof', async () => {
      const response = await send(`${app.url}/par`, {
        method: 'POST',
        headers: { ...FORM, DPoP: '' },
        body: authorizationQuery,
      });
      assert.equal(response.status, 400);
      assert.equal(response.json().error, 'invalid_dpop_proof');
    });

    test('PAR with a wrong client secret is 401 with a Basic challenge', async () => {
      const response = await send(`${app.url}/par`, {
        method: 'POST',
        headers: { ...FORM, Authorization: basic('demo-client', 'wrong') },
        body: 'response_type=code&client_id=demo-client',
      });
      assert.equal(response.status, 401);
      assert.equal(response.json().error, 'invalid_client');
      assert.match(response.headers['www-authenticate'], /^Basic/);
    });
  });
}

describe('express: a form parser mounted before the relay', () => {
  let app;
  before(async () => {
    app = await startApp('express', { dpopdUrl: dpopd.url, ...CALLER });
  });
  after(() => app.stop());

  test('is an error of the application, not a relayed request', async () => {
    const response = await send(`${app.url}/parsed/token`, {
      method: 'POST',
      headers: { ...FORM, Authorization: CLIENT },
      body: 'grant_type=client_credentials',
    });
    assert.equal(response.status, 500);
    assert.match(response.json().message, /parsed before dpopd-relay/);
  });
});

describe('behind a trusted proxy', () => {
  for (const framework of FRAMEWORKS) {
    test(`${framework}: htu comes from X-Forwarded-Proto and -Host only with trustProxy`, async () => {
      const app = await startApp(framework, { dpopdUrl: dpopd.url, ...CALLER, publicUrl: undefined, trustProxy: true });
      try {
        const key = await dpopKey();
        const response = await send(`${app.url}/token`, {
          method: 'POST',
          headers: {
            ...FORM,
            Authorization: CLIENT,
            'X-Forwarded-Proto': 'https',
            'X-Forwarded-Host': 'as.example',
            DPoP: await key.proof('POST', 'https://as.example/token'),
          },
          body: 'grant_type=client_credentials',
        });
        assert.equal(response.status, 200, response.body);
      } finally {
        await app.stop();
      }
    });
  }
});
