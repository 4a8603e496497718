// A relay must never serve a request dpopd did not clear: dpopd stopped, answering HTTP 500,
// answering garbage or an answer it never gives, or not answering in time is 503 with a JSON
// error, and the protected handler never runs. dpopd's own INTERNAL_SERVER_ERROR is 500.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FRAMEWORKS, startApp } from './support/apps.js';
import { CALLER, startDpopd } from './support/dpopd.js';
import { startFake } from './support/fake.js';
import { FORM, send } from './support/http.js';
import { basic, dpopKey } from './support/proof.js';

const CLIENT = basic('demo-client', 'demo-client-secret');

/** The token endpoint, a protected resource and the authorization endpoint all answer 503 (`skip` names those not to try). */
async function expectUnavailable(app, skip = []) {
  const runs = app.handlerRuns;
  if (!skip.includes('token')) await expectTokenUnavailable(app);
  if (!skip.includes('resource')) {
    const resource = await send(`${app.url}/resource`, {
      headers: { Authorization: 'DPoP some.token.value', DPoP: 'a.b.c' },
    });
    assert.equal(resource.status, 503, resource.body);
    assert.match(resource.headers['content-type'], /^application\/json/);
    assert.equal(resource.json().error, 'temporarily_unavailable');
    assert.equal(resource.headers['www-authenticate'], undefined);
  }
  if (!skip.includes('authorize')) {
    const authorize = await send(`${app.url}/authorize?response_type=code&client_id=demo-public-client`);
    assert.equal(authorize.status, 503);
  }
  assert.equal(app.handlerRuns, runs, 'the protected handler never ran');
}

async function expectTokenUnavailable(app) {
  const token = await send(`${app.url}/token`, {
    method: 'POST',
    headers: { ...FORM, Authorization: CLIENT },
    body: 'grant_type=client_credentials',
  });
  assert.equal(token.status, 503, token.body);
  assert.equal(token.json().error, 'temporarily_unavailable');
  assert.equal(token.headers['cache-control'], 'no-store');
}

for (const framework of FRAMEWORKS) {
  describe(`${framework}: fail closed`, () => {
    test('dpopd stopped: 503 JSON, the handler never runs', async () => {
      const dpopd = await startDpopd();
      const app = await startApp(framework, { dpopdUrl: dpopd.url, ...CALLER });
      try {
        const key = await dpopKey();
        const before = await send(`${app.url}/token`, {
          method: 'POST',
          headers: { ...FORM, Authorization: CLIENT, DPoP: await key.proof('POST', `${app.url}/token`) },
          body: 'grant_type=client_credentials&scope=read',
        });
        assert.equal(before.status, 200);
        await dpopd.stop();
        await expectUnavailable(app);
        const userinfo = await send(`${app.url}/userinfo`, {
          headers: { Authorization: 'DPoP some.token.value', DPoP: 'a.b.c' },
        });
        assert.equal(userinfo.status, 503, userinfo.body);
        assert.equal(userinfo.json().error, 'temporarily_unavailable');
        assert.equal(app.lookups.length, 0, 'the userinfo lookup never ran');
      } finally {
        await app.stop();
        await dpopd.stop();
      }
    });

    for (const [what, mode, skip] of [
      ['HTTP 500', 'http500', []],
      ['garbage', 'garbage', []],
      ['JSON without an action', () => ({ resultCode: 'A001101' }), []],
      [
        'an action the endpoint never answers',
        () => ({ action: 'LOCATION', responseContent: 'https://x.example/' }),
        ['authorize'],
      ],
      [
        "OK without the token's facts",
        () => ({ action: 'OK', responseContent: '{}', existent: true, usable: true, sufficient: false }),
        ['token'],
      ],
      [
        'OK with sufficient but no subject',
        () => ({ action: 'OK', sufficient: true, clientId: 'c', scopes: ['read'] }),
        ['token', 'authorize'],
      ],
      ['a refusal without a challenge', () => ({ action: 'UNAUTHORIZED' }), ['authorize']],
      ['NO_INTERACTION without a ticket', () => ({ action: 'NO_INTERACTION', clientId: 'c', prompts: ['NONE'] }), []],
      [
        'a challenge that would split the header',
        () => ({ action: 'UNAUTHORIZED', responseContent: 'DPoP\r\nSet-Cookie: x=1' }),
        ['authorize'],
      ],
      [
        'a nonce that is not one',
        () => ({ action: 'BAD_REQUEST', responseContent: '{"error":"invalid_request"}', dpopNonce: 'a b' }),
        ['authorize'],
      ],
      [
        'a token answer whose body is not JSON',
        () => ({ action: 'OK', responseContent: 'access_token=x' }),
        ['resource', 'authorize'],
      ],
      [
        'a redirect that would split the header',
        () => ({ action: 'LOCATION', responseContent: 'https://x.example/\r\nSet-Cookie: x=1' }),
        ['token', 'resource'],
      ],
    ]) {
      test(`dpopd answering ${what}: 503`, async () => {
        const fake = await startFake(mode);
        const app = await startApp(framework, { dpopdUrl: fake.url, ...CALLER });
        try {
          await expectUnavailable(app, skip);
        } finally {
          await app.stop();
          await fake.stop();
        }
      });
    }

    test('dpopd not answering within timeoutMs: 503 in about that time', async () => {
      const fake = await startFake('silent');
      const app = await startApp(framework, { dpopdUrl: fake.url, ...CALLER, timeoutMs: 300 });
      try {
        const started = Date.now();
        await expectUnavailable(app);
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 3 * 300 && elapsed < 3 * 300 + 2000, `${elapsed} ms for three calls`);
      } finally {
        await app.stop();
        await fake.stop();
      }
    });

    test("dpopd's INTERNAL_SERVER_ERROR without responseContent: 500 server_error, no challenge", async () => {
      const fake = await startFake(() => ({
        action: 'INTERNAL_SERVER_ERROR',
        resultCode: 'A056101',
        resultMessage: '[A056101] store',
      }));
      const app = await startApp(framework, { dpopdUrl: fake.url, ...CALLER });
      try {
        const token = await send(`${app.url}/token`, {
          method: 'POST',
          headers: { ...FORM, Authorization: CLIENT },
          body: 'grant_type=client_credentials',
        });
        assert.equal(token.status, 500);
        assert.equal(token.json().error, 'server_error');
        const resource = await send(`${app.url}/resource`, { headers: { Authorization: 'DPoP t', DPoP: 'a.b.c' } });
        assert.equal(resource.status, 500);
        assert.equal(resource.json().error, 'server_error');
        assert.equal(resource.headers['www-authenticate'], undefined);
        assert.equal(app.handlerRuns, 0);
      } finally {
        await app.stop();
        await fake.stop();
      }
    });

    test('wrong caller credentials (dpopd answers 401 to the relay): 503, the handler never runs', async () => {
      const dpopd = await startDpopd();
      const app = await startApp(framework, { dpopdUrl: dpopd.url, caller: 'demo-caller', secret: 'wrong' });
      try {
        await expectUnavailable(app);
      } finally {
        await app.stop();
        await dpopd.stop();
      }
    });
  });
}
