// Types of dpopd-relay/express. Handlers are typed structurally, so that neither
// @types/express nor a particular Express major is needed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DpopdRelay, Failure, Grant, Interaction, Principal, RelayOptions, Requirements, UserinfoLookup } from './index.js';

export { DpopdRelay } from './index.js';

type Req = IncomingMessage & { originalUrl?: string; body?: unknown; dpopd?: Principal };
type Res = ServerResponse;
type Next = (err?: unknown) => void;
export type Handler = (req: Req, res: Res, next: Next) => Promise<void> | void;

export interface DpopdExpress {
  relay: DpopdRelay;
  /** `POST /token` */
  token(): Handler;
  /** `POST /par` */
  par(): Handler;
  /** `POST /revoke` */
  revocation(): Handler;
  /** `GET`/`POST /authorize`: `onInteraction` shows the login and consent pages (none if `interaction.noInteraction`). */
  authorize(onInteraction: (req: any, res: any, interaction: Interaction) => unknown): Handler;
  /** Sends the redirect with the code (or the error page) for a ticket. */
  issue(res: Res, grant: Grant): Promise<void>;
  /** Sends the redirect with an error for the client for a ticket. */
  fail(res: Res, failure: Failure): Promise<void>;
  /** `GET`/`POST /userinfo`: `lookup` gives the user's values of the claims the token allows; dpopd builds the body. */
  userinfo(
    lookup: (principal: Principal, claims: string[], req: any) => ReturnType<UserinfoLookup>,
  ): Handler;
  /** Serves the request only when dpopd says `OK`; `req.dpopd` is then the principal. */
  protect(requirements?: Requirements): Handler;
}

export function dpopdExpress(options?: RelayOptions | DpopdRelay): DpopdExpress;
