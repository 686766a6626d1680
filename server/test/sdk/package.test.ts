import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  installPackedSdk,
  scenarioSource,
  sdkBin,
  SDK_DIR,
  serverBin,
  startLiveHearth,
  type LiveHearth,
} from './package.kit.js';

/**
 * The packed SDK as a new user gets it: the tarball's contents, publint and attw, then an empty
 * project that installs the tarball and runs one scenario under Node ESM, Node CJS and a browser
 * bundle in Chromium, against a live Hearth; its TypeScript compiles without the DOM lib.
 */
// The scripts talk to the server in this process: run them without blocking its event loop.
const run = async (file: string, args: string[], env: Record<string, string>) =>
  (await promisify(execFile)(file, args, { env: { ...process.env, ...env }, encoding: 'utf8' })).stdout;
const CHROMIUM = process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium';
const EXPECTED = {
  done: false,
  version: 1,
  found: 1,
  error: { isHearthError: true, status: 404, code: 'not_found', requestId: 'string' },
  live: 'create:Live',
};

const BROWSER_UPLOAD = `window.upload = async (env) => {
  const hearth = createClient({ url: env.url, app: env.app, key: env.key });
  await hearth.auth.signInAnonymously();
  const seen = [];
  const file = await hearth.files.upload(new Blob([new Uint8Array(300000).fill(65)]), { name: 'a.txt', onProgress: (p) => seen.push(p) });
  return { size: file.size, last: seen.at(-1), xhr: typeof XMLHttpRequest === 'function' };
};`;

describe('the packed SDK', () => {
  let live: LiveHearth;
  let consumer: ReturnType<typeof installPackedSdk>;
  const env = () => JSON.stringify({ url: live.url, app: live.appId, key: live.publicKey });

  beforeAll(async () => {
    live = await startLiveHearth();
    consumer = installPackedSdk();
  }, 300_000);
  afterAll(async () => {
    consumer?.cleanup();
    await live?.close();
  });

  it('ships dist, README and LICENSE, and no sources or tsconfig', () => {
    const files = consumer.files.map((f) => f.replace(/^package\//, ''));
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/index.js',
        'dist/index.cjs',
        'dist/index.d.ts',
        'dist/index.d.cts',
        'README.md',
        'LICENSE',
      ]),
    );
    expect(files.filter((f) => f.startsWith('src/') || f.includes('tsconfig'))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(SDK_DIR, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: '@hearth/sdk', sideEffects: false, license: 'MIT' });
    expect(pkg.private).toBeUndefined();
  });

  it('passes publint and are-the-types-wrong with no problems', () => {
    const publint = execFileSync(sdkBin('publint'), ['--strict', consumer.tarball], { encoding: 'utf8' });
    expect(publint).toContain('All good');
    const attw = execFileSync(sdkBin('attw'), [consumer.tarball, '--format', 'json'], { encoding: 'utf8' });
    const report = JSON.parse(attw) as { analysis: { problems: unknown[] }; problems?: unknown[] };
    expect(report.analysis.problems).toEqual([]);
  }, 120_000);

  it('runs under Node ESM', async () => {
    const file = join(consumer.dir, 'scenario.mjs');
    writeFileSync(
      file,
      `import { createClient, HearthError } from '@hearth/sdk';\nconst env = JSON.parse(process.env.HEARTH);\nlet result;\n${scenarioSource()}\nconsole.log(JSON.stringify(result));`,
    );
    const out = JSON.parse(await run('node', [file], { HEARTH: env() }));
    expect(out).toMatchObject(EXPECTED);
  }, 60_000);

  it('runs under Node CJS (require)', async () => {
    const file = join(consumer.dir, 'scenario.cjs');
    writeFileSync(
      file,
      `const { createClient, HearthError } = require('@hearth/sdk');\nconst env = JSON.parse(process.env.HEARTH);\nlet result;\n(async () => {${scenarioSource()}\nconsole.log(JSON.stringify(result));})();`,
    );
    // --no-experimental-require-module: prove it is the CJS build, not Node's require(esm).
    const out = await run('node', ['--no-experimental-require-module', file], { HEARTH: env() });
    expect(JSON.parse(out)).toMatchObject(EXPECTED);
  }, 60_000);

  it('type-checks in ESM and CJS projects without the DOM lib', () => {
    const src = (imp: string) => `${imp}
interface Todo { title: string; done: boolean; tags?: string[] }
export async function run(): Promise<boolean> {
  const hearth = createClient({ url: 'http://localhost:8080', app: 'a', key: 'pk_x' });
  const todos = hearth.collection<Todo, 'done'>('todos');
  const t = await todos.create({ title: 'Buy milk' });
  await todos.update(t.id, { $push: { tags: 'home' } }, { ifMatch: t.version });
  // @ts-expect-error unknown field
  await todos.find({ filter: { titel: 'x' } });
  const stop = await todos.subscribe({ done: false }, (e) => {
    if (e.type === 'create') void e.document.title;
  });
  await stop();
  await hearth.channel<{ text: string }>('room:1').publish({ text: 'hi' });
  await hearth.push.registerToken({ platform: 'ios', token: 'ab' });
  return t.done;
}
`;
    writeFileSync(join(consumer.dir, 'check.mts'), src(`import { createClient } from '@hearth/sdk';`));
    writeFileSync(
      join(consumer.dir, 'check.cts'),
      src(`import sdk = require('@hearth/sdk');\nconst { createClient } = sdk;`),
    );
    // No skipLibCheck, no DOM lib, no @types: the SDK's declarations stand on ES2022 alone.
    const compilerOptions = {
      strict: true,
      module: 'node16',
      moduleResolution: 'node16',
      target: 'es2022',
      lib: ['es2022'],
      types: [],
      noEmit: true,
    };
    writeFileSync(
      join(consumer.dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, files: ['check.mts', 'check.cts'] }),
    );
    execFileSync(serverBin('tsc'), ['-p', '.'], { cwd: consumer.dir, encoding: 'utf8' });
  }, 60_000);

  it('leaves socket.io-client out of what an app without realtime loads (its own lazy chunk)', async () => {
    const entry = join(consumer.dir, 'rest-only.mjs');
    writeFileSync(
      entry,
      `import { createClient } from '@hearth/sdk';\nexport const list = () => createClient({ url: 'http://x', app: 'a', key: 'pk' }).collection('todos').find();`,
    );
    const out = await build({
      entryPoints: [entry],
      bundle: true,
      splitting: true,
      platform: 'browser',
      format: 'esm',
      outdir: join(consumer.dir, 'split'),
      write: false,
      absWorkingDir: consumer.dir,
      logLevel: 'silent',
      metafile: true,
    });
    const main = out.outputFiles.find((f) => f.path.endsWith('rest-only.js'))!;
    const inputs = (file: string) => Object.keys(out.metafile.outputs[file]?.inputs ?? {});
    const mainKey = Object.keys(out.metafile.outputs).find((k) => k.endsWith('rest-only.js'))!;
    expect(inputs(mainKey).filter((i) => /socket\.io|engine\.io/.test(i))).toEqual([]);
    expect(main.text).toMatch(/import\(["']\.\/[^"']+\.js["']\)/);
    const lazy = Object.keys(out.metafile.outputs).filter((k) => inputs(k).some((i) => i.includes('socket.io-client')));
    expect(lazy).toHaveLength(1);
  });

  it('runs as a browser bundle in Chromium (no Node-only imports)', async () => {
    const entry = join(consumer.dir, 'browser.mjs');
    writeFileSync(
      entry,
      `import { createClient, HearthError } from '@hearth/sdk';\nwindow.run = async (env) => { let result;\n${scenarioSource()}\nreturn result; };\n${BROWSER_UPLOAD}`,
    );
    const bundle = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      absWorkingDir: consumer.dir,
      logLevel: 'silent',
    });
    const js = bundle.outputFiles[0]!.text;
    expect(js).not.toMatch(/from ["']node:/);
    const page: Server = createServer((req, res) => {
      if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><script type="module" src="/app.js"></script>');
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const tab = await browser.newPage();
      await tab.goto(`http://127.0.0.1:${(page.address() as AddressInfo).port}/`);
      await tab.waitForFunction(() => typeof (globalThis as unknown as { run?: unknown }).run === 'function');
      const out = await tab.evaluate(
        (e) => (globalThis as unknown as { run: (env: unknown) => Promise<unknown> }).run(JSON.parse(e)),
        env(),
      );
      expect(out).toMatchObject(EXPECTED);
      // Uploads go through XMLHttpRequest here, for upload progress events.
      const uploaded = await tab.evaluate(
        (e) => (globalThis as unknown as { upload: (env: unknown) => Promise<unknown> }).upload(JSON.parse(e)),
        env(),
      );
      expect(uploaded).toMatchObject({ size: 300_000, last: { loaded: 300_000, total: 300_000 }, xhr: true });
    } finally {
      await browser.close();
      await new Promise((resolve) => page.close(resolve));
    }
  }, 120_000);
});
