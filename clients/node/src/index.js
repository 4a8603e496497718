// dpopd-relay: the relay between a Node server and dpopd, framework-neutral. The Express
// middleware is `dpopd-relay/express`, the Fastify plugin `dpopd-relay/fastify`.
export { DpopdRelay } from './relay.js';
export { Dpopd, DpopdUnavailable } from './dpopd.js';
export { fromNodeRequest, readBody, sendReply, BodyTooLarge, BodyAlreadyParsed } from './node-http.js';
