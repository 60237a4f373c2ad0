// A real OpenID Connect provider for the tests (the `oidc-provider` package), on loopback.
// One confidential client (`wicket`, secret from $OIDC_CLIENT_SECRET) whose redirect URI is
// $OIDC_REDIRECT_URI; PKCE required; the package's development interactions for the login
// and consent pages (any name signs in; the accounts below carry claims). Listens on
// http://127.0.0.1:$OIDC_PORT and prints "oidc-provider ready" when it does.
//
// Accounts: carol (groups staff, developers; verified e-mail), dave (group contractors).
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const redirect = process.env.OIDC_REDIRECT_URI;
const secret = process.env.OIDC_CLIENT_SECRET;
if (!port || !redirect || !secret) {
  console.error('OIDC_PORT, OIDC_REDIRECT_URI and OIDC_CLIENT_SECRET are required');
  process.exit(2);
}

const accounts = {
  carol: { name: 'Carol Danvers', email: 'carol@example.org', email_verified: true, groups: ['staff', 'developers'] },
  dave: { name: 'Dave Lister', email: 'dave@example.net', email_verified: true, groups: ['contractors'] },
};

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: 'wicket',
    client_secret: secret,
    redirect_uris: [redirect],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name', 'groups'],
    email: ['email', 'email_verified'],
  },
  // Profile claims in the ID token too (Wicket also asks userinfo when configured).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: ['wicket-test-only-cookie-key'] },
  async findAccount(_ctx, id) {
    const a = accounts[id];
    if (!a) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, ...a };
      },
    };
  },
});
// Plain HTTP on loopback: the provider trusts no proxy headers.
provider.proxy = false;

provider.listen(port, '127.0.0.1', () => console.log('oidc-provider ready'));
process.on('SIGTERM', () => process.exit(0));
