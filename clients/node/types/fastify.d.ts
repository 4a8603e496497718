// Types of dpopd-relay/fastify. Typed structurally, so that the plugin does not pin a Fastify
// major; `fastify.dpopd` and `request.dpopd` are declared by the application if it wants them
// typed (see the README).
import type { DpopdRelay, Failure, Grant, Interaction, Principal, RelayOptions, Requirements, UserinfoLookup } from './index.js';

export { DpopdRelay } from './index.js';

type Route = (request: any, reply: any) => Promise<unknown>;

export interface DpopdFastify {
  relay: DpopdRelay;
  /** `POST /token` */
  token: Route;
  /** `POST /par` */
  par: Route;
  /** `POST /revoke` */
  revocation: Route;
  /** `GET`/`POST /authorize`: `onInteraction` shows the login and consent pages (none if `interaction.noInteraction`). */
  authorize(onInteraction: (request: any, reply: any, interaction: Interaction) => unknown): Route;
  /** Sends the redirect with the code (or the error page) for a ticket. */
  issue(reply: any, grant: Grant): Promise<unknown>;
  /** Sends the redirect with an error for the client for a ticket. */
  fail(reply: any, failure: Failure): Promise<unknown>;
  /** `GET`/`POST /userinfo`: `lookup` gives the user's values of the claims the token allows; dpopd builds the body. */
  userinfo(
    lookup: (principal: Principal, claims: string[], request: any) => ReturnType<UserinfoLookup>,
  ): Route;
  /** A preHandler serving the request only when dpopd says `OK`; `request.dpopd` is then the principal. */
  protect(requirements?: Requirements): Route;
}

export interface DpopdFastifyOptions extends RelayOptions {
  relay?: DpopdRelay;
}

export type { Principal };

declare function dpopdFastify(fastify: any, options: DpopdFastifyOptions): Promise<void>;
export { dpopdFastify };
export default dpopdFastify;
