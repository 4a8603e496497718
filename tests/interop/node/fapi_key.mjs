// The key pair of the FAPI client of the interop tests, made fresh for every run: the private
// JWK goes to the file named by the first argument (read by fapi.mjs and python/test_fapi.py),
// the public JWK Set to standard output (the client's `jwks` in dpopd_config.py).
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const kid = 'fapi-client-key';
writeFileSync(process.argv[2], JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256' }), {
  mode: 0o600,
});
console.log(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] }));
