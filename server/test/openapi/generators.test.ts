import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, withAdminAndApp, type Harness } from '../support/harness.js';

/**
 * /openapi.json as client generators read it: `redocly lint` finds no errors (and only the
 * warnings listed below), and a client generated with openapi-typescript + openapi-fetch signs
 * up and creates a document, type-checked, against a live server.
 */
const SERVER_DIR = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string) => join(SERVER_DIR, 'node_modules/.bin', name);
const sh = promisify(execFile);

/** Warnings we keep, and why. */
const ACCEPTED_WARNINGS = [
  // The test server's PUBLIC_URL; a deployment's document names its own host.
  { ruleId: 'no-server-example.com', pointer: '#/servers/0/url' },
  // Liveness, readiness and this document take no input and no credentials: no 4xx to describe.
  { ruleId: 'operation-4xx-response', pointer: '#/paths/~1healthz/get/responses' },
  { ruleId: 'operation-4xx-response', pointer: '#/paths/~1readyz/get/responses' },
  { ruleId: 'operation-4xx-response', pointer: '#/paths/~1openapi.json/get/responses' },
];
/**
 * tus's fixed endpoint `/files/tus/{uploadId}` and `/files/{fileId}/content` would overlap only
 * for a file named by the id `tus`; file ids are random and never that, and tus's path is what
 * tus clients expect.
 */
const acceptedAmbiguity = (p: { ruleId: string; pointer: string }) =>
  p.ruleId === 'no-ambiguous-paths' && /~1files~1\{fileId\}~1(content|url)$/.test(p.pointer);

describe('OpenAPI for generators', () => {
  let h: Harness;
  let server: Server;
  let url: string;
  let ctx: Awaited<ReturnType<typeof withAdminAndApp>>;
  const work = join(SERVER_DIR, '.test-tmp', `openapi-${process.pid}`);
  beforeAll(async () => {
    h = await startHarness('sqlite');
    ctx = await withAdminAndApp(h);
    await h.http
      .post(`/v1/admin/apps/${ctx.appId}/collections`)
      .set('Authorization', `Bearer ${ctx.adminToken}`)
      .send({
        name: 'todos',
        fields: [
          { name: 'title', type: 'string', required: true, maxLength: 200 },
          { name: 'done', type: 'boolean', default: false },
          { name: 'priority', type: 'integer', min: 1, max: 5 },
          { name: 'tags', type: 'array', of: { type: 'string' } },
        ],
        rules: {
          list: 'authenticated',
          get: 'authenticated',
          create: 'authenticated',
          update: 'authenticated',
          delete: 'authenticated',
        },
      })
      .expect(201);
    server = h.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    mkdirSync(work, { recursive: true });
  });
  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await new Promise((resolve) => server?.close(resolve));
    await h?.close();
  });

  const lint = async (doc: unknown, name: string) => {
    const file = join(work, name);
    writeFileSync(file, JSON.stringify(doc));
    const out = await sh(bin('redocly'), ['lint', file, '--format=json'], { maxBuffer: 64 * 1024 * 1024 }).catch(
      (e: { stdout: string }) => ({ stdout: e.stdout }),
    );
    const report = JSON.parse(out.stdout) as {
      totals: { errors: number };
      problems: Array<{ ruleId: string; location: Array<{ pointer: string }> }>;
    };
    const problems = report.problems.map((p) => ({ ruleId: p.ruleId, pointer: p.location[0]!.pointer }));
    expect(report.totals.errors, JSON.stringify(problems.slice(0, 20))).toBe(0);
    const unexpected = problems.filter(
      (q) => !acceptedAmbiguity(q) && !ACCEPTED_WARNINGS.some((a) => a.ruleId === q.ruleId && a.pointer === q.pointer),
    );
    expect(unexpected, 'unexpected warnings').toEqual([]);
  };

  it('passes redocly lint with 0 errors and only the accepted warnings', async () => {
    await lint((await h.http.get('/openapi.json').expect(200)).body, 'openapi.json');
  }, 120_000);

  it("serves each app's document with its collections typed, also lint-clean", async () => {
    const doc = (await h.http.get(`/v1/apps/${ctx.appId}/openapi.json`).set('X-Hearth-Key', ctx.publicKey).expect(200))
      .body;
    expect(doc.components.schemas.TodosCreate).toMatchObject({
      required: ['title'],
      properties: {
        title: { type: 'string', maxLength: 200 },
        done: { type: 'boolean', description: 'Default: false' },
      },
    });
    expect(doc.components.schemas.Todos.required).toEqual(expect.arrayContaining(['id', 'version', 'title', 'done']));
    expect(
      doc.paths[`/v1/apps/${ctx.appId}/collections/todos/documents`].post.requestBody.content['application/json']
        .schema,
    ).toEqual({
      $ref: '#/components/schemas/TodosCreate',
    });
    expect(Object.keys(doc.paths).every((p) => p.startsWith(`/v1/apps/${ctx.appId}`))).toBe(true);
    await lint(doc, 'app-openapi.json');
    await h.http.get(`/v1/apps/${ctx.appId}/openapi.json`).expect(401);
  }, 120_000);

  it('generates a typed client (openapi-typescript + openapi-fetch) that signs up and creates a document', async () => {
    const doc = (await h.http.get(`/v1/apps/${ctx.appId}/openapi.json`).set('X-Hearth-Key', ctx.publicKey).expect(200))
      .body;
    writeFileSync(join(work, 'api.d.ts'), astToString(await openapiTS(doc)));
    const app = ctx.appId;
    writeFileSync(
      join(work, 'client.ts'),
      `import createClient from 'openapi-fetch';
import type { paths } from './api.js';

const api = createClient<paths>({ baseUrl: process.env.HEARTH_URL!, headers: { 'X-Hearth-Key': process.env.HEARTH_KEY! } });
const signUp = await api.POST('/v1/apps/${app}/auth/signup', {
  body: { email: 'generated@example.com', password: 'correct horse battery staple' },
});
if (!signUp.data || !('accessToken' in signUp.data)) throw new Error(JSON.stringify(signUp.error));
const token: string = signUp.data.accessToken;
const created = await api.POST('/v1/apps/${app}/collections/todos/documents', {
  body: { title: 'Buy milk', tags: ['home'] },
  headers: { Authorization: \`Bearer \${token}\`, 'Idempotency-Key': 'generated-1' },
});
if (!created.data) throw new Error(JSON.stringify(created.error));
const title: string = created.data.title;
const version: number = created.data.version;
// @ts-expect-error a field of the wrong type does not compile
void api.POST('/v1/apps/${app}/collections/todos/documents', { body: { title: 42 } });
// @ts-expect-error title is required
void api.POST('/v1/apps/${app}/collections/todos/documents', { body: { done: true } });
const patched = await api.PATCH('/v1/apps/${app}/collections/todos/documents/{id}', {
  params: { path: { id: created.data.id } },
  body: { $push: { tags: 'urgent' } },
  headers: { Authorization: \`Bearer \${token}\`, 'If-Match': \`"\${version}"\` },
});
console.log(JSON.stringify({ title, version, done: created.data.done, tags: patched.data?.tags, error: patched.error }));
`,
    );
    const tsconfig = {
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        lib: ['es2022', 'dom'],
        types: ['node'],
        noEmit: true,
        skipLibCheck: true,
      },
      files: ['client.ts'],
    };
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify(tsconfig));
    writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module' }));
    await sh(bin('tsc'), ['-p', work]).catch((e: { stdout: string }) => {
      throw new Error(`the generated client does not type-check:\n${e.stdout}`);
    });
    const run = await sh(bin('tsx'), [join(work, 'client.ts')], {
      env: { ...process.env, HEARTH_URL: url, HEARTH_KEY: ctx.publicKey },
    });
    expect(JSON.parse(run.stdout)).toEqual({ title: 'Buy milk', version: 1, done: false, tags: ['home', 'urgent'] });
  }, 120_000);

  it('`hearth types` writes collection types from the app document that type the SDK by name', async () => {
    const out = join(work, 'hearth-types.d.ts');
    const cli = join(SERVER_DIR, '../sdk/bin/hearth.mjs');
    await sh('node', [cli, 'types', '--url', url, '--app', ctx.appId, '--key', ctx.publicKey, '--out', out]);
    const types = readFileSync(out, 'utf8');
    expect(types).toContain(`defaults: "done";`);
    writeFileSync(
      join(work, 'typed.mts'),
      `import { createClient } from '@hearth/sdk';
const hearth = createClient({ url: 'http://localhost:8080', app: 'a', key: 'pk_x' });
const todos = hearth.collection('todos');
const t = await todos.create({ title: 'Buy milk', priority: 2 });
const done: boolean = t.done;
const tags: string[] | undefined = t.tags;
// @ts-expect-error title is required
await todos.create({ done: true });
// @ts-expect-error priority is a number
await todos.create({ title: 'x', priority: 'high' });
// @ts-expect-error unknown field in a filter
await todos.find({ filter: { titel: 'x' } });
export { done, tags };
`,
    );
    const compilerOptions = {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      lib: ['es2022'],
      types: [],
      noEmit: true,
    };
    writeFileSync(
      join(work, 'tsconfig.typed.json'),
      JSON.stringify({ compilerOptions, files: ['typed.mts', 'hearth-types.d.ts'] }),
    );
    await sh(bin('tsc'), ['-p', join(work, 'tsconfig.typed.json')]).catch((e: { stdout: string }) => {
      throw new Error(`generated types do not work:\n${e.stdout}\n${types}`);
    });
    await expect(sh('node', [cli, 'types', '--url', url])).rejects.toMatchObject({
      stderr: expect.stringContaining('usage'),
    });
  }, 120_000);
});
