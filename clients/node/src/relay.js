// The relay rules, framework-neutral: each method takes a `RelayRequest`, calls dpopd once and
// returns what to answer the client (`Reply`), following dpopd's `action` (README "Relay
// rules", openapi.yaml). Every failure to get a usable answer from dpopd becomes 503 with a
// JSON error; no path turns a failure into "serve the request".
import { clientCredentialFields } from './client-auth.js';
import {
  formReply,
  INTERACTIONS,
  interactionOf,
  issueBody,
  json,
  jsonReply,
  PAR_STATUS,
  resourceOutcome,
  REVOCATION_STATUS,
  ticketReply,
  TOKEN_STATUS,
  TOO_LARGE,
  UNAVAILABLE,
  userinfoReply,
} from './answers.js';
import { Dpopd, DpopdUnavailable } from './dpopd.js';
import { accessTokenFields, authorizationHeader, dpopFields, queryOf } from './request.js';
import { htuResolver } from './public-url.js';

/** @typedef {import('./answers.js').Reply} Reply */
/** @typedef {import('./answers.js').Principal} Principal */
/** @typedef {import('./answers.js').Interaction} Interaction */
/** @typedef {import('./request.js').RelayRequest} RelayRequest */
/** @typedef {{ scopes?: string[], subject?: string, resources?: string[], dpopNonceRequired?: boolean }} Requirements */

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

  /**
   * The token endpoint (RFC 6749 §3.2, RFC 9449 §5).
   * @param {RelayRequest} request
   * @returns {Promise<Reply>}
   */
  async token(request) {
    return this.#clientCall(request, '/auth/token', TOKEN_STATUS, (credentials, htu) => ({
      parameters: request.body ?? '',
      ...credentials,
      ...dpopFields(request.rawHeaders),
      htm: request.method,
      htu,
    }));
  }

  /**
   * The pushed authorization request endpoint (RFC 9126).
   * @param {RelayRequest} request
   * @returns {Promise<Reply>}
   */
  async pushedAuthorizationRequest(request) {
    return this.#clientCall(request, '/pushed_auth_req', PAR_STATUS, (credentials, htu) => ({
      parameters: request.body ?? '',
      ...credentials,
      ...dpopFields(request.rawHeaders),
      htm: request.method,
      htu,
    }));
  }

  /**
   * The revocation endpoint (RFC 7009): 200 with an empty body on `OK`.
   * @param {RelayRequest} request
   * @returns {Promise<Reply>}
   */
  async revocation(request) {
    return this.#clientCall(request, '/auth/revocation', REVOCATION_STATUS, (credentials) => ({
      parameters: request.body ?? '',
      ...credentials,
    }));
  }

  /**
   * The authorization endpoint (RFC 6749 §4.1.1): the query (GET) or form body (POST) goes to
   * dpopd; a valid request comes back as an `interaction` for the application's login and
   * consent pages, anything else as the `reply` to send (302 to the client, or 400). A request
   * with `prompt=none` (OIDC Core §3.1.2.1) is an interaction with `noInteraction: true`: show
   * nothing, and `issue` if the user is logged in and consented, else `fail` with
   * `NOT_LOGGED_IN`, `CONSENT_REQUIRED` or `INTERACTION_REQUIRED`.
   * @param {import('./request.js').RelayRequest} request
   * @returns {Promise<{ interaction: Interaction } | { reply: Reply }>}
   */
  async authorization(request) {
    const parameters = request.method === 'POST' ? (request.body ?? '') : queryOf(request.url);
    return this.#guard(
      '/auth/authorization',
      async () => {
        if (this.#tooLarge(request)) return { reply: TOO_LARGE };
        const answer = await this.#dpopd.call('/auth/authorization', { parameters });
        if (!INTERACTIONS.has(answer.action)) return { reply: ticketReply('/auth/authorization', answer) };
        return { interaction: interactionOf('/auth/authorization', answer) };
      },
      (reply) => ({ reply }),
    );
  }

  /**
   * The user is logged in as `subject` and consented: the code goes to the client (302). For an
   * `openid` request, `authTime` (seconds), `acr`, `amr`, `sid` and `claims` (the user's claim
   * values, a JSON object or its text) become the ID token's; dpopd keeps only the claims the
   * request asked for.
   * @param {import('./answers.js').Grant} grant
   * @returns {Promise<Reply>}
   */
  async issue(grant) {
    return this.#guard('/auth/authorization/issue', async () =>
      ticketReply('/auth/authorization/issue', await this.#dpopd.call('/auth/authorization/issue', issueBody(grant))),
    );
  }

  /**
   * The request ends with an error for the client (302), e.g. `{ ticket, reason: 'DENIED' }`.
   * @param {{ ticket: string, reason: string, description?: string }} failure
   * @returns {Promise<Reply>}
   */
  async fail(failure) {
    return this.#guard('/auth/authorization/fail', async () =>
      ticketReply('/auth/authorization/fail', await this.#dpopd.call('/auth/authorization/fail', failure)),
    );
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
    return this.#guard(
      path,
      async () => {
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
        return resourceOutcome(path, answer, token.tokenScheme);
      },
      (reply) => ({ reply }),
    );
  }

  /**
   * The OpenID Connect userinfo endpoint (OIDC Core §5.3) of a DPoP-protected resource: dpopd
   * checks the token and its proof (`/auth/userinfo`, scope `openid` required) and names the
   * claims the token allows; `lookup(principal, claims)` gives the user's values for them (an
   * object, or its JSON text); dpopd keeps the allowed ones, sets `sub` and builds the body
   * (`/auth/userinfo/issue`: JSON, or a signed JWT for a client that registered
   * `userinfo_signed_response_alg`). A refusal is relayed as `introspect` relays it. An error
   * thrown by `lookup` is the application's and propagates.
   * @param {import('./request.js').RelayRequest} request
   * @param {(principal: Principal, claims: string[]) => unknown} lookup
   * @returns {Promise<Reply>}
   */
  async userinfo(request, lookup) {
    const path = '/auth/userinfo';
    const token = accessTokenFields(request.rawHeaders);
    const checked = await this.#guard(
      path,
      async () => {
        const htu = this.#htu(request);
        if (htu === null) return { reply: this.#noOrigin(path) };
        const answer = await this.#dpopd.call(path, {
          ...token,
          ...dpopFields(request.rawHeaders),
          htm: request.method,
          htu,
        });
        const outcome = resourceOutcome(path, answer, token.tokenScheme);
        if ('reply' in outcome) return outcome;
        const claims = Array.isArray(answer.claims) ? answer.claims.filter((c) => typeof c === 'string') : [];
        return { ...outcome, claims };
      },
      (reply) => ({ reply }),
    );
    if ('reply' in checked) return checked.reply;
    const values = await lookup(checked.principal, checked.claims);
    const claims = typeof values === 'string' ? values : json(values ?? {});
    return this.#guard('/auth/userinfo/issue', async () =>
      userinfoReply(
        '/auth/userinfo/issue',
        await this.#dpopd.call('/auth/userinfo/issue', { token: token.token, claims }),
        checked.headers,
      ),
    );
  }

  // Token, PAR and revocation: client credentials, then the JSON body of the answer.
  async #clientCall(request, path, statuses, body) {
    return this.#guard(path, async () => {
      if (this.#tooLarge(request)) return TOO_LARGE;
      const authorization = authorizationHeader(request.rawHeaders);
      if (authorization === null) {
        return jsonReply(
          400,
          json({ error: 'invalid_request', error_description: 'More than one Authorization header.' }),
        );
      }
      const credentials = clientCredentialFields(authorization);
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

/** Fails at start-up, not per request, on requirements dpopd would refuse as a malformed call. */
export function checkRequirements({ scopes, resources, subject }) {
  const strings = (v) => v === undefined || (Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== ''));
  if (!strings(scopes) || !strings(resources) || (subject !== undefined && typeof subject !== 'string')) {
    throw new TypeError(
      'dpopd-relay: protect({ scopes, resources }) takes arrays of non-empty strings, subject a string',
    );
  }
}
