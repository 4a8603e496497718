// The same small application on Express and on Fastify, on a free 127.0.0.1 port: every relay
// handler mounted, and resources that count how often their handler ran.
import express from 'express';
import Fastify from 'fastify';
import { dpopdExpress } from '../../src/express.js';
import dpopdFastify from '../../src/fastify.js';
import { freePort } from './dpopd.js';

export const FRAMEWORKS = ['express', 'fastify'];

/** How the user of `/authorize-openid` authenticated, and their claim values (an object: sent as its JSON text). */
export const OPENID_GRANT = {
  subject: 'alice',
  authTime: 1_700_000_000,
  acr: 'urn:example:loa:2',
  amr: ['pwd', 'otp'],
  sid: 'session-1',
  claims: { email: 'alice@example.com', email_verified: true, phone_number: '+15550100' },
};

// The login page of `/authorize-silent`, for a user who is not logged in: with `prompt=none`
// it must not be shown, and the request fails with login_required (OIDC Core §3.1.2.6).
const silent = (interaction) =>
  interaction.noInteraction ? { ticket: interaction.ticket, reason: 'NOT_LOGGED_IN' } : null;

/**
 * @param {'express' | 'fastify'} framework
 * @param {object} options relay options; `publicUrl` defaults to the app's own address
 */
export async function startApp(framework, options = {}) {
  const port = await freePort();
  const relayOptions = { publicUrl: `http://127.0.0.1:${port}`, log: () => {}, ...options };
  const state = { handlerRuns: 0, url: `http://127.0.0.1:${port}` };
  const served = (principal) => {
    state.handlerRuns += 1;
    return { served: true, ...principal };
  };
  // The userinfo lookup: the claim values of OPENID_GRANT's user; it records what it was asked.
  state.lookups = [];
  const lookup = (principal, claims) => {
    state.lookups.push({ subject: principal.subject, claims });
    return principal.subject === OPENID_GRANT.subject ? OPENID_GRANT.claims : {};
  };
  if (framework === 'express') {
    const app = express();
    const dpopd = dpopdExpress(relayOptions);
    state.relay = dpopd.relay;
    app.post('/token', dpopd.token());
    app.post('/par', dpopd.par());
    app.post('/revoke', dpopd.revocation());
    app.all(
      '/authorize',
      dpopd.authorize((req, res, interaction) => dpopd.issue(res, { ticket: interaction.ticket, subject: 'alice' })),
    );
    app.get(
      '/authorize-deny',
      dpopd.authorize((req, res, interaction) => dpopd.fail(res, { ticket: interaction.ticket, reason: 'DENIED' })),
    );
    app.get(
      '/authorize-show',
      dpopd.authorize((req, res, interaction) => res.json(interaction)),
    );
    app.get(
      '/authorize-openid',
      dpopd.authorize((req, res, interaction) => dpopd.issue(res, { ticket: interaction.ticket, ...OPENID_GRANT })),
    );
    app.get(
      '/authorize-silent',
      dpopd.authorize((req, res, interaction) => {
        const failure = silent(interaction);
        return failure ? dpopd.fail(res, failure) : res.send('login page');
      }),
    );
    app.all('/userinfo', dpopd.userinfo(lookup));
    app.all('/resource', dpopd.protect({ scopes: ['read'] }), (req, res) => res.json(served(req.dpopd)));
    app.get('/write-resource', dpopd.protect({ scopes: ['write'] }), (req, res) => res.json(served(req.dpopd)));
    // A form parser ahead of the relay: the verbatim body is gone.
    app.post('/parsed/token', express.urlencoded({ extended: false }), dpopd.token());
    app.use((err, req, res, next) => res.status(500).json({ error: 'server_error', message: err.message }));
    const server = await new Promise((resolve) => {
      const s = app.listen(port, '127.0.0.1', () => resolve(s));
    });
    state.stop = () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      });
  } else {
    const app = Fastify({ logger: false });
    await app.register(dpopdFastify, relayOptions);
    const dpopd = app.dpopd;
    state.relay = dpopd.relay;
    app.post('/token', dpopd.token);
    app.post('/par', dpopd.par);
    app.post('/revoke', dpopd.revocation);
    app.route({
      method: ['GET', 'POST'],
      url: '/authorize',
      handler: dpopd.authorize((request, reply, i) => dpopd.issue(reply, { ticket: i.ticket, subject: 'alice' })),
    });
    app.get(
      '/authorize-deny',
      dpopd.authorize((request, reply, i) => dpopd.fail(reply, { ticket: i.ticket, reason: 'DENIED' })),
    );
    app.get(
      '/authorize-show',
      dpopd.authorize((request, reply, interaction) => reply.send(interaction)),
    );
    app.get(
      '/authorize-openid',
      dpopd.authorize((request, reply, i) => dpopd.issue(reply, { ticket: i.ticket, ...OPENID_GRANT })),
    );
    app.get(
      '/authorize-silent',
      dpopd.authorize((request, reply, interaction) => {
        const failure = silent(interaction);
        return failure ? dpopd.fail(reply, failure) : reply.send('login page');
      }),
    );
    app.route({ method: ['GET', 'POST'], url: '/userinfo', handler: dpopd.userinfo(lookup) });
    app.route({
      method: ['GET', 'POST'],
      url: '/resource',
      preHandler: dpopd.protect({ scopes: ['read'] }),
      handler: async (request) => served(request.dpopd),
    });
    app.get('/write-resource', { preHandler: dpopd.protect({ scopes: ['write'] }) }, async (request) =>
      served(request.dpopd),
    );
    await app.listen({ port, host: '127.0.0.1' });
    state.stop = () => app.close();
  }
  return state;
}
