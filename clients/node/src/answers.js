// dpopd's answers turned into what the client gets (README "Relay rules", openapi.yaml): the
// status of each `action`, `responseContent` as the body or the challenge, `DPoP-Nonce`, and
// `Cache-Control: no-store`. An answer dpopd never gives for the endpoint throws
// `DpopdUnavailable`, which the relay answers 503: nothing unexpected is relayed or served.
import { DpopdUnavailable } from './dpopd.js';

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
 * @property {boolean} noInteraction `prompt=none` (OIDC Core §3.1.2.1): show the user nothing;
 *   `issue` if they are logged in and consented, else `fail` with `NOT_LOGGED_IN`,
 *   `CONSENT_REQUIRED` or `INTERACTION_REQUIRED`
 * @property {number} [maxAge]      OpenID Connect `max_age`, seconds: authenticate again if the
 *   last authentication is older, and give `authTime` to `issue`
 * @property {string[]} acrs        `acr_values`, in order of preference
 * @property {string[]} claims      the claims an `openid` request asks for (by scope, OIDC Core
 *   §5.4, and by its `claims` parameter)
 * @property {string} [loginHint]
 * @property {string[]} uiLocales
 * @property {string} [nonce]       the ID token carries it as sent
 */

/**
 * What `issue` takes: the user, and for an `openid` request how they authenticated.
 * @typedef {object} Grant
 * @property {string} ticket
 * @property {string} subject
 * @property {string[]} [scopes]
 * @property {{ key: string, value: string, hidden?: boolean }[]} [properties]
 * @property {string} [jwtAtClaims]
 * @property {number} [authTime]   when the user authenticated, seconds since the epoch
 * @property {string} [acr]
 * @property {string[]} [amr]      RFC 8176 values
 * @property {string} [sid]
 * @property {string | Record<string, unknown>} [claims] the user's claim values (Authlete's
 *   shape): a JSON object or its text
 */

// RFC 9449 §8: a nonce is 1*NQCHAR.
const NONCE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
// A header value dpopd hands over (challenge, Location): visible ASCII and spaces only.
const HEADER_VALUE = /^[\x21-\x7e][\x20-\x7e]*$/;

export const TOKEN_STATUS = { OK: 200, BAD_REQUEST: 400, INVALID_CLIENT: 401 };
export const PAR_STATUS = { CREATED: 201, BAD_REQUEST: 400, UNAUTHORIZED: 401 };
export const REVOCATION_STATUS = { OK: 200, BAD_REQUEST: 400, INVALID_CLIENT: 401 };
const RESOURCE_STATUS = { BAD_REQUEST: 400, UNAUTHORIZED: 401, FORBIDDEN: 403 };

export const json = (value) => JSON.stringify(value);
export const UNAVAILABLE = json({
  error: 'temporarily_unavailable',
  error_description: 'The authorization service is unavailable; try again later.',
});
export const SERVER_ERROR = json({ error: 'server_error' });

export const TOO_LARGE = jsonReply(
  413,
  json({ error: 'invalid_request', error_description: 'The request body is too large.' }),
);
export const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="oauth", charset="UTF-8"' };

export function jsonReply(status, body, headers = {}) {
  return { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers }, body };
}

export function nonceHeader(path, answer) {
  if (answer.dpopNonce === undefined || answer.dpopNonce === null) return {};
  if (typeof answer.dpopNonce !== 'string' || !NONCE.test(answer.dpopNonce))
    throw new DpopdUnavailable(path, 'dpopNonce is not a nonce');
  return { 'DPoP-Nonce': answer.dpopNonce };
}

// Token, PAR, revocation: the status of the action, `responseContent` as the JSON body.
export function formReply(path, answer, statuses, usedBasic) {
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
  if (typeof content !== 'string' || !isJsonObject(content))
    throw new DpopdUnavailable(path, `${answer.action} without a JSON responseContent`);
  if (status === 401 && usedBasic) Object.assign(headers, BASIC_CHALLENGE);
  return jsonReply(status, content, headers);
}

// Authorization, issue, fail: LOCATION is a redirect, anything else a JSON error page.
export function ticketReply(path, answer) {
  const content = answer.responseContent;
  if (answer.action === 'LOCATION') {
    if (typeof content !== 'string' || !HEADER_VALUE.test(content))
      throw new DpopdUnavailable(path, 'LOCATION without a usable URL');
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

export function principalOf(path, answer, tokenScheme) {
  // OK is believed only when the whole answer agrees with it.
  if (
    answer.sufficient !== true ||
    typeof answer.subject !== 'string' ||
    typeof answer.clientId !== 'string' ||
    !Array.isArray(answer.scopes) ||
    !answer.scopes.every((s) => typeof s === 'string')
  ) {
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

export function isJsonObject(text) {
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

// Introspection: OK lets the request through; a refusal sends dpopd's challenge.
export function resourceOutcome(path, answer, tokenScheme) {
  const nonce = nonceHeader(path, answer);
  if (answer.action === 'OK') return { principal: principalOf(path, answer, tokenScheme), headers: nonce };
  const headers = { 'Cache-Control': 'no-store', ...nonce };
  if (answer.action === 'INTERNAL_SERVER_ERROR') return { reply: jsonReply(500, SERVER_ERROR, headers) };
  const status = RESOURCE_STATUS[answer.action];
  const challenge = answer.responseContent;
  if (status === undefined || typeof challenge !== 'string' || !HEADER_VALUE.test(challenge)) {
    throw new DpopdUnavailable(path, `unexpected ${answer.action} answer`);
  }
  // RFC 6750 §3, RFC 9449 §7.1: dpopd's challenge is the WWW-Authenticate value, verbatim.
  return { reply: { status, headers: { ...headers, 'WWW-Authenticate': challenge }, body: '' } };
}

// `/auth/userinfo/issue`: OK is the body to send with its content type; a refusal of the token
// is relayed as a resource refusal. `headers` (the DPoP-Nonce of `/auth/userinfo`) go on both.
const USERINFO_TYPES = new Set(['application/json', 'application/jwt']);
export function userinfoReply(path, answer, headers) {
  if (answer.action !== 'OK') {
    const outcome = resourceOutcome(path, answer);
    if (!('reply' in outcome)) throw new DpopdUnavailable(path, `unexpected ${answer.action} answer`);
    return { ...outcome.reply, headers: { ...headers, ...outcome.reply.headers } };
  }
  if (typeof answer.responseContent !== 'string' || !USERINFO_TYPES.has(answer.contentType)) {
    throw new DpopdUnavailable(path, 'OK without a userinfo body and its content type');
  }
  return {
    status: 200,
    headers: {
      'Content-Type': answer.contentType,
      'Cache-Control': 'no-store',
      ...headers,
      ...nonceHeader(path, answer),
    },
    body: answer.responseContent,
  };
}

// `/auth/authorization`: the answers that carry a ticket for the application.
export const INTERACTIONS = new Set(['INTERACTION', 'NO_INTERACTION']);

const strings = (value) => (Array.isArray(value) ? value.filter((s) => typeof s === 'string') : []);
const string = (value) => (typeof value === 'string' ? value : undefined);

/** The `Interaction` of an INTERACTION or NO_INTERACTION answer. */
export function interactionOf(path, answer) {
  if (typeof answer.ticket !== 'string' || typeof answer.clientId !== 'string') {
    throw new DpopdUnavailable(path, `${answer.action} without ticket or clientId`);
  }
  return {
    ticket: answer.ticket,
    clientId: answer.clientId,
    scopes: Array.isArray(answer.scopes) ? strings(answer.scopes.map((s) => s?.name)) : [],
    state: answer.state,
    redirectUri: answer.redirectUri,
    prompts: strings(answer.prompts),
    dpopJkt: answer.dpopJkt,
    pushed: answer.pushed === true,
    noInteraction: answer.action === 'NO_INTERACTION',
    maxAge: Number.isSafeInteger(answer.maxAge) && answer.maxAge >= 0 ? answer.maxAge : undefined,
    acrs: strings(answer.acrs),
    claims: strings(answer.claims),
    loginHint: string(answer.loginHint),
    uiLocales: strings(answer.uiLocales),
    nonce: string(answer.nonce),
  };
}

/** The `/issue` call of a grant: `claims` given as an object goes as its JSON text. */
export function issueBody(grant) {
  const { claims } = grant ?? {};
  if (claims === null || typeof claims !== 'object') return grant;
  return { ...grant, claims: json(claims) };
}
