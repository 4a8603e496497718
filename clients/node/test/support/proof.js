// DPoP proofs (RFC 9449 §4.2) made with WebCrypto: ES256 keys, compact JWS with the raw r‖s
// signature WebCrypto already produces.
import { createHash, randomUUID } from 'node:crypto';

const b64u = (data) => Buffer.from(data).toString('base64url');

export async function dpopKey() {
  const { publicKey, privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', publicKey);
  const jwk = { kty, crv, x, y };
  // RFC 7638 §3.2: required members in lexicographic order, no spaces.
  const jkt = b64u(createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest());
  return {
    jwk,
    jkt,
    /** A proof for `htm` `htu`; `claims` adds or overrides (nonce, ath, iat...). */
    async proof(htm, htu, claims = {}) {
      const header = { typ: 'dpop+jwt', alg: 'ES256', jwk };
      const payload = { jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000), ...claims };
      const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
      const signature = await crypto.subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        privateKey,
        new TextEncoder().encode(input),
      );
      return `${input}.${b64u(signature)}`;
    },
  };
}

export const ath = (token) => b64u(createHash('sha256').update(token).digest());

/** `Authorization: Basic` as RFC 6749 §2.3.1 has a client make it: each part form-urlencoded. */
export function basic(id, secret) {
  const form = (s) => new URLSearchParams({ v: s }).toString().slice(2);
  return `Basic ${Buffer.from(`${form(id)}:${form(secret)}`, 'utf8').toString('base64')}`;
}
