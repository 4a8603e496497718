// OpenID Connect through the relay, in front of a real dpopd whose client may ask for `openid`
// and `email`: `prompt=none` reaches the application marked `noInteraction`, the request's
// OpenID Connect parameters reach it too, and what it gives `issue` about the authentication
// comes back in the ID token of the token answer, with the request's nonce; the userinfo
// endpoint answers the claims the token allows with the application's values.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FRAMEWORKS, OPENID_GRANT, startApp } from './support/apps.js';
import { CALLER, OPENID_CLIENT, OPENID_CONFIG, startDpopd } from './support/dpopd.js';
import { FORM, send } from './support/http.js';
import { ath, dpopKey } from './support/proof.js';

const PKCE_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'; // RFC 7636 appendix B
const PKCE_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const REDIRECT_URI = 'http://127.0.0.1:3000/callback';
const NONCE = "n-0S6_WzA2Mj ~!'()*";

/** An authorization request of the OpenID client with `extra` parameters, as a query. */
const query = (extra = {}) =>
  new URLSearchParams({
    response_type: 'code',
    client_id: OPENID_CLIENT,
    state: 's1',
    code_challenge: PKCE_CHALLENGE,
    code_challenge_method: 'S256',
    redirect_uri: REDIRECT_URI,
    ...extra,
  }).toString();

const payload = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

let dpopd;
before(async () => {
  dpopd = await startDpopd({ config: OPENID_CONFIG });
});
after(() => dpopd?.stop());

for (const framework of FRAMEWORKS) {
  describe(`${framework}: OpenID Connect`, () => {
    let app;
    before(async () => {
      app = await startApp(framework, { dpopdUrl: dpopd.url, ...CALLER });
    });
    after(() => app.stop());

    /** The 302 of `path` with `extra` request parameters, as its redirect's query. */
    async function redirected(path, extra) {
      const response = await send(`${app.url}${path}?${query(extra)}`);
      assert.equal(response.status, 302, response.body);
      const location = new URL(response.headers.location);
      assert.equal(location.origin + location.pathname, REDIRECT_URI);
      assert.equal(location.searchParams.get('state'), 's1');
      return location.searchParams;
    }

    test('prompt=none reaches the application as an interaction marked noInteraction, with the OpenID Connect parameters', async () => {
      const shown = await send(
        `${app.url}/authorize-show?${query({
          scope: 'openid email',
          prompt: 'none',
          nonce: NONCE,
          max_age: '300',
          acr_values: 'urn:example:loa:2 urn:example:loa:1',
          login_hint: 'alice@example.com',
          ui_locales: 'fr-CA en',
          claims: JSON.stringify({ id_token: { birthdate: { essential: true } } }),
        })}`,
      );
      assert.equal(shown.status, 200, shown.body);
      const interaction = shown.json();
      assert.equal(interaction.noInteraction, true);
      assert.deepEqual(interaction.prompts, ['NONE'], "Authlete's names");
      assert.equal(typeof interaction.ticket, 'string');
      assert.equal(interaction.clientId, OPENID_CLIENT);
      assert.deepEqual(interaction.scopes, ['openid', 'email']);
      assert.equal(interaction.maxAge, 300);
      assert.deepEqual(interaction.acrs, ['urn:example:loa:2', 'urn:example:loa:1']);
      assert.deepEqual(interaction.claims, ['email', 'email_verified', 'birthdate']);
      assert.equal(interaction.loginHint, 'alice@example.com');
      assert.deepEqual(interaction.uiLocales, ['fr-CA', 'en']);
      assert.equal(interaction.nonce, NONCE);
    });

    test('without prompt=none the interaction is not marked, and a request without openid has no OpenID Connect parameters', async () => {
      const shown = await send(`${app.url}/authorize-show?${query({ scope: 'read', nonce: NONCE, max_age: '300' })}`);
      assert.equal(shown.status, 200, shown.body);
      const interaction = shown.json();
      assert.equal(interaction.noInteraction, false);
      assert.deepEqual(interaction.scopes, ['read']);
      assert.equal(interaction.maxAge, undefined);
      assert.equal(interaction.nonce, undefined);
      assert.deepEqual(interaction.claims, []);
      assert.deepEqual(interaction.acrs, []);
      assert.deepEqual(interaction.uiLocales, []);
    });

    test('prompt=none for a user not logged in: no page, fail redirects with login_required', async () => {
      const params = await redirected('/authorize-silent', { scope: 'openid', prompt: 'none' });
      assert.equal(params.get('error'), 'login_required');
      assert.equal(params.get('code'), null);
      const page = await send(`${app.url}/authorize-silent?${query({ scope: 'openid' })}`);
      assert.equal(page.status, 200, 'the same request without prompt=none shows the login page');
      assert.equal(page.body, 'login page');
    });

    for (const prompt of [{}, { prompt: 'none' }]) {
      test(`issue with authTime, acr, amr, sid and claims${prompt.prompt ? ' (prompt=none, logged in)' : ''}: the token answer relays the id_token, whose nonce is the request's`, async () => {
        const params = await redirected('/authorize-openid', { scope: 'openid email', nonce: NONCE, ...prompt });
        const code = params.get('code');
        assert.ok(code, params.toString());
        const key = await dpopKey();
        const htu = `${app.url}/token`;
        const redeemed = await send(htu, {
          method: 'POST',
          headers: { ...FORM, DPoP: await key.proof('POST', htu) },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            client_id: OPENID_CLIENT,
            code,
            code_verifier: PKCE_VERIFIER,
            redirect_uri: REDIRECT_URI,
          }).toString(),
        });
        assert.equal(redeemed.status, 200, redeemed.body);
        assert.equal(redeemed.headers['cache-control'], 'no-store');
        const body = redeemed.json();
        assert.equal(body.token_type, 'DPoP');
        assert.equal(typeof body.id_token, 'string', redeemed.body);
        const claims = payload(body.id_token);
        assert.equal(claims.nonce, NONCE, 'the nonce exactly as the request sent it');
        assert.equal(claims.sub, OPENID_GRANT.subject);
        assert.equal(claims.aud, OPENID_CLIENT);
        assert.equal(claims.auth_time, OPENID_GRANT.authTime);
        assert.equal(claims.acr, OPENID_GRANT.acr);
        assert.deepEqual(claims.amr, OPENID_GRANT.amr);
        assert.equal(claims.sid, OPENID_GRANT.sid);
        assert.equal(claims.email, 'alice@example.com', 'asked for by the email scope');
        assert.equal(claims.email_verified, true);
        assert.equal(claims.phone_number, undefined, 'given, but not asked for');
      });
    }

    /** A DPoP-bound access token of the OpenID user for `scope`, and its key. */
    async function boundToken(scope) {
      const params = await redirected('/authorize-openid', { scope, nonce: NONCE });
      const key = await dpopKey();
      const htu = `${app.url}/token`;
      const redeemed = await send(htu, {
        method: 'POST',
        headers: { ...FORM, DPoP: await key.proof('POST', htu) },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: OPENID_CLIENT,
          code: params.get('code'),
          code_verifier: PKCE_VERIFIER,
          redirect_uri: REDIRECT_URI,
        }).toString(),
      });
      assert.equal(redeemed.status, 200, redeemed.body);
      return { token: redeemed.json().access_token, key };
    }

    const userinfo = async ({ token, key }, { scheme = 'DPoP', proof = true } = {}) => {
      const htu = `${app.url}/userinfo`;
      const headers = { Authorization: `${scheme} ${token}` };
      if (proof) headers.DPoP = await key.proof('GET', htu, { ath: ath(token) });
      return send(htu, { headers });
    };

    test('userinfo: the claims the token allows, with the values the lookup gives, sub set by dpopd', async () => {
      const bound = await boundToken('openid email');
      const lookupsBefore = app.lookups.length;
      const response = await userinfo(bound);
      assert.equal(response.status, 200, response.body);
      assert.match(response.headers['content-type'], /^application\/json/);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.deepEqual(
        response.json(),
        { sub: 'alice', email: 'alice@example.com', email_verified: true },
        'phone_number was given but not allowed',
      );
      assert.deepEqual(app.lookups.slice(lookupsBefore), [{ subject: 'alice', claims: ['email', 'email_verified'] }]);
    });

    test('userinfo: refusals are relayed with the challenge and the lookup never runs', async () => {
      const lookupsBefore = app.lookups.length;
      const noToken = await send(`${app.url}/userinfo`);
      assert.equal(noToken.status, 401);
      assert.match(noToken.headers['www-authenticate'], /\bDPoP\b/);
      const bound = await boundToken('openid email');
      const downgrade = await userinfo(bound, { scheme: 'Bearer', proof: false });
      assert.equal(downgrade.status, 401, 'a bound token as Bearer');
      assert.match(downgrade.headers['www-authenticate'], /^DPoP\b/);
      const noOpenid = await boundToken('email read');
      const forbidden = await userinfo(noOpenid);
      assert.equal(forbidden.status, 403, 'a token without openid');
      assert.match(forbidden.headers['www-authenticate'], /insufficient_scope/);
      assert.equal(app.lookups.length, lookupsBefore);
    });
  });
}
