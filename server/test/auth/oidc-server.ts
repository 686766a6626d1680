import { createServer, type Server } from 'node:http';
import Provider from 'oidc-provider';

/**
 * A real OpenID provider (oidc-provider) on 127.0.0.1 for the sign-in tests. Its login and
 * consent screens are replaced by an automatic answer: the user the test chose signs in and
 * consents. Accounts are whatever the test puts in `accounts`.
 */
export interface TestAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface TestOidc {
  issuer: string;
  accounts: Map<string, TestAccount>;
  /** Who signs in at the next login prompt. */
  signInAs: string;
  client: { clientId: string; clientSecret: string };
  close(): Promise<void>;
}

export async function startOidc(redirectUris: string[]): Promise<TestOidc> {
  const accounts = new Map<string, TestAccount>();
  const state: { signInAs: string } = { signInAs: '' };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const issuer = `http://127.0.0.1:${port}`;
  const client = { clientId: 'hearth-test', clientSecret: 'a-client-secret-that-is-long-enough-0123456789' };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: async (_ctx: unknown, id: string) => {
      const account = accounts.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ ...account }) };
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    cookies: { keys: ['test-cookie-key-0123456789'] },
    ttl: { Session: 60, Interaction: 60, Grant: 60, AccessToken: 60, AuthorizationCode: 60, IdToken: 60 },
  });
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      void (async () => {
        try {
          const details = await provider.interactionDetails(req, res);
          if (details.prompt.name === 'login') {
            await provider.interactionFinished(
              req,
              res,
              { login: { accountId: state.signInAs } },
              { mergeWithLastSubmission: false },
            );
            return;
          }
          const grant = details.grantId
            ? await provider.Grant.find(details.grantId)
            : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
          if (details.prompt.details.missingOIDCScope)
            grant.addOIDCScope(details.prompt.details.missingOIDCScope.join(' '));
          if (details.prompt.details.missingOIDCClaims) grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
          const grantId = await grant.save();
          await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        } catch (e) {
          res.statusCode = 500;
          res.end(String(e));
        }
      })();
      return;
    }
    callback(req, res);
  });
  return {
    issuer,
    accounts,
    get signInAs() {
      return state.signInAs;
    },
    set signInAs(v: string) {
      state.signInAs = v;
    },
    client,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Follows the provider's redirects (with its cookies) until it sends the browser to `until`. */
export async function runProviderLeg(start: string, until: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = new URL(start);
  for (let i = 0; i < 20; i++) {
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, ...v] = pair!.split('=');
      jar.set(k!.trim(), v.join('='));
    }
    const location = res.headers.get('location');
    if (!location)
      throw new Error(`the provider answered ${res.status} without a redirect: ${(await res.text()).slice(0, 500)}`);
    url = new URL(location, url);
    if (url.href.startsWith(until)) return url;
  }
  throw new Error('too many redirects at the provider');
}
