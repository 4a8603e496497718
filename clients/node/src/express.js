// Express middleware on the relay: route handlers for the token, PAR, revocation,
// authorization and userinfo endpoints, and `protect({ scopes })` for resources, which puts
// the token's subject, client id and scopes on `req.dpopd`. Works with Express 4 and 5.
import { checkRequirements, DpopdRelay } from './relay.js';
import { BodyAlreadyParsed, bodyErrorReply, fromNodeRequest, readBody, sendReply } from './node-http.js';

/**
 * @param {import('./relay.js').RelayOptions | DpopdRelay} [options]
 */
export function dpopdExpress(options = {}) {
  const relay = options instanceof DpopdRelay ? options : new DpopdRelay(options);
  const limit = relay.maxBodyBytes;

  // The form body verbatim: read here, or taken from a parser that kept it as text.
  async function formBody(req) {
    if (req._body || (req.body !== undefined && req.readableEnded)) {
      if (typeof req.body === 'string') return req.body;
      if (Buffer.isBuffer(req.body)) return req.body.toString('utf8');
      throw new BodyAlreadyParsed(
        'the form body was parsed before dpopd-relay: mount its handlers before express.urlencoded(), ' +
          'or use express.text({ type: "application/x-www-form-urlencoded" })',
      );
    }
    return readBody(req, limit);
  }

  // A handler that reads the form, asks the relay, and sends its reply.
  const formHandler = (step) => async (req, res, next) => {
    let body;
    try {
      body = await formBody(req);
    } catch (err) {
      if (err instanceof BodyAlreadyParsed) return next(err);
      return sendReply(res, bodyErrorReply(err));
    }
    try {
      sendReply(res, await step(fromNodeRequest(req, body)));
    } catch (err) {
      next(err);
    }
  };

  return {
    relay,
    /** `POST /token` */
    token: () => formHandler((request) => relay.token(request)),
    /** `POST /par` */
    par: () => formHandler((request) => relay.pushedAuthorizationRequest(request)),
    /** `POST /revoke` */
    revocation: () => formHandler((request) => relay.revocation(request)),
    /**
     * `GET` or `POST /authorize`: on a valid request, `onInteraction(req, res, interaction)`
     * shows the login and consent pages (with `interaction.noInteraction`, none: it issues or
     * fails at once); redirects and errors are sent here.
     * @param {(req: any, res: any, interaction: import('./relay.js').Interaction) => unknown} onInteraction
     */
    authorize: (onInteraction) => async (req, res, next) => {
      try {
        const body = req.method === 'POST' ? await formBody(req) : undefined;
        const outcome = await relay.authorization(fromNodeRequest(req, body));
        if ('reply' in outcome) return sendReply(res, outcome.reply);
        await onInteraction(req, res, outcome.interaction);
      } catch (err) {
        next(err);
      }
    },
    /** Sends the redirect with the code (or the error page) for a ticket. */
    issue: async (res, grant) => sendReply(res, await relay.issue(grant)),
    /** Sends the redirect with an error for the client for a ticket. */
    fail: async (res, failure) => sendReply(res, await relay.fail(failure)),
    /**
     * `GET` or `POST /userinfo` (OIDC Core §5.3): `lookup(principal, claims, req)` gives the
     * user's values of the claims the token allows (an object or its JSON text); dpopd builds
     * the body. Refusals are relayed as `protect` relays them.
     * @param {(principal: import('./relay.js').Principal, claims: string[], req: any) => unknown} lookup
     */
    userinfo: (lookup) => async (req, res, next) => {
      try {
        sendReply(
          res,
          await relay.userinfo(fromNodeRequest(req), (principal, claims) => lookup(principal, claims, req)),
        );
      } catch (err) {
        next(err);
      }
    },
    /**
     * Middleware serving the request only when dpopd says `OK`; then `req.dpopd` is the
     * principal and a fresh `DPoP-Nonce`, if any, is already set on the response.
     * @param {import('./relay.js').Requirements} [requirements]
     */
    protect: (requirements = {}) => {
      checkRequirements(requirements);
      return async (req, res, next) => {
        let outcome;
        try {
          outcome = await relay.introspect(fromNodeRequest(req), requirements);
        } catch (err) {
          return next(err);
        }
        if ('reply' in outcome) return sendReply(res, outcome.reply);
        for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);
        req.dpopd = outcome.principal;
        next();
      };
    },
  };
}

export { DpopdRelay };
