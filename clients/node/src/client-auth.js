// The client's credentials at the token, PAR and revocation endpoints: its `Authorization`
// header goes to dpopd verbatim as `clientAuthorization`. dpopd decodes it — base64, the split
// at the first colon, and the form-urldecoding of both parts that RFC 6749 §2.3.1 has the
// client apply first — and refuses each malformation with its own result code, so credentials
// are read in one place and the same way behind every relay.

// RFC 9110 §11.1: the scheme is case-insensitive.
const IS_BASIC = /^[ \t]*Basic(?:[ \t]|$)/i;

/**
 * What to send dpopd for the client's `Authorization` header (undefined when it sent none).
 * `usedBasic` says whether a 401 needs `WWW-Authenticate: Basic` (RFC 6749 §5.2).
 * @param {string | undefined} authorization
 * @returns {{ fields: { clientAuthorization?: string }, usedBasic: boolean }}
 */
export function clientCredentialFields(authorization) {
  if (authorization === undefined) return { fields: {}, usedBasic: false };
  return { fields: { clientAuthorization: authorization }, usedBasic: IS_BASIC.test(authorization) };
}
