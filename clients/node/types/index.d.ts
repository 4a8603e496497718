// Types of dpopd-relay: the framework-neutral relay to dpopd.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The request as the relay needs it; the adapters build one (`fromNodeRequest`). */
export interface RelayRequest {
  /** The HTTP method. */
  method: string;
  /** The request target as received: path and query. */
  url: string;
  /** name, value, name, value, ... as Node's `req.rawHeaders` gives them. */
  rawHeaders: string[];
  /** The form body, verbatim (token, PAR, revocation, POST authorization). */
  body?: string;
  /** The connection to this process is TLS. */
  encrypted?: boolean;
}

/** What to send the client. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The token's facts when dpopd said `OK` to a resource request. */
export interface Principal {
  subject: string;
  clientId: string;
  scopes: string[];
  /** How the client presented the token. */
  tokenScheme: 'DPoP' | 'Bearer';
  /** The key the token is bound to (RFC 7638 thumbprint). */
  jkt?: string;
  /** Milliseconds since the epoch. */
  expiresAt?: number;
  properties?: { key: string; value: string; hidden?: boolean }[];
}

/** A valid authorization request: log the user in, ask for consent, then `issue` or `fail`. */
export interface Interaction {
  ticket: string;
  clientId: string;
  scopes: string[];
  state?: string;
  redirectUri?: string;
  prompts: string[];
  dpopJkt?: string;
  pushed: boolean;
  /**
   * `prompt=none` (OIDC Core §3.1.2.1): show the user nothing; `issue` if they are logged in and
   * consented, else `fail` with `NOT_LOGGED_IN`, `CONSENT_REQUIRED` or `INTERACTION_REQUIRED`.
   */
  noInteraction: boolean;
  /** OpenID Connect `max_age`, in seconds: authenticate again if the last authentication is older. */
  maxAge?: number;
  /** `acr_values`, in order of preference. */
  acrs: string[];
  /** The claims an `openid` request asks for: by scope (OIDC Core §5.4) and its `claims` parameter. */
  claims: string[];
  loginHint?: string;
  uiLocales: string[];
  /** The request's `nonce`; its ID token carries it as sent. */
  nonce?: string;
}

/** What a resource requires of the token (`protect`, `introspect`). */
export interface Requirements {
  scopes?: string[];
  subject?: string;
  resources?: string[];
  dpopNonceRequired?: boolean;
}

export interface Grant {
  ticket: string;
  subject: string;
  scopes?: string[];
  properties?: { key: string; value: string; hidden?: boolean }[];
  jwtAtClaims?: string;
  /** OpenID Connect: when the user authenticated, seconds since the epoch (`auth_time`). */
  authTime?: number;
  /** The authentication context class the authentication met. */
  acr?: string;
  /** The authentication methods (RFC 8176 values). */
  amr?: string[];
  /** The session id (OpenID Connect Front-Channel Logout). */
  sid?: string;
  /** The user's claim values (Authlete's shape), an object or its JSON text; dpopd keeps those the request asked for. */
  claims?: string | Record<string, unknown>;
}

export interface Failure {
  ticket: string;
  reason:
    | 'UNKNOWN'
    | 'NOT_LOGGED_IN'
    | 'MAX_AGE_NOT_SUPPORTED'
    | 'EXCEEDS_MAX_AGE'
    | 'DIFFERENT_SUBJECT'
    | 'ACR_NOT_SATISFIED'
    | 'DENIED'
    | 'SERVER_ERROR'
    | 'NOT_AUTHENTICATED'
    | 'ACCOUNT_SELECTION_REQUIRED'
    | 'CONSENT_REQUIRED'
    | 'INTERACTION_REQUIRED'
    | 'INVALID_TARGET'
    | 'TEMPORARILY_UNAVAILABLE';
  description?: string;
}

export interface DpopdOptions {
  /** Where dpopd listens; default `$DPOPD_URL`, else http://127.0.0.1:8080. */
  dpopdUrl?: string;
  /** This server's caller key at dpopd; default `$DPOPD_CALLER` (required). */
  caller?: string;
  /** Its secret; default `$DPOPD_SECRET` (required). */
  secret?: string;
  /** The whole dpopd call, connection to last byte, in milliseconds; default 5000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface RelayOptions extends DpopdOptions {
  /** The URL clients call this server at (its root); `htu` is this plus the request path. */
  publicUrl?: string;
  /** Without `publicUrl`: take the origin from Forwarded / X-Forwarded-* (the proxy is trusted). */
  trustProxy?: boolean;
  /** The largest form body relayed; default 32 KiB, larger ones are answered 413. */
  maxBodyBytes?: number;
  /** Where the reason for a 503 goes; default `console.error`. */
  log?: (message: string) => void;
}

/** dpopd did not answer usably: unreachable, too slow, non-200, or not the JSON expected. */
export class DpopdUnavailable extends Error {
  constructor(path: string, reason: string);
}

/** The call to dpopd's JSON API. */
export class Dpopd {
  constructor(options?: DpopdOptions);
  /** dpopd's answer, an object with a string `action`; throws `DpopdUnavailable`. */
  call(path: string, body: object): Promise<Record<string, any> & { action: string }>;
}

/** The relay rules: each method calls dpopd once and never throws for a dpopd failure (503). */
export class DpopdRelay {
  constructor(options?: RelayOptions);
  /** The largest form body relayed. */
  maxBodyBytes: number;
  call(path: string, body: object): Promise<Record<string, any> & { action: string }>;
  token(request: RelayRequest): Promise<Reply>;
  pushedAuthorizationRequest(request: RelayRequest): Promise<Reply>;
  revocation(request: RelayRequest): Promise<Reply>;
  authorization(request: RelayRequest): Promise<{ interaction: Interaction } | { reply: Reply }>;
  issue(grant: Grant): Promise<Reply>;
  fail(failure: Failure): Promise<Reply>;
  introspect(
    request: RelayRequest,
    requirements?: Requirements,
  ): Promise<{ principal: Principal; headers: Record<string, string> } | { reply: Reply }>;
  /** The userinfo endpoint: `lookup` gives the user's values of the claims the token allows. */
  userinfo(request: RelayRequest, lookup: UserinfoLookup): Promise<Reply>;
}

/** The user's values of `claims` (the names the token allows): an object or its JSON text. */
export type UserinfoLookup = (
  principal: Principal,
  claims: string[],
) => Record<string, unknown> | string | Promise<Record<string, unknown> | string>;

export class BodyTooLarge extends Error {}
export class BodyAlreadyParsed extends Error {}

export function fromNodeRequest(req: IncomingMessage & { originalUrl?: string }, body?: string): RelayRequest;
export function readBody(req: IncomingMessage, limit?: number): Promise<string>;
export function sendReply(res: ServerResponse, reply: Reply): void;
