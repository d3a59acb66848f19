// node-oidc-provider with its device flow (RFC 8628) on loopback: an independent implementation the
// device_signon suite is run against (tests/test_interop_node_oidc.py, profiles/node-oidc-provider.toml).
//
//   node server.mjs [PORT]        (or PORT=... node server.mjs; 0 picks a free port)
//
// Prints `ready <issuer>` on stdout once it listens. Only the login and consent steps are ours
// (node-oidc-provider leaves them to the deployer; its devInteractions accept any login without a
// password, which would make the suite's wrong-password checks meaningless); /device, the
// confirmation page, tokens, userinfo and discovery are the library's own.

import crypto from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const env = process.env;
const port = Number(process.argv[2] ?? env.PORT ?? 3000);

// Sandbox values: the profile reads the same variables with the same defaults.
const ACCOUNTS = [
  {
    id: 'acc-nop-primary',
    username: 'ada.tv@example.test',
    password: env.NODE_OIDC_PRIMARY_PASSWORD ?? 'Ada-Nop-pw-5150',
    name: 'Ada Lovelace',
  },
  {
    id: 'acc-nop-secondary',
    username: 'grace.tv@example.test',
    password: env.NODE_OIDC_SECONDARY_PASSWORD ?? 'Grace-Nop-pw-2271',
    name: 'Grace Hopper',
  },
  {
    id: 'acc-nop-lockout',
    username: 'lock.tv@example.test',
    password: env.NODE_OIDC_LOCKOUT_PASSWORD ?? 'Lock-Nop-pw-9034',
    name: 'Lock Out',
  },
];
const byId = new Map(ACCOUNTS.map((a) => [a.id, a]));
const byUsername = new Map(ACCOUNTS.map((a) => [a.username.toLowerCase(), a]));

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const deviceClient = (clientId, clientName) => ({
  client_id: clientId,
  client_name: clientName,
  token_endpoint_auth_method: 'none',
  grant_types: [DEVICE_GRANT, 'refresh_token'],
  response_types: [],
  redirect_uris: [],
});

// A fresh RSA key per start: tokens need not survive a restart.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'nop-1', alg: 'RS256', use: 'sig' };

function configuration() {
  return {
    clients: [
      deviceClient('nop-tv-app', 'Node TV app'),
      deviceClient('nop-tv-app-2', 'Node TV app two'),
      {
        client_id: 'nop-stb',
        client_name: 'Node set-top box',
        client_secret: env.NODE_OIDC_STB_SECRET ?? 'nop-stb-secret-8d41c2a97e3b4f15',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [DEVICE_GRANT, 'refresh_token'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    // offline_access is how node-oidc-provider decides to issue a refresh token.
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    async findAccount(ctx, sub) {
      const account = byId.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            email: account.username,
            email_verified: true,
            name: account.name,
            preferred_username: account.username,
          };
        },
      };
    },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    jwks: { keys: [signingKey] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    ttl: {
      // Short enough for the suite's expiry tests, long enough for an approval plus the 5 s
      // default polling interval twice over (the replay test polls twice after approving).
      DeviceCode: Number(env.NODE_OIDC_DEVICE_CODE_TTL_S ?? 15),
      AccessToken: 600,
      IdToken: 600,
      RefreshToken: 3600,
      Interaction: 600,
      Session: 600,
      Grant: 3600,
    },
    // Our own pages print no debug output: keep the library's error page terse too.
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Error', `<p id="error" data-error="${esc(out.error)}">${esc(out.error_description ?? out.error)}</p>`);
    },
  };
}

// --- our login and consent steps ---------------------------------------------------------------

function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head>`
    + `<body><h1>${esc(title)}</h1>${body}</body></html>`;
}

function loginPage(uid, error) {
  return page('Sign in', `${error ? `<p id="error" data-error="login">${esc(error)}</p>` : ''}
<form id="login" method="post" action="/interaction/${esc(uid)}/login">
  <input type="email" name="username" autocomplete="username" required>
  <input type="password" name="password" autocomplete="current-password" required>
  <button type="submit" name="action" value="login">Sign in</button>
</form>`);
}

function consentPage(uid, client, scope) {
  return page('Authorize device', `<p>Allow <strong id="client-name">${esc(client?.clientName ?? client?.clientId)}</strong>
to access your account (${esc(scope)})?</p>
<form id="consent" method="post" action="/interaction/${esc(uid)}/consent">
  <button type="submit" name="action" value="approve" id="approve">Approve</button>
  <button type="submit" name="action" value="deny" id="deny">Deny</button>
</form>`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, html) {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Frame-Options': 'DENY',
  });
  res.end(html);
}

async function interaction(provider, req, res, uid, step) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    send(res, 400, page('Error', '<p id="error" data-error="interaction">interaction mismatch</p>'));
    return;
  }
  const { prompt, params } = details;
  if (req.method === 'GET') {
    if (prompt.name === 'login') {
      send(res, 200, loginPage(uid));
    } else {
      const client = await provider.Client.find(params.client_id);
      send(res, 200, consentPage(uid, client, params.scope));
    }
    return;
  }
  const form = await readForm(req);
  if (step === 'login' && prompt.name === 'login') {
    const account = byUsername.get(String(form.get('username') ?? '').toLowerCase());
    const password = String(form.get('password') ?? '');
    const ok = account
      && password.length === account.password.length
      && crypto.timingSafeEqual(Buffer.from(password), Buffer.from(account.password));
    if (!ok) {
      // One message for an unknown user and a wrong password.
      send(res, 401, loginPage(uid, 'Wrong username or password'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: account.id } }, {
      mergeWithLastSubmission: false,
    });
    return;
  }
  if (step === 'consent' && prompt.name === 'consent') {
    if (form.get('action') !== 'approve') {
      await provider.interactionFinished(req, res, {
        error: 'access_denied',
        error_description: 'End-User denied the device',
      }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scope] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scope.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  send(res, 400, page('Error', `<p id="error" data-error="step">unexpected step ${esc(step)} for ${esc(prompt.name)}</p>`));
}

const ROUTE = /^\/interaction\/([\w-]+)(?:\/(login|consent))?$/;

const server = http.createServer();
server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration());
  const app = provider.callback();
  server.on('request', async (req, res) => {
    const path = new URL(req.url, issuer).pathname;
    const m = ROUTE.exec(path);
    if (!m) {
      app(req, res);
      return;
    }
    try {
      await interaction(provider, req, res, m[1], m[2]);
    } catch (err) {
      // SessionNotFound & co.: the interaction cookie is missing or expired.
      if (!res.headersSent) {
        send(res, 400, page('Error', `<p id="error" data-error="${esc(err.name)}">${esc(err.message)}</p>`));
      }
    }
  });
  process.stdout.write(`ready ${issuer}\n`);
});
