// The relay's pure parts, without a dpopd: RFC 6749 §2.3.1 decoding of client credentials,
// the DPoP header count and access token from raw headers, and the public URL (`htu`).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientCredentialFields, decodeBasic, formDecode } from '../src/client-auth.js';
import { accessTokenFields, dpopFields, pathOf, queryOf } from '../src/request.js';
import { htuResolver } from '../src/public-url.js';
import { DpopdRelay } from '../src/relay.js';
import { basic } from './support/proof.js';

const b64 = (text) => Buffer.from(text, 'utf8').toString('base64');

describe('client credentials from Authorization: Basic (RFC 6749 §2.3.1)', () => {
  const pairs = [
    ['plain', 'demo-client', 'demo-client-secret'],
    ['unreserved marks', 'a-b.c_d~e', 's-._~'],
    ['a colon in the id and the secret', 'urn:client:1', 'p:a:ss'],
    ['percent and plus', '100%+id', '%2B+%'],
    ['spaces', 'my client', ' secret with spaces '],
    ['non-ASCII', 'clïent-é', 'sécret-€-日本'],
    ['every character at once', "id-._~:%+ é'", "s-._~:%+ é€/?#[]@!$&'()*,;="],
    ['an empty secret', 'public', ''],
  ];
  for (const [what, id, secret] of pairs) {
    test(`${what}: form-urlencoded by the client, decoded back exactly`, () => {
      assert.deepEqual(decodeBasic(basic(id, secret)), { clientId: id, clientSecret: secret });
    });
  }

  test('an id and secret the client did not form-encode are taken as they are, save + and %XX', () => {
    assert.deepEqual(decodeBasic(`Basic ${b64('demo-client:demo.secret~x')}`), {
      clientId: 'demo-client',
      clientSecret: 'demo.secret~x',
    });
    assert.deepEqual(decodeBasic(`Basic ${b64('a+b:c%41d%zz%')}`), { clientId: 'a b', clientSecret: 'cAd%zz%' });
  });

  test('the split is at the first colon of the decoded text, before form decoding', () => {
    assert.deepEqual(decodeBasic(`Basic ${b64('id%3Ax:secret:with:colons')}`), {
      clientId: 'id:x',
      clientSecret: 'secret:with:colons',
    });
  });

  test('the scheme is case-insensitive and the padding optional', () => {
    assert.deepEqual(decodeBasic(`bAsIc ${b64('ab:c').replace(/=+$/, '')}`), { clientId: 'ab', clientSecret: 'c' });
  });

  const malformed = [
    ['no colon', `Basic ${b64('no-colon')}`],
    ['not base64', 'Basic ###'],
    ['base64 with a character Buffer would skip', `Basic ${b64('a:b').slice(0, 2)}*${b64('a:b').slice(2)}`],
    ['not UTF-8', `Basic ${Buffer.from([0x61, 0x3a, 0xff]).toString('base64')}`],
    ['no credentials', 'Basic'],
    ['two tokens', `Basic ${b64('a:b')} ${b64('c:d')}`],
  ];
  for (const [what, header] of malformed) {
    test(`a Basic header with ${what} is malformed and refused without asking dpopd`, () => {
      assert.equal(decodeBasic(header), null);
      assert.deepEqual(clientCredentialFields(header, false), { fields: {}, usedBasic: true, malformed: true });
    });
  }

  test('decoding: clientId and clientSecret go to dpopd', () => {
    assert.deepEqual(clientCredentialFields(basic('a b', 'c'), false), {
      fields: { clientId: 'a b', clientSecret: 'c' },
      usedBasic: true,
      malformed: false,
    });
  });

  test('forwarding: the header goes to dpopd verbatim as clientAuthorization, even when malformed', () => {
    for (const header of [basic('id-._~:%+ é', 's'), 'Basic ###', 'Bearer abc']) {
      assert.deepEqual(clientCredentialFields(header, true).fields, { clientAuthorization: header });
    }
    assert.equal(clientCredentialFields('basic abc', true).usedBasic, true);
    assert.equal(clientCredentialFields('Bearer abc', true).usedBasic, false);
  });

  test('no header, or another scheme while decoding, sends no credentials', () => {
    assert.deepEqual(clientCredentialFields(undefined, false), { fields: {}, usedBasic: false, malformed: false });
    assert.deepEqual(clientCredentialFields(undefined, true).fields, {});
    assert.deepEqual(clientCredentialFields('Bearer abc', false), { fields: {}, usedBasic: false, malformed: false });
  });

  test('the switch defaults to decoding until dpopd takes clientAuthorization', () => {
    assert.deepEqual(Object.keys(clientCredentialFields(basic('a', 'b')).fields), ['clientId', 'clientSecret']);
    assert.equal(
      new DpopdRelay({ publicUrl: 'https://as.example', caller: 'c', secret: 's' }).forwardClientAuthorization,
      false,
    );
  });

  test('form decoding reads %XX octets as UTF-8 and leaves broken escapes', () => {
    assert.equal(formDecode('%C3%A9+%E2%82%AC'), 'é €');
    assert.equal(formDecode('%C3'), '\uFFFD');
    assert.equal(formDecode('%4'), '%4');
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
