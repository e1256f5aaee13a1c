// The OpenID provider the federation tests sign in with: node `oidc-provider` (a certified OpenID Connect
// implementation), unmodified, served over HTTPS on a loopback address's port 443 with the test CA's
// certificate. Tokens come from its real client_credentials grant with resource indicators, which issues a
// signed JWT access token (RFC 9068 profile) for the requested audience.
//
// A second, loopback-only plain HTTP listener on an ephemeral port lets the tests drive the provider: rotate
// its signing keys, drop old keys, take it "down" (TLS connections are reset) and read how many discovery and
// JWKS requests it served. It prints one JSON line {"admin": PORT} on stdout once both listeners are up.
import { createServer as createHttps } from 'node:https';
import { createServer as createHttp } from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [host, port, certFile, keyFile] = process.argv.slice(2);
const issuer = `https://${host}`;
const counts = { discovery: 0, jwks: 0, token: 0 };
let down = false;

function newKey(kind) {
  const kid = randomUUID();
  if (kind === 'EC') {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}

// Signing keys, newest first: oidc-provider signs with the first key fitting the algorithm and publishes all.
let keys = [newKey('RSA'), newKey('EC')];

// Per-client extra claims: the AWS session-tag and source-identity claims AssumeRoleWithWebIdentity reads.
const extraClaims = {
  'tagged-client': {
    'https://aws.amazon.com/tags': { principal_tags: { team: ['ci'], env: ['test'] }, transitive_tag_keys: ['team'] },
    'https://aws.amazon.com/source_identity': 'ci-runner',
  },
};

function build() {
  const clients = ['ci-client', 'other-client', 'tagged-client', 'ec-client', 'short-client'].map((id) => ({
    client_id: id, client_secret: `${id}-secret`, grant_types: ['client_credentials'], redirect_uris: [],
    response_types: [], token_endpoint_auth_method: 'client_secret_post',
  }));
  const provider = new Provider(issuer, {
    cookies: { keys: ['rolegate-test-cookie-key'] },
    clients,
    jwks: { keys },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Resource indicators are absolute URIs (RFC 8707); `urn:aud:X` asks for a token whose audience is X.
        defaultResource: () => 'urn:aud:sts.amazonaws.com',
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource, client) => ({
          scope: 'sts', audience: resource.startsWith('urn:aud:') ? resource.slice(8) : resource, accessTokenFormat: 'jwt', accessTokenTTL: client.clientId === 'short-client' ? 1 : 300,
          jwt: { sign: { alg: client.clientId === 'ec-client' ? 'ES256' : 'RS256' } },
        }),
      },
    },
    extraTokenClaims: (ctx, token) => extraClaims[token.clientId] || {},
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  return provider;
}

let provider = build();

const https = createHttps({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
  if (down) { req.socket.destroy(); return; }
  if (req.url.startsWith('/.well-known/openid-configuration')) counts.discovery += 1;
  if (req.url.startsWith('/jwks')) counts.jwks += 1;
  if (req.url.startsWith('/token')) counts.token += 1;
  provider.callback()(req, res);
});

const admin = createHttp((req, res) => {
  const send = (body) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(body)); };
  if (req.method === 'POST' && req.url === '/rotate') {
    keys = [newKey('RSA'), ...keys];  // the new key signs; the old ones stay published
    provider = build();
    return send({ kids: keys.map((k) => k.kid) });
  }
  if (req.method === 'POST' && req.url === '/drop-old') {
    keys = [keys[0], keys.find((k) => k.kty === 'EC')];  // only the current RSA key (and the EC key) remain
    provider = build();
    return send({ kids: keys.map((k) => k.kid) });
  }
  if (req.method === 'POST' && req.url === '/down') { down = true; return send({ down }); }
  if (req.method === 'POST' && req.url === '/up') { down = false; return send({ down }); }
  if (req.url === '/stats') return send({ ...counts, kids: keys.map((k) => k.kid) });
  res.statusCode = 404; return res.end();
});

https.listen(Number(port), host, () => {
  admin.listen(0, '127.0.0.1', () => { console.log(JSON.stringify({ admin: admin.address().port, issuer })); });
});
