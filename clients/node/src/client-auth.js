// The client's credentials at the token, PAR and revocation endpoints, from its raw
// `Authorization` header. Two ways to hand them to dpopd, chosen by one switch:
// - forward the header verbatim as `clientAuthorization` and let dpopd parse it (the end state);
// - decode `Basic` here per RFC 6749 §2.3.1 (base64, split at the first colon, form-urldecode
//   both parts) and send `clientId`/`clientSecret` (for a dpopd without `clientAuthorization`).

/** Flip to `true` once dpopd accepts `clientAuthorization` at /auth/token, /pushed_auth_req and /auth/revocation. */
export const FORWARD_CLIENT_AUTHORIZATION = false;

const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;
const IS_BASIC = /^Basic(?: |$)/i;

/**
 * What to send dpopd for the client's `Authorization` header (undefined when it sent none).
 * `usedBasic` says whether an `invalid_client` answer needs `WWW-Authenticate: Basic`
 * (RFC 6749 §5.2); `malformed` is a Basic header that does not decode, refused without asking dpopd.
 * @param {string | undefined} authorization
 * @param {boolean} [forward]
 * @returns {{ fields: Record<string, string>, usedBasic: boolean, malformed: boolean }}
 */
export function clientCredentialFields(authorization, forward = FORWARD_CLIENT_AUTHORIZATION) {
  if (authorization === undefined) return { fields: {}, usedBasic: false, malformed: false };
  const usedBasic = IS_BASIC.test(authorization);
  if (forward) return { fields: { clientAuthorization: authorization }, usedBasic, malformed: false };
  if (!usedBasic) return { fields: {}, usedBasic: false, malformed: false };
  const decoded = decodeBasic(authorization);
  if (decoded === null) return { fields: {}, usedBasic: true, malformed: true };
  return { fields: decoded, usedBasic: true, malformed: false };
}

/**
 * `Basic base64(form(id) ":" form(secret))` → the id and secret (RFC 6749 §2.3.1, RFC 7617 §2);
 * null when the base64 is not canonical, the text is not UTF-8 or has no colon.
 * @param {string} header
 * @returns {{ clientId: string, clientSecret: string } | null}
 */
export function decodeBasic(header) {
  const match = BASIC.exec(header);
  if (!match) return null;
  const bytes = Buffer.from(match[1], 'base64');
  // Buffer skips what is not base64; re-encoding tells a canonical value from a damaged one.
  if (bytes.toString('base64').replace(/=+$/, '') !== match[1].replace(/=+$/, '')) return null;
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  return { clientId: formDecode(text.slice(0, colon)), clientSecret: formDecode(text.slice(colon + 1)) };
}

/**
 * application/x-www-form-urlencoded decoding of one name or value (WHATWG URL §5.1): `+` is a
 * space, `%XX` an octet, anything else stays; the octets are read as UTF-8.
 * @param {string} text
 */
export function formDecode(text) {
  const input = Buffer.from(text.replace(/\+/g, ' '), 'utf8');
  const out = Buffer.alloc(input.length);
  let n = 0;
  for (let i = 0; i < input.length; i += 1) {
    if (input[i] === 0x25 && i + 2 < input.length && isHex(input[i + 1]) && isHex(input[i + 2])) {
      out[n++] = parseInt(String.fromCharCode(input[i + 1], input[i + 2]), 16);
      i += 2;
    } else {
      out[n++] = input[i];
    }
  }
  return new TextDecoder('utf-8').decode(out.subarray(0, n));
}

const isHex = (c) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
