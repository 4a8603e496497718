// The relay's pure parts, without a dpopd: the client's Authorization header as it is relayed,
// the DPoP header count and access token from raw headers, the public URL (`htu`), and the
// interaction of an authorization answer and the issue call of a grant.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { interactionOf, issueBody, userinfoReply } from '../src/answers.js';
import { clientCredentialFields } from '../src/client-auth.js';
import { DpopdUnavailable } from '../src/dpopd.js';
import { accessTokenFields, dpopFields, pathOf, queryOf } from '../src/request.js';
import { htuResolver } from '../src/public-url.js';
import { DpopdRelay } from '../src/relay.js';
import { basic } from './support/proof.js';

const b64 = (text) => Buffer.from(text, 'utf8').toString('base64');

describe("client credentials: the client's Authorization header, verbatim", () => {
  test('goes to dpopd as clientAuthorization, never decoded here, even when dpopd will refuse it', () => {
    for (const header of [
      basic("id-._~:%+ é'", 's-._~:%+ é€'),
      `Basic ${b64('demo-client:demo-client-secret')}`,
      'Basic ###',
      `Basic ${b64('no-colon')}`,
      'Bearer abc',
      '',
    ]) {
      assert.deepEqual(clientCredentialFields(header).fields, { clientAuthorization: header });
    }
  });

  test('no header sends no credentials', () => {
    assert.deepEqual(clientCredentialFields(undefined), { fields: {}, usedBasic: false });
  });

  test('the Basic scheme is recognised in any case, for the challenge of a 401', () => {
    for (const header of ['Basic YTpi', 'basic YTpi', 'BASIC YTpi', ' \tBasic YTpi', 'Basic']) {
      assert.equal(clientCredentialFields(header).usedBasic, true, header);
    }
    for (const header of ['Bearer abc', 'DPoP abc', 'Basicx YTpi', 'Digest username="a"', '']) {
      assert.equal(clientCredentialFields(header).usedBasic, false, header);
    }
  });
});

describe('request headers as sent', () => {
  test('DPoP headers are counted from the raw list, not merged', () => {
    assert.deepEqual(dpopFields(['Host', 'x', 'DPoP', 'a.b.c', 'dpop', 'd.e.f']), {
      dpop: 'a.b.c',
      dpopHeaderCount: 2,
    });
    assert.deepEqual(dpopFields(['DPoP', 'a.b.c']), { dpop: 'a.b.c', dpopHeaderCount: 1 });
    assert.deepEqual(dpopFields(['Host', 'x']), { dpopHeaderCount: 0 });
    assert.deepEqual(dpopFields(['DPoP', '']), { dpop: '', dpopHeaderCount: 1 });
  });

  test('the access token and its scheme come from one Authorization header', () => {
    assert.deepEqual(accessTokenFields(['Authorization', 'DPoP abc.def-_~+/=']), {
      token: 'abc.def-_~+/=',
      tokenScheme: 'DPoP',
    });
    assert.deepEqual(accessTokenFields(['authorization', 'bearer abc']), { token: 'abc', tokenScheme: 'Bearer' });
    assert.deepEqual(accessTokenFields(['Authorization', 'Basic abc']), {});
    assert.deepEqual(accessTokenFields(['Authorization', 'DPoP a,DPoP b']), {});
    assert.deepEqual(accessTokenFields(['Authorization', 'DPoP a', 'Authorization', 'DPoP b']), {});
  });

  test('path and query of a request target', () => {
    assert.equal(pathOf('/token?x=1#f'), '/token');
    assert.equal(pathOf('/a%20b'), '/a%20b');
    assert.equal(queryOf('/authorize?response_type=code&state=x'), 'response_type=code&state=x');
    assert.equal(queryOf('/authorize'), '');
  });
});

describe('the public URL of a request (htu)', () => {
  const request = (rawHeaders, url = '/token?q=1') => ({ method: 'POST', url, rawHeaders, encrypted: false });
  const forged = [
    'Host',
    'evil.example',
    'X-Forwarded-Host',
    'evil.example',
    'X-Forwarded-Proto',
    'http',
    'Forwarded',
    'host=evil.example',
  ];

  test('publicUrl wins over every header the client could forge', () => {
    const htu = htuResolver({ publicUrl: 'https://AS.example/base/' });
    assert.equal(htu(request(forged)), 'https://as.example/base/token');
  });

  test('a trusted proxy: X-Forwarded-Proto and -Host, the value the proxy appended last', () => {
    const htu = htuResolver({ trustProxy: true });
    assert.equal(
      htu(
        request([
          'Host',
          'internal:3000',
          'X-Forwarded-Proto',
          'https',
          'X-Forwarded-Host',
          'evil.example, as.example',
        ]),
      ),
      'https://as.example/token',
    );
    assert.equal(
      htu(
        request(['Host', 'internal:3000', 'X-Forwarded-Host', 'evil.example', 'X-Forwarded-Host', 'as.example:8443']),
      ),
      'http://as.example:8443/token',
    );
  });

  test('a trusted proxy: Forwarded (RFC 7239) before X-Forwarded-*', () => {
    const htu = htuResolver({ trustProxy: true });
    assert.equal(
      htu(
        request([
          'Forwarded',
          'for=1.2.3.4;proto=http;host=evil, for=5.6.7.8;proto=https;host="as.example"',
          'X-Forwarded-Host',
          'other',
        ]),
      ),
      'https://as.example/token',
    );
  });

  test('a trusted proxy that names nothing: the Host header and the connection', () => {
    const htu = htuResolver({ trustProxy: true });
    assert.equal(htu({ ...request(['Host', 'as.example']), encrypted: true }), 'https://as.example/token');
  });

  test('an unusable origin gives no htu', () => {
    const htu = htuResolver({ trustProxy: true });
    assert.equal(htu(request(['X-Forwarded-Proto', 'gopher', 'Host', 'as.example'])), null);
    assert.equal(htu(request(['Host', 'as.example/path'])), null);
    assert.equal(htu(request(['Host', 'a', 'Host', 'b'])), null);
    assert.equal(htu(request([])), null);
  });

  test('neither publicUrl nor trustProxy is a configuration error', () => {
    assert.throws(() => htuResolver({}), /publicUrl/);
    assert.throws(() => htuResolver({ trustProxy: 'yes' }), /publicUrl/);
    assert.throws(() => htuResolver({ publicUrl: 'ftp://as.example' }), /http/);
    assert.throws(() => htuResolver({ publicUrl: 'https://as.example/?x=1' }), /query/);
  });
});

describe('relay configuration', () => {
  test('caller credentials come from the environment, and are required', () => {
    const saved = { ...process.env };
    try {
      delete process.env.DPOPD_CALLER;
      delete process.env.DPOPD_SECRET;
      assert.throws(() => new DpopdRelay({ publicUrl: 'https://as.example' }), /DPOPD_CALLER/);
      process.env.DPOPD_CALLER = 'c';
      process.env.DPOPD_SECRET = 's';
      assert.ok(new DpopdRelay({ publicUrl: 'https://as.example' }));
    } finally {
      process.env = saved;
    }
  });

  test('a timeout must be a positive number', () => {
    assert.throws(
      () => new DpopdRelay({ publicUrl: 'https://as.example', caller: 'c', secret: 's', timeoutMs: 0 }),
      /timeoutMs/,
    );
  });
});

describe('protect requirements', () => {
  test('a scope given as a string, an empty scope or a non-string subject fails when the route is made', async () => {
    const { dpopdExpress } = await import('../src/express.js');
    const dpopd = dpopdExpress({ publicUrl: 'https://as.example', caller: 'c', secret: 's' });
    assert.throws(() => dpopd.protect({ scopes: 'read' }), /arrays of non-empty strings/);
    assert.throws(() => dpopd.protect({ scopes: [''] }), /arrays of non-empty strings/);
    assert.throws(() => dpopd.protect({ resources: [1] }), /arrays of non-empty strings/);
    assert.throws(() => dpopd.protect({ subject: 7 }), /subject/);
    assert.equal(
      typeof dpopd.protect({ scopes: ['read'], resources: ['https://api.example'], subject: 'alice' }),
      'function',
    );
  });
});

describe('the authorization answer and the issue call', () => {
  const answer = {
    action: 'NO_INTERACTION',
    ticket: 't',
    clientId: 'c',
    scopes: [{ name: 'openid' }, { name: 'email' }],
    prompts: ['NONE'],
    pushed: false,
    maxAge: 0,
    acrs: ['a1', 'a2'],
    claims: ['email', 'email_verified'],
    loginHint: 'alice',
    uiLocales: ['fr'],
    nonce: 'n',
  };

  test('NO_INTERACTION is an interaction marked noInteraction, INTERACTION one not marked', () => {
    const interaction = interactionOf('/auth/authorization', answer);
    assert.equal(interaction.noInteraction, true);
    assert.deepEqual(interaction.scopes, ['openid', 'email']);
    assert.equal(interaction.maxAge, 0, 'max_age=0 is kept (OIDC Core §3.1.2.1: authenticate again)');
    assert.deepEqual(interaction.acrs, ['a1', 'a2']);
    assert.deepEqual(interaction.claims, ['email', 'email_verified']);
    assert.equal(interaction.loginHint, 'alice');
    assert.deepEqual(interaction.uiLocales, ['fr']);
    assert.equal(interaction.nonce, 'n');
    assert.equal(interactionOf('/auth/authorization', { ...answer, action: 'INTERACTION' }).noInteraction, false);
  });

  test('OpenID Connect fields of the wrong type are left out, not passed on', () => {
    const interaction = interactionOf('/auth/authorization', {
      ...answer,
      maxAge: '300',
      acrs: 'a1',
      claims: ['email', 7],
      loginHint: 1,
      uiLocales: null,
      nonce: ['n'],
    });
    assert.equal(interaction.maxAge, undefined);
    assert.deepEqual(interaction.acrs, []);
    assert.deepEqual(interaction.claims, ['email']);
    assert.equal(interaction.loginHint, undefined);
    assert.deepEqual(interaction.uiLocales, []);
    assert.equal(interaction.nonce, undefined);
    assert.equal(interactionOf('/auth/authorization', { ...answer, maxAge: -1 }).maxAge, undefined);
  });

  test('NO_INTERACTION without a ticket or clientId is dpopd failing', () => {
    assert.throws(() => interactionOf('/auth/authorization', { ...answer, ticket: undefined }), DpopdUnavailable);
    assert.throws(() => interactionOf('/auth/authorization', { ...answer, clientId: 1 }), DpopdUnavailable);
  });

  test('issue sends claims given as an object as its JSON text, and everything else as given', () => {
    const grant = { ticket: 't', subject: 'alice', authTime: 1, acr: 'a', amr: ['pwd'], sid: 's' };
    assert.deepEqual(issueBody({ ...grant, claims: { email: 'a@example.com' } }), {
      ...grant,
      claims: '{"email":"a@example.com"}',
    });
    assert.deepEqual(issueBody({ ...grant, claims: '{"email":"a@example.com"}' }), {
      ...grant,
      claims: '{"email":"a@example.com"}',
    });
    assert.deepEqual(issueBody(grant), grant);
  });
});

describe('the userinfo answer', () => {
  const nonce = { 'DPoP-Nonce': 'n1' };
  test('OK is the body with its content type, the nonce of /auth/userinfo kept', () => {
    const reply = userinfoReply(
      '/auth/userinfo/issue',
      {
        action: 'OK',
        responseContent: '{"sub":"alice"}',
        contentType: 'application/json',
      },
      nonce,
    );
    assert.deepEqual(reply, {
      status: 200,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'DPoP-Nonce': 'n1' },
      body: '{"sub":"alice"}',
    });
  });
  test('a refusal of the token is its challenge, with the nonce', () => {
    const reply = userinfoReply(
      '/auth/userinfo/issue',
      {
        action: 'UNAUTHORIZED',
        responseContent: 'DPoP error="invalid_token"',
      },
      nonce,
    );
    assert.equal(reply.status, 401);
    assert.equal(reply.headers['WWW-Authenticate'], 'DPoP error="invalid_token"');
    assert.equal(reply.headers['DPoP-Nonce'], 'n1');
  });
  test('OK without a body, or with another content type, is dpopd failing (503)', () => {
    for (const answer of [
      { action: 'OK', contentType: 'application/json' },
      { action: 'OK', responseContent: '<html>', contentType: 'text/html' },
      { action: 'LOCATION', responseContent: 'https://elsewhere.example' },
    ]) {
      assert.throws(() => userinfoReply('/auth/userinfo/issue', answer, {}), DpopdUnavailable, JSON.stringify(answer));
    }
  });
});
