// Client credentials with every character RFC 6749 §2.3.1 makes a client encode, against a
// dpopd that has such a client registered; what dpopd receives from the relay — the client's
// Authorization header verbatim as `clientAuthorization`, and at PAR the DPoP header count —
// checked on a stand-in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FRAMEWORKS, startApp } from './support/apps.js';
import { CALLER, startDpopd } from './support/dpopd.js';
import { startFake } from './support/fake.js';
import { FORM, send } from './support/http.js';
import { basic, dpopKey } from './support/proof.js';

const ODD_ID = "odd-._~:%+ é'client";
const ODD_SECRET = 's3cr-._~:%+ €/日本=&"x';
const toml = (s) => JSON.stringify(s); // a JSON string is a TOML basic string for these characters

let dpopd;
before(async () => {
  dpopd = await startDpopd({
    config: `
[[callers]]
key = "demo-caller"
secret = "demo-caller-secret"
roles = ["as", "rs"]

[[clients]]
client_id = ${toml(ODD_ID)}
client_secret = ${toml(ODD_SECRET)}
auth_method = "client_secret_basic"
grant_types = ["client_credentials"]
scopes = ["read"]
`,
  });
});
after(() => dpopd?.stop());

for (const framework of FRAMEWORKS) {
  describe(`${framework}: client credentials`, () => {
    let app;
    before(async () => {
      app = await startApp(framework, { dpopdUrl: dpopd.url, ...CALLER });
    });
    after(() => app.stop());

    test('an id and secret with - . _ ~ : % + space, quotes and non-ASCII authenticate when form-urlencoded', async () => {
      const key = await dpopKey();
      const response = await send(`${app.url}/token`, {
        method: 'POST',
        headers: {
          ...FORM,
          Authorization: basic(ODD_ID, ODD_SECRET),
          DPoP: await key.proof('POST', `${app.url}/token`),
        },
        body: 'grant_type=client_credentials',
      });
      assert.equal(response.status, 200, response.body);
      assert.equal(response.json().token_type, 'DPoP');
    });

    test('the same secret sent without form-encoding is 401 invalid_client: its %+ is no escape (dpopd decodes)', async () => {
      const raw = `Basic ${Buffer.from(`${encodeURIComponent(ODD_ID)}:${ODD_SECRET}`, 'utf8').toString('base64')}`;
      const response = await send(`${app.url}/token`, {
        method: 'POST',
        headers: { ...FORM, Authorization: raw },
        body: 'grant_type=client_credentials',
      });
      assert.equal(response.status, 401);
      assert.equal(response.json().error, 'invalid_client');
      assert.match(response.json().error_description, /not form-urlencoded/);
      assert.match(response.headers['www-authenticate'] ?? '', /^Basic/);
    });
  });
}

describe('what dpopd receives', () => {
  for (const framework of FRAMEWORKS) {
    test(`${framework}: token, PAR and revocation send the Authorization header verbatim and no decoded credentials`, async () => {
      const fake = await startFake((call) => ({
        action: call.path === '/pushed_auth_req' ? 'UNAUTHORIZED' : 'INVALID_CLIENT',
        responseContent: '{"error":"invalid_client"}',
      }));
      const app = await startApp(framework, { dpopdUrl: fake.url, ...CALLER });
      try {
        const header = basic(ODD_ID, ODD_SECRET);
        for (const path of ['/token', '/par', '/revoke']) {
          const response = await send(`${app.url}${path}`, {
            method: 'POST',
            headers: { ...FORM, Authorization: header },
            body: 'x=1',
          });
          assert.equal(response.status, 401, path);
          assert.match(response.headers['www-authenticate'] ?? '', /^Basic/, path);
        }
        assert.deepEqual(
          fake.received.map((r) => r.path),
          ['/auth/token', '/pushed_auth_req', '/auth/revocation'],
        );
        for (const { body } of fake.received) {
          assert.equal(body.clientAuthorization, header);
          assert.equal(body.clientId, undefined);
          assert.equal(body.clientSecret, undefined);
        }
      } finally {
        await app.stop();
        await fake.stop();
      }
    });

    test(`${framework}: PAR sends the DPoP header count and the first proof; dpopd judges them`, async () => {
      const fake = await startFake(() => ({
        action: 'BAD_REQUEST',
        responseContent: '{"error":"invalid_dpop_proof"}',
      }));
      const app = await startApp(framework, { dpopdUrl: fake.url, ...CALLER });
      try {
        const response = await send(`${app.url}/par`, {
          method: 'POST',
          headers: { ...FORM, DPoP: ['first.proof.x', 'second.proof.y'] },
          body: 'x=1',
        });
        assert.equal(response.status, 400);
        assert.equal(response.json().error, 'invalid_dpop_proof');
        assert.equal(fake.received.length, 1);
        assert.equal(fake.received[0].path, '/pushed_auth_req');
        assert.equal(fake.received[0].body.dpop, 'first.proof.x');
        assert.equal(fake.received[0].body.dpopHeaderCount, 2);
      } finally {
        await app.stop();
        await fake.stop();
      }
    });
  }
});
