// The relay rules, framework-neutral: each method takes a `RelayRequest`, calls dpopd once and
// returns what to answer the client (`Reply`), following dpopd's `action` (README "Relay
// rules", openapi.yaml). Every failure to get a usable answer from dpopd becomes 503 with a
// JSON error; no path turns a failure into "serve the request".
import { clientCredentialFields, FORWARD_CLIENT_AUTHORIZATION } from './client-auth.js';
import { Dpopd, DpopdUnavailable } from './dpopd.js';
import { accessTokenFields, authorizationHeader, dpopFields, queryOf } from './request.js';
import { htuResolver } from './public-url.js';

/**
 * What to send the client.
 * @typedef {object} Reply
 * @property {number} status
 * @property {Record<string, string>} headers
 * @property {string} body
 */

/**
 * The token's facts when dpopd said `OK` to a resource request.
 * @typedef {object} Principal
 * @property {string} subject
 * @property {string} clientId
 * @property {string[]} scopes
 * @property {'DPoP' | 'Bearer'} tokenScheme how the client presented the token
 * @property {string} [jkt]       the key the token is bound to (RFC 7638 thumbprint)
 * @property {number} [expiresAt] milliseconds since the epoch
 * @property {{ key: string, value: string, hidden?: boolean }[]} [properties]
 */

/**
 * An authorization request dpopd found valid: log the user in, ask for consent, then `issue`
 * (or `fail`) with the `ticket`.
 * @typedef {object} Interaction
 * @property {string} ticket
 * @property {string} clientId
 * @property {string[]} scopes
 * @property {string} [state]
 * @property {string} [redirectUri]
 * @property {string[]} prompts
 * @property {string} [dpopJkt]
 * @property {boolean} pushed
 */

// RFC 9449 §8: a nonce is 1*NQCHAR.
const NONCE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
// A header value dpopd hands over (challenge, Location): visible ASCII and spaces only.
const HEADER_VALUE = /^[\x21-\x7e][\x20-\x7e]*$/;

const TOKEN_STATUS = { OK: 200, BAD_REQUEST: 400, INVALID_CLIENT: 401 };
const PAR_STATUS = { CREATED: 201, BAD_REQUEST: 400, UNAUTHORIZED: 401 };
const REVOCATION_STATUS = { OK: 200, BAD_REQUEST: 400, INVALID_CLIENT: 401 };
const RESOURCE_STATUS = { BAD_REQUEST: 400, UNAUTHORIZED: 401, FORBIDDEN: 403 };

const json = (value) => JSON.stringify(value);
const UNAVAILABLE = json({ error: 'temporarily_unavailable', error_description: 'The authorization service is unavailable; try again later.' });
const SERVER_ERROR = json({ error: 'server_error' });

/**
 * @typedef {import('./dpopd.js').DpopdOptions & {
 *   publicUrl?: string, trustProxy?: boolean, maxBodyBytes?: number, log?: (message: string) => void
 * }} RelayOptions
 */

/** The largest form body relayed (default): dpopd refuses API calls over 64 KiB, the form's JSON escaping included. */
export const MAX_BODY_BYTES = 32 * 1024;

export class DpopdRelay {
  #dpopd;
  #htu;
  #log;
  /** The largest form body relayed; larger ones are answered 413. */
  maxBodyBytes;
  /** Whether client credentials go to dpopd as the raw header (see client-auth.js). */
  forwardClientAuthorization = FORWARD_CLIENT_AUTHORIZATION;

  /** @param {RelayOptions} [options] */
  constructor(options = {}) {
    this.#dpopd = new Dpopd(options);
    this.#htu = htuResolver(options);
    this.#log = options.log ?? ((message) => console.error(message));
    this.maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  }

  /** dpopd's answer to any API call, for what the relay does not wrap. @throws {DpopdUnavailable} */
  call(path, body) {
    return this.#dpopd.call(path, body);
  }

  /** The token endpoint (RFC 6749 §3.2, RFC 9449 §5). @param {import('./request.js').RelayRequest} request @returns {Promise<Reply>} */
  async token(request) {
    return this.#clientCall(request, '/auth/token', TOKEN_STATUS, (credentials, htu) => ({
      parameters: request.body ?? '',
      ...credentials,
      ...dpopFields(request.rawHeaders),
      htm: request.method,
      htu,
    }));
  }

  /** The pushed authorization request endpoint (RFC 9126). @param {import('./request.js').RelayRequest} request @returns {Promise<Reply>} */
  async pushedAuthorizationRequest(request) {
    const dpop = dpopFields(request.rawHeaders);
    // dpopd's PAR call takes one proof and no count: more than one DPoP header is refused here
    // (RFC 9449 §4.3 step 1) rather than letting dpopd see only the first.
    if (dpop.dpopHeaderCount > 1) {
      return jsonReply(400, json({ error: 'invalid_dpop_proof', error_description: 'More than one DPoP header.' }));
    }
    return this.#clientCall(request, '/pushed_auth_req', PAR_STATUS, (credentials, htu) => ({
      parameters: request.body ?? '',
      ...credentials,
      ...dpop,
      htm: request.method,
      htu,
    }));
  }

  /** The revocation endpoint (RFC 7009): 200 with an empty body on `OK`. @param {import('./request.js').RelayRequest} request @returns {Promise<Reply>} */
  async revocation(request) {
    return this.#clientCall(request, '/auth/revocation', REVOCATION_STATUS, (credentials) => ({
      parameters: request.body ?? '',
      ...credentials,
    }));
  }

  /**
   * The authorization endpoint (RFC 6749 §4.1.1): the query (GET) or form body (POST) goes to
   * dpopd; a valid request comes back as an `interaction` for the application's login and
   * consent pages, anything else as the `reply` to send (302 to the client, or 400).
   * @param {import('./request.js').RelayRequest} request
   * @returns {Promise<{ interaction: Interaction } | { reply: Reply }>}
   */
  async authorization(request) {
    const parameters = request.method === 'POST' ? (request.body ?? '') : queryOf(request.url);
    return this.#guard('/auth/authorization', async () => {
      if (this.#tooLarge(request)) return { reply: TOO_LARGE };
      const answer = await this.#dpopd.call('/auth/authorization', { parameters });
      if (answer.action !== 'INTERACTION') return { reply: ticketReply('/auth/authorization', answer) };
      if (typeof answer.ticket !== 'string' || typeof answer.clientId !== 'string') {
        throw new DpopdUnavailable('/auth/authorization', 'INTERACTION without ticket or clientId');
      }
      return {
        interaction: {
          ticket: answer.ticket,
          clientId: answer.clientId,
          scopes: Array.isArray(answer.scopes) ? answer.scopes.map((s) => s?.name).filter((s) => typeof s === 'string') : [],
          state: answer.state,
          redirectUri: answer.redirectUri,
          prompts: Array.isArray(answer.prompts) ? answer.prompts : [],
          dpopJkt: answer.dpopJkt,
          pushed: answer.pushed === true,
        },
      };
    }, (reply) => ({ reply }));
  }

  /**
   * The user is logged in as `subject` and consented: the code goes to the client (302).
   * @param {{ ticket: string, subject: string, scopes?: string[], properties?: object[], jwtAtClaims?: string }} grant
   * @returns {Promise<Reply>}
   */
  async issue(grant) {
    return this.#guard('/auth/authorization/issue', async () =>
      ticketReply('/auth/authorization/issue', await this.#dpopd.call('/auth/authorization/issue', grant)));
  }

  /**
   * The request ends with an error for the client (302), e.g. `{ ticket, reason: 'DENIED' }`.
   * @param {{ ticket: string, reason: string, description?: string }} failure
   * @returns {Promise<Reply>}
   */
  async fail(failure) {
    return this.#guard('/auth/authorization/fail', async () =>
      ticketReply('/auth/authorization/fail', await this.#dpopd.call('/auth/authorization/fail', failure)));
  }

  /**
   * A resource request (RFC 9449 §7, RFC 6750): `{ principal, headers }` when dpopd says `OK` —
   * serve it, adding `headers` (a fresh `DPoP-Nonce`) to the answer — or the refusal `reply`.
   * @param {import('./request.js').RelayRequest} request
   * @param {{ scopes?: string[], subject?: string, resources?: string[], dpopNonceRequired?: boolean }} [requirements]
   * @returns {Promise<{ principal: Principal, headers: Record<string, string> } | { reply: Reply }>}
   */
  async introspect(request, requirements = {}) {
    const path = '/auth/introspection';
    return this.#guard(path, async () => {
      const htu = this.#htu(request);
      if (htu === null) return { reply: this.#noOrigin(path) };
      const token = accessTokenFields(request.rawHeaders);
      const { scopes, subject, resources, dpopNonceRequired } = requirements;
      const answer = await this.#dpopd.call(path, {
        ...token,
        scopes,
        subject,
        resources,
        dpopNonceRequired,
        ...dpopFields(request.rawHeaders),
        htm: request.method,
        htu,
      });
      const nonce = nonceHeader(path, answer);
      if (answer.action === 'OK') return { principal: principalOf(path, answer, token.tokenScheme), headers: nonce };
      const headers = { 'Cache-Control': 'no-store', ...nonce };
      if (answer.action === 'INTERNAL_SERVER_ERROR') return { reply: jsonReply(500, SERVER_ERROR, headers) };
      const status = RESOURCE_STATUS[answer.action];
      const challenge = answer.responseContent;
      if (status === undefined || typeof challenge !== 'string' || !HEADER_VALUE.test(challenge)) {
        throw new DpopdUnavailable(path, `unexpected ${answer.action} answer`);
      }
      // RFC 6750 §3, RFC 9449 §7.1: dpopd's challenge is the WWW-Authenticate value, verbatim.
      return { reply: { status, headers: { ...headers, 'WWW-Authenticate': challenge }, body: '' } };
    }, (reply) => ({ reply }));
  }

  // Token, PAR and revocation: client credentials, then the JSON body of the answer.
  async #clientCall(request, path, statuses, body) {
    return this.#guard(path, async () => {
      if (this.#tooLarge(request)) return TOO_LARGE;
      const authorization = authorizationHeader(request.rawHeaders);
      if (authorization === null) {
        return jsonReply(400, json({ error: 'invalid_request', error_description: 'More than one Authorization header.' }));
      }
      const credentials = clientCredentialFields(authorization, this.forwardClientAuthorization);
      if (credentials.malformed) {
        // RFC 6749 §5.2: Basic credentials that do not decode fail client authentication.
        return jsonReply(401, json({ error: 'invalid_client', error_description: 'Client authentication failed.' }), BASIC_CHALLENGE);
      }
      const htu = this.#htu(request);
      if (htu === null) return this.#noOrigin(path);
      const answer = await this.#dpopd.call(path, body(credentials.fields, htu));
      return formReply(path, answer, statuses, credentials.usedBasic);
    });
  }

  #tooLarge(request) {
    return request.body !== undefined && Buffer.byteLength(request.body, 'utf8') > this.maxBodyBytes;
  }

  #noOrigin(path) {
    this.#log(`dpopd-relay: ${path}: the trusted proxy's headers name no usable origin; no htu`);
    return jsonReply(400, json({ error: 'invalid_request', error_description: 'The request names no usable host.' }));
  }

  // Runs one relay step; a dpopd failure, or any fault of ours, is 503 and a log line.
  async #guard(path, step, wrap = (reply) => reply) {
    try {
      return await step();
    } catch (err) {
      this.#log(`dpopd-relay: ${err instanceof DpopdUnavailable ? err.message : `${path}: ${err?.stack ?? err}`}`);
      return wrap(jsonReply(503, UNAVAILABLE));
    }
  }
}

const TOO_LARGE = jsonReply(413, json({ error: 'invalid_request', error_description: 'The request body is too large.' }));
const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="oauth", charset="UTF-8"' };

function jsonReply(status, body, headers = {}) {
  return { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers }, body };
}

function nonceHeader(path, answer) {
  if (answer.dpopNonce === undefined || answer.dpopNonce === null) return {};
  if (typeof answer.dpopNonce !== 'string' || !NONCE.test(answer.dpopNonce)) throw new DpopdUnavailable(path, 'dpopNonce is not a nonce');
  return { 'DPoP-Nonce': answer.dpopNonce };
}

// Token, PAR, revocation: the status of the action, `responseContent` as the JSON body.
function formReply(path, answer, statuses, usedBasic) {
  const headers = nonceHeader(path, answer);
  const content = answer.responseContent;
  if (answer.action === 'INTERNAL_SERVER_ERROR') {
    return jsonReply(500, typeof content === 'string' && isJsonObject(content) ? content : SERVER_ERROR, headers);
  }
  const status = statuses[answer.action];
  if (status === undefined) throw new DpopdUnavailable(path, `unexpected action ${answer.action}`);
  if (content === undefined && path === '/auth/revocation' && status === 200) {
    return { status, headers: { 'Cache-Control': 'no-store', ...headers }, body: '' }; // RFC 7009 §2.2
  }
  if (typeof content !== 'string' || !isJsonObject(content)) throw new DpopdUnavailable(path, `${answer.action} without a JSON responseContent`);
  if (status === 401 && usedBasic) Object.assign(headers, BASIC_CHALLENGE);
  return jsonReply(status, content, headers);
}

// Authorization, issue, fail: LOCATION is a redirect, anything else a JSON error page.
function ticketReply(path, answer) {
  const content = answer.responseContent;
  if (answer.action === 'LOCATION') {
    if (typeof content !== 'string' || !HEADER_VALUE.test(content)) throw new DpopdUnavailable(path, 'LOCATION without a usable URL');
    return { status: 302, headers: { Location: content, 'Cache-Control': 'no-store' }, body: '' };
  }
  if (answer.action === 'INTERNAL_SERVER_ERROR') {
    return jsonReply(500, typeof content === 'string' && isJsonObject(content) ? content : SERVER_ERROR);
  }
  if (answer.action !== 'BAD_REQUEST' || typeof content !== 'string' || !isJsonObject(content)) {
    throw new DpopdUnavailable(path, `unexpected ${answer.action} answer`);
  }
  return jsonReply(400, content);
}

function principalOf(path, answer, tokenScheme) {
  // OK is believed only when the whole answer agrees with it.
  if (answer.sufficient !== true || typeof answer.subject !== 'string' || typeof answer.clientId !== 'string' ||
    !Array.isArray(answer.scopes) || !answer.scopes.every((s) => typeof s === 'string')) {
    throw new DpopdUnavailable(path, 'OK answer without sufficient, subject, clientId and scopes');
  }
  const principal = {
    subject: answer.subject,
    clientId: answer.clientId,
    scopes: answer.scopes,
    tokenScheme: tokenScheme ?? (answer.jkt ? 'DPoP' : 'Bearer'),
  };
  if (typeof answer.jkt === 'string') principal.jkt = answer.jkt;
  if (typeof answer.expiresAt === 'number') principal.expiresAt = answer.expiresAt;
  if (Array.isArray(answer.properties)) principal.properties = answer.properties;
  return principal;
}

function isJsonObject(text) {
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** Fails at start-up, not per request, on requirements dpopd would refuse as a malformed call. */
export function checkRequirements({ scopes, resources, subject }) {
  const strings = (v) => v === undefined || (Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== ''));
  if (!strings(scopes) || !strings(resources) || (subject !== undefined && typeof subject !== 'string')) {
    throw new TypeError('dpopd-relay: protect({ scopes, resources }) takes arrays of non-empty strings, subject a string');
  }
}
