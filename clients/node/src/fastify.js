// The Fastify plugin on the relay: registers a text parser for form bodies (unless the
// application has one), decorates the instance with `fastify.dpopd` — route handlers for the
// token, PAR, revocation, authorization and userinfo endpoints and `protect({ scopes })` as a
// preHandler — and the request with `request.dpopd`, the principal of a served resource request.
import { checkRequirements, DpopdRelay } from './relay.js';
import { BodyAlreadyParsed, fromNodeRequest, sendReply } from './node-http.js';

const FORM = 'application/x-www-form-urlencoded';

/**
 * @param {any} fastify
 * @param {import('./relay.js').RelayOptions & { relay?: DpopdRelay }} options
 */
async function dpopdFastify(fastify, options) {
  const relay = options.relay ?? new DpopdRelay(options);
  // dpopd wants the form verbatim, so it is kept as text (RFC 6749 §3.2: one encoding only).
  if (!fastify.hasContentTypeParser(FORM)) {
    fastify.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => done(null, body));
  }
  fastify.decorateRequest('dpopd', null);

  const toRequest = (request, body) => fromNodeRequest(request.raw, body);
  const send = (reply, answer) => reply.code(answer.status).headers(answer.headers).send(answer.body);
  const formOf = (request) => {
    const body = request.body;
    if (body === undefined || body === null) return '';
    if (typeof body === 'string') return body;
    if (Buffer.isBuffer(body)) return body.toString('utf8');
    throw new BodyAlreadyParsed(
      `dpopd-relay: the ${FORM} body was parsed into an object; ` +
        'remove @fastify/formbody or register dpopd-relay in its own context',
    );
  };
  const formHandler = (step) => async (request, reply) => send(reply, await step(toRequest(request, formOf(request))));

  fastify.decorate('dpopd', {
    relay,
    /** `POST /token` */
    token: formHandler((r) => relay.token(r)),
    /** `POST /par` */
    par: formHandler((r) => relay.pushedAuthorizationRequest(r)),
    /** `POST /revoke` */
    revocation: formHandler((r) => relay.revocation(r)),
    /**
     * `GET` or `POST /authorize`; on a valid request `onInteraction(request, reply, interaction)`
     * shows the login and consent pages (with `interaction.noInteraction`, none: it issues or
     * fails at once).
     */
    authorize: (onInteraction) => async (request, reply) => {
      const body = request.method === 'POST' ? formOf(request) : undefined;
      const outcome = await relay.authorization(toRequest(request, body));
      if ('reply' in outcome) return send(reply, outcome.reply);
      return onInteraction(request, reply, outcome.interaction);
    },
    /** Sends the redirect with the code (or the error page) for a ticket. */
    issue: async (reply, grant) => send(reply, await relay.issue(grant)),
    /** Sends the redirect with an error for the client for a ticket. */
    fail: async (reply, failure) => send(reply, await relay.fail(failure)),
    /**
     * `GET` or `POST /userinfo` (OIDC Core §5.3): `lookup(principal, claims, request)` gives the
     * user's values of the claims the token allows; dpopd builds the body.
     */
    userinfo: (lookup) => async (request, reply) =>
      send(reply, await relay.userinfo(toRequest(request), (principal, claims) => lookup(principal, claims, request))),
    /**
     * A preHandler serving the request only when dpopd says `OK`; then `request.dpopd` is the
     * principal and a fresh `DPoP-Nonce`, if any, is set on the reply.
     */
    protect: (requirements = {}) => {
      checkRequirements(requirements);
      return async (request, reply) => {
        const outcome = await relay.introspect(toRequest(request), requirements);
        if ('reply' in outcome) return send(reply, outcome.reply);
        reply.headers(outcome.headers);
        request.dpopd = outcome.principal;
      };
    },
  });
}

// As fastify-plugin would mark it: the decorators belong to the instance that registers it.
dpopdFastify[Symbol.for('skip-override')] = true;
dpopdFastify[Symbol.for('fastify.display-name')] = 'dpopd-relay';

export default dpopdFastify;
export { dpopdFastify, DpopdRelay };
