// A real OpenID Connect provider (panva/node-oidc-provider) on loopback for the single sign-on
// browser test (tests/browser/test_sso_journeys.py). Only configuration lives here: one
// confidential client that must use PKCE, accounts made up from the address typed into the
// library's own development sign-in form, and an `amr` claim that says whether a second factor
// was used.
//
// Any address signs in at the provider. Its claims follow from the address:
//   email_verified  false for addresses starting "unverified", true otherwise;
//   amr             ["pwd", "mfa"] for addresses containing "-mfa@", ["pwd"] otherwise.
//
// Environment: OIDC_PORT, OIDC_REDIRECT_URI, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET.
// Prints "ready <issuer>" once it listens.
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;

function amrFor(email) {
  return email.includes('-mfa@') ? ['pwd', 'mfa'] : ['pwd'];
}

const configuration = {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: [process.env.OIDC_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  pkce: { required: () => true },
  claims: {
    openid: ['sub', 'amr'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: id,
          email_verified: !id.startsWith('unverified'),
          name: id.split('@')[0],
        };
      },
    };
  },
  // A first-party client, as an organisation's own app registration with admin consent: no
  // consent screen.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
};

const provider = new Provider(issuer, configuration);
// The development sign-in form records no authentication methods: add them, as a real
// provider's login would.
const finished = provider.interactionFinished.bind(provider);
provider.interactionFinished = (req, res, result, options) => {
  if (result.login) {
    result.login.amr = amrFor(result.login.accountId);
  }
  return finished(req, res, result, options);
};

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
