// What the relay reads from the client's request, framework-neutral: every value comes from the
// raw header list (`rawHeaders` as Node's http module gives it), so repeated headers are seen
// as they were sent and never merged.

/**
 * The request as the relay needs it; the framework adapters build one.
 * @typedef {object} RelayRequest
 * @property {string} method       the HTTP method
 * @property {string} url          the request target as received: path and query
 * @property {string[]} rawHeaders name, value, name, value, ... (Node's `req.rawHeaders`)
 * @property {string} [body]       the form body, verbatim (token, PAR, revocation, POST authorization)
 * @property {boolean} [encrypted] the connection to this process is TLS
 */

/**
 * Every value of header `name`, in order, from a raw header list.
 * @param {string[]} rawHeaders
 * @param {string} name lower case
 */
export function headerValues(rawHeaders, name) {
  const values = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === name) values.push(rawHeaders[i + 1]);
  }
  return values;
}

/**
 * The `DPoP` header and how many there were: more than one is refused by dpopd
 * (RFC 9449 §4.3 step 1), so the count is taken before anything could merge them.
 * @param {string[]} rawHeaders
 */
export function dpopFields(rawHeaders) {
  const values = headerValues(rawHeaders, 'dpop');
  return values.length === 0 ? { dpopHeaderCount: 0 } : { dpop: values[0], dpopHeaderCount: values.length };
}

/**
 * The one `Authorization` header; `null` when there are several (which one counts would be a
 * guess, so the request is refused).
 * @param {string[]} rawHeaders
 * @returns {string | undefined | null}
 */
export function authorizationHeader(rawHeaders) {
  const values = headerValues(rawHeaders, 'authorization');
  if (values.length > 1) return null;
  return values[0];
}

// RFC 9449 §7.1 and RFC 6750 §2.1: `DPoP <token68>` or `Bearer <token68>`, scheme in any case.
const ACCESS_TOKEN = /^(DPoP|Bearer) +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The access token and the scheme it came with; empty when there is none (or several
 * `Authorization` headers), which dpopd answers with a bare challenge.
 * @param {string[]} rawHeaders
 * @returns {{ token?: string, tokenScheme?: 'DPoP' | 'Bearer' }}
 */
export function accessTokenFields(rawHeaders) {
  const header = authorizationHeader(rawHeaders);
  const match = header ? ACCESS_TOKEN.exec(header) : null;
  if (!match) return {};
  return { token: match[2], tokenScheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer' };
}

/** The path of a request target, without query or fragment (RFC 9449 §4.2: `htu` has neither). */
export function pathOf(url) {
  const end = url.search(/[?#]/);
  const path = end < 0 ? url : url.slice(0, end);
  return path.startsWith('/') ? path : `/${path}`;
}

/** The query string of a request target, without `?` (an authorization request's parameters). */
export function queryOf(url) {
  const start = url.indexOf('?');
  if (start < 0) return '';
  const hash = url.indexOf('#', start);
  return url.slice(start + 1, hash < 0 ? undefined : hash);
}
