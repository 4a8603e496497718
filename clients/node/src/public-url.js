// The DPoP `htu` of a request (RFC 9449 §4.2): the URL the client called, which behind a proxy
// or TLS terminator is not what this process sees. It comes from configuration (`publicUrl`),
// or, only when the application says its proxy is trusted, from the proxy's headers: they are
// the client's to forge otherwise, and a forged host would let a proof made for another server
// pass here.
import { headerValues, pathOf } from './request.js';

const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;

/**
 * Checks the configuration once and returns the function giving a request's `htu`
 * (`null` when a trusted proxy's headers name no usable origin).
 * @param {{ publicUrl?: string, trustProxy?: boolean }} options
 * @returns {(request: import('./request.js').RelayRequest) => string | null}
 */
export function htuResolver({ publicUrl, trustProxy = false }) {
  if (publicUrl !== undefined) {
    const base = checkedPublicUrl(publicUrl);
    return (request) => base + pathOf(request.url);
  }
  if (trustProxy === true) {
    return (request) => {
      const origin = forwardedOrigin(request);
      return origin === null ? null : origin + pathOf(request.url);
    };
  }
  throw new TypeError(
    'dpopd-relay: set publicUrl (the URL clients call this server at), or trustProxy: true behind a proxy you trust',
  );
}

function checkedPublicUrl(text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`dpopd-relay: publicUrl is not a URL: ${text}`);
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.search ||
    url.hash ||
    url.username ||
    url.password
  ) {
    throw new TypeError(`dpopd-relay: publicUrl must be an http(s) URL without query, fragment or user: ${text}`);
  }
  return url.href.replace(/\/+$/, '');
}

// The element nearest to this process wins: the trusted proxy appends its own, and anything to
// its left came from further away, possibly from the client.
const last = (values) =>
  values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)
    .at(-1);

function forwardedOrigin(request) {
  const forwarded = last(headerValues(request.rawHeaders, 'forwarded'));
  let proto;
  let host;
  if (forwarded !== undefined) {
    // RFC 7239 §4: `proto=https;host="example.com"`
    for (const pair of forwarded.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const key = pair.slice(0, eq).trim().toLowerCase();
      const value = pair
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      if (key === 'proto') proto = value.toLowerCase();
      if (key === 'host') host = value;
    }
  } else {
    proto = last(headerValues(request.rawHeaders, 'x-forwarded-proto'))?.toLowerCase();
    host = last(headerValues(request.rawHeaders, 'x-forwarded-host'));
  }
  proto ??= request.encrypted ? 'https' : 'http';
  if (host === undefined) {
    const hosts = headerValues(request.rawHeaders, 'host');
    if (hosts.length !== 1) return null;
    host = hosts[0].trim();
  }
  if ((proto !== 'http' && proto !== 'https') || !HOST.test(host)) return null;
  return `${proto}://${host.toLowerCase()}`;
}
