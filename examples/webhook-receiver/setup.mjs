// Creates the webhook on a local Hearth and prints its signing secret (shown once).
// Run: HEARTH_ADMIN_EMAIL=… HEARTH_ADMIN_PASSWORD=… HEARTH_APP=<app id> node setup.mjs
// Webhooks are managed with the admin API (an admin's decision, audited), not with app keys.
import { pathToFileURL } from 'node:url';

/** Signs the admin in and creates a webhook for `events` that posts to `receiverUrl`. */
export async function createWebhook({ hearthUrl, adminToken, app, receiverUrl, events }) {
  const res = await fetch(`${hearthUrl}/v1/admin/apps/${app}/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ url: receiverUrl, events, description: 'examples/webhook-receiver' }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`creating the webhook: ${res.status} ${JSON.stringify(body.error ?? body)}`);
  return body; // { id, secret, … }
}

export async function adminSignIn(hearthUrl, email, password) {
  const res = await fetch(`${hearthUrl}/v1/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`admin sign-in: ${res.status} ${JSON.stringify(body.error ?? body)}`);
  return body.accessToken;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = process.env;
  const hearthUrl = env.HEARTH_URL ?? 'http://localhost:8080';
  const adminToken = await adminSignIn(hearthUrl, env.HEARTH_ADMIN_EMAIL, env.HEARTH_ADMIN_PASSWORD);
  const hook = await createWebhook({
    hearthUrl,
    adminToken,
    app: env.HEARTH_APP,
    receiverUrl: env.RECEIVER_URL ?? 'http://127.0.0.1:4000/',
    events: (env.EVENTS ?? 'documents.*,users.create').split(','),
  });
  console.log(`webhook ${hook.id} created; start the receiver with\n  WEBHOOK_SECRET=${hook.secret} node server.mjs`);
}
