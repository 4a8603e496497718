// Compiles only if the declarations in types/ describe the package as its README uses it.
import http from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { DpopdRelay, fromNodeRequest, readBody, sendReply, type Grant, type Principal, type Reply } from 'dpopd-relay';
import { dpopdExpress } from 'dpopd-relay/express';
import dpopdFastify, { type DpopdFastify } from 'dpopd-relay/fastify';

const relay = new DpopdRelay({ publicUrl: 'https://as.example', caller: 'c', secret: 's', timeoutMs: 2000 });
relay.maxBodyBytes = 16 * 1024;

http.createServer(async (req, res) => {
  const reply: Reply = await relay.token(fromNodeRequest(req, await readBody(req)));
  sendReply(res, reply);
  const outcome = await relay.introspect(fromNodeRequest(req), { scopes: ['read'] });
  if ('reply' in outcome) sendReply(res, outcome.reply);
  else {
    const principal: Principal = outcome.principal;
    res.end(principal.subject + principal.clientId + principal.scopes.join(' '));
  }
  const authorization = await relay.authorization(fromNodeRequest(req));
  if ('interaction' in authorization) {
    const interaction = authorization.interaction;
    if (interaction.noInteraction)
      sendReply(res, await relay.fail({ ticket: interaction.ticket, reason: 'NOT_LOGGED_IN' }));
    else {
      const hints: (string | number | undefined)[] = [interaction.loginHint, interaction.nonce, interaction.maxAge];
      res.write(hints.join() + interaction.uiLocales.join(' '));
      const grant: Grant = {
        ticket: interaction.ticket,
        subject: 'alice',
        authTime: Math.floor(Date.now() / 1000),
        acr: interaction.acrs[0],
        amr: ['pwd'],
        sid: 'session-1',
        claims: interaction.claims.includes('email') ? { email: 'alice@example.com' } : '{}',
      };
      sendReply(res, await relay.issue(grant));
    }
  }
  sendReply(res, await relay.fail({ ticket: 't', reason: 'DENIED' }));
  sendReply(
    res,
    await relay.userinfo(fromNodeRequest(req), async (principal, claims) =>
      claims.includes('email') ? { email: `${principal.subject}@example.com` } : '{}',
    ),
  );
});

const app = express();
const dpopd = dpopdExpress({ publicUrl: 'https://as.example' });
app.post('/token', dpopd.token());
app.post('/par', dpopd.par());
app.get(
  '/authorize',
  dpopd.authorize((req, res, interaction) => dpopd.issue(res, { ticket: interaction.ticket, subject: 'alice' })),
);
app.get('/userinfo', dpopd.userinfo((principal, claims) => ({ sub_seen: principal.subject, n: claims.length })));
app.get('/resource', dpopd.protect({ scopes: ['read'] }), (req: any, res: any) => {
  res.json((req as unknown as { dpopd: Principal }).dpopd);
});

declare module 'fastify' {
  interface FastifyInstance {
    dpopd: DpopdFastify;
  }
  interface FastifyRequest {
    dpopd: Principal | null;
  }
}
const server = Fastify();
await server.register(dpopdFastify, { publicUrl: 'https://as.example' });
server.post('/token', server.dpopd.token);
server.get('/userinfo', server.dpopd.userinfo(async (principal) => ({ email: `${principal.subject}@example.com` })));
server.get(
  '/resource',
  { preHandler: server.dpopd.protect({ scopes: ['read'] }) },
  async (request) => request.dpopd?.subject,
);
