// Creates a "Todos" app with its `todos` collection on a local Hearth and writes .env.local.
// Run: HEARTH_ADMIN_EMAIL=… HEARTH_ADMIN_PASSWORD=… node setup.mjs   (HEARTH_URL: default http://localhost:8080)
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** The collection: each todo belongs to the user who created it, and only they see or change it. */
export const TODOS = {
  name: 'todos',
  fields: [
    { name: 'title', type: 'string', required: true, minLength: 1, maxLength: 200 },
    { name: 'done', type: 'boolean', default: false },
    // A file id; deleting the todo deletes the file.
    { name: 'attachment', type: 'file', onDelete: 'cascade' },
  ],
  rules: {
    list: { owner: '@auth.id' },
    get: { owner: '@auth.id' },
    create: 'authenticated',
    update: { owner: '@auth.id' },
    delete: { owner: '@auth.id' },
  },
};

async function call(hearthUrl, method, path, body, token) {
  const res = await fetch(hearthUrl + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json.error ?? json)}`);
  return json;
}

/** Creates the app and its collection; returns what the web app needs. */
export async function createTodoApp({ hearthUrl, adminToken, name = 'Todos' }) {
  const app = await call(hearthUrl, 'POST', '/v1/admin/apps', { name }, adminToken);
  await call(hearthUrl, 'POST', `/v1/admin/apps/${app.id}/collections`, TODOS, adminToken);
  return { app: app.id, publicKey: app.keys.public };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = process.env;
  const hearthUrl = env.HEARTH_URL ?? 'http://localhost:8080';
  const { accessToken } = await call(hearthUrl, 'POST', '/v1/admin/login', {
    email: env.HEARTH_ADMIN_EMAIL,
    password: env.HEARTH_ADMIN_PASSWORD,
  });
  const { app, publicKey } = await createTodoApp({ hearthUrl, adminToken: accessToken });
  writeFileSync('.env.local', `VITE_HEARTH_URL=${hearthUrl}\nVITE_HEARTH_APP=${app}\nVITE_HEARTH_KEY=${publicKey}\n`);
  console.log(`app ${app} created with its todos collection; .env.local written. Now: pnpm dev`);
}
