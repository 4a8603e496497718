// Node's own `http` module as the relay sees it: a `RelayRequest` from an `IncomingMessage`,
// the form body read with a size limit, and a `Reply` written to a `ServerResponse`. The
// Express and Fastify adapters are built on these; a plain `http` server can use them directly.

/** The client sent a body over the limit; answered 413. */
export class BodyTooLarge extends Error {}

/** The body was consumed and parsed before the relay saw it; the form cannot be relayed verbatim. */
export class BodyAlreadyParsed extends Error {}

/**
 * @param {import('node:http').IncomingMessage & { originalUrl?: string }} req
 * @param {string} [body]
 * @returns {import('./request.js').RelayRequest}
 */
export function fromNodeRequest(req, body) {
  return {
    method: req.method ?? 'GET',
    url: req.originalUrl ?? req.url ?? '/',
    rawHeaders: req.rawHeaders,
    body,
    encrypted: Boolean(/** @type {any} */ (req.socket)?.encrypted),
  };
}

/**
 * The request body as text, at most `limit` bytes.
 * @param {import('node:http').IncomingMessage} req
 * @param {number} [limit]
 * @returns {Promise<string>}
 */
export function readBody(req, limit = 32 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge(`body over ${limit} bytes`));
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {import('./relay.js').Reply} reply
 */
export function sendReply(res, reply) {
  res.statusCode = reply.status;
  for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  res.end(reply.body);
}

/** The reply to a body the relay could not read. */
export function bodyErrorReply(err) {
  const tooLarge = err instanceof BodyTooLarge;
  return {
    status: tooLarge ? 413 : 500,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    body: JSON.stringify(
      tooLarge
        ? { error: 'invalid_request', error_description: 'The request body is too large.' }
        : { error: 'server_error' },
    ),
  };
}
