// SafeDesk's local development OpenID Connect provider (panva/oidc-provider).
// DEVELOPMENT ONLY: any account id logs in without a password, and tokens are
// signed with oidc-provider's public development keys. Never expose it.
//
// Environment:
//   DEVAUTH_PORT            default 9400; the issuer is http://localhost:<port>
//   DEVAUTH_HOST            default 127.0.0.1 (loopback only)
//   DEVAUTH_CLIENT_ID       default safedesk-dev
//   DEVAUTH_CLIENT_SECRET   required (the app's secrets.toml holds the same value)
//   DEVAUTH_REDIRECT_URIS   comma-separated, default http://localhost:8501/oauth2callback
import { randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

const env = process.env;
const port = Number(env.DEVAUTH_PORT || 9400);
const host = env.DEVAUTH_HOST || '127.0.0.1';
const issuer = `http://localhost:${port}`;
const clientSecret = env.DEVAUTH_CLIENT_SECRET;
if (!clientSecret) {
  console.error('devauth: set DEVAUTH_CLIENT_SECRET (the client_secret in .streamlit/secrets.toml)');
  process.exit(2);
}
const redirectUris = (env.DEVAUTH_REDIRECT_URIS || 'http://localhost:8501/oauth2callback')
  .split(',').map((uri) => uri.trim()).filter(Boolean);
// Streamlit sends its callback URI as post_logout_redirect_uri; the app root is allowed too.
const appRoots = redirectUris.map((uri) => uri.replace(/oauth2callback$/, ''));
const postLogoutUris = [...new Set([...redirectUris, ...appRoots])];

// Every account exists: sub = the id typed into the login form.
async function findAccount(ctx, id) {
  if (!id) return undefined;
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email: `${id}@example.test`,
        email_verified: true,
        name: id.charAt(0).toUpperCase() + id.slice(1),
        groups: id.startsWith('staff') ? ['safedesk-staff'] : [],
      };
    },
  };
}

const scopes = ['openid', 'email', 'profile', 'groups'];

const provider = new Provider(issuer, {
  clients: [{
    client_id: env.DEVAUTH_CLIENT_ID || 'safedesk-dev',
    client_secret: clientSecret,
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  findAccount,
  responseTypes: ['code'], // authorization code flow only
  scopes,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  // Streamlit's st.user is built from the ID token alone (it never calls userinfo).
  conformIdTokenClaims: false,
  // Streamlit (Authlib) sends S256 PKCE whenever discovery advertises it, so require it.
  pkce: { required: () => true },
  // Random per start: a restart only forgets provider sessions (prompt=login asks anyway).
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: true }, // the built-in login form: any id, any password
    rpInitiatedLogout: { enabled: true },
  },
  // The only client is first-party: grant every scope it asks for, no consent page.
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope(scopes.join(' '));
    await grant.save();
    return grant;
  },
});

// The built-in pages @import Google web fonts; drop that so a browser fetches nothing remote.
provider.use(async (ctx, next) => {
  await next();
  if (typeof ctx.body === 'string' && ctx.response.is('html')) {
    ctx.body = ctx.body.replace(/@import url\(https:\/\/fonts\.googleapis\.com[^)]*\);?/g, '');
  }
});

const server = provider.listen(port, host, () => {
  console.log(`devauth listening on ${issuer}`);
});
server.on('error', (error) => {
  console.error(`devauth: cannot listen on ${host}:${port}: ${error.message}`);
  process.exit(1);
});
