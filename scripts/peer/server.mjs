// node-oidc-provider serving the token request that `scripts/bench.sh peer` sends to dpopd:
// client_credentials for one confidential client (client_secret_basic), a DPoP proof in the
// DPoP header (verified, its jti recorded against replay in the provider's in-memory store),
// and a DPoP-bound JWT access token signed with ES256, so that both servers do one ES256
// verify and one ES256 sign per request. See docs/performance.md, "Against another server".
//
//   NODE_ENV=production node scripts/peer/server.mjs PORT CLIENT_ID CLIENT_SECRET
//
// It listens on 127.0.0.1 only, on http://127.0.0.1:PORT (the proofs' htu is
// http://127.0.0.1:PORT/token), and exits by itself after two hours.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret] = process.argv.slice(2);
if (!port || !clientId || !clientSecret) {
  console.error('usage: node server.mjs PORT CLIENT_ID CLIENT_SECRET');
  process.exit(2);
}

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench' };
const resource = 'https://rs.example.com';

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
    scope: 'read write',
  }],
  scopes: ['read', 'write'],
  jwks: { keys: [signingKey] },
  cookies: { keys: [clientSecret] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    dPoP: { enabled: true },
    // A JWT access token (RFC 9068) for one resource server, as dpopd issues by default.
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'read write',
        audience: resource,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});

provider.listen(Number(port), '127.0.0.1');
setTimeout(() => process.exit(0), 2 * 3600 * 1000).unref();
