import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT_DIR, SDK_DIR, serverBin } from './package.kit.js';

/**
 * The docs compile: every `ts` block of sdk/README.md and the root README's SDK snippet, each as
 * its own module against the built @hearth/sdk, with the names the prose assumes declared.
 */
const SDK_EXPORTS = [
  'createClient',
  'isMfaChallenge',
  'isVerificationRequired',
  'HearthError',
  'isHearthError',
  'authRequests',
  'collectionRequests',
  'localStorageOrMemory',
];
const SDK_TYPES = ['Filter', 'TokenStorage'];

function blocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** The block plus what it assumes: imports it did not write, the app's ids, and earlier names. */
function moduleOf(block: string): string {
  const uses = (name: string) => new RegExp(`\\b${name}\\b`).test(block);
  const imported = (name: string) => new RegExp(`import[^;]*\\b${name}\\b[^;]*from '@hearth/sdk'`).test(block);
  const defines = (name: string) => new RegExp(`(const|interface) ${name}\\b`).test(block);
  const lines = [
    ...SDK_EXPORTS.filter((n) => uses(n) && !imported(n)).map((n) => `import { ${n} } from '@hearth/sdk';`),
    ...SDK_TYPES.filter((n) => uses(n) && !imported(n)).map((n) => `import type { ${n} } from '@hearth/sdk';`),
    `import type { HearthClient, CollectionRef } from '@hearth/sdk';`,
    'declare const APP_ID: string, PUBLIC_KEY: string, SECRET_KEY: string, TOKEN_FROM_LINK: string;',
    ...(defines('hearth') ? [] : ['declare const hearth: HearthClient;']),
    ...(defines('Todo') ? [] : ['interface Todo { title: string; done: boolean; priority?: number; tags?: string[] }']),
    ...(defines('todos') ? [] : ["declare const todos: CollectionRef<Todo, 'done'>;"]),
  ];
  return `${lines.join('\n')}\n${block}\nexport {};\n`;
}

describe('the READMEs', () => {
  const work = join(ROOT_DIR, 'server', '.test-tmp', `readme-${process.pid}`);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('type-check: every ts block of sdk/README.md and the root README SDK snippet', async () => {
    const sdkBlocks = blocks(readFileSync(join(SDK_DIR, 'README.md'), 'utf8'));
    const rootBlocks = blocks(readFileSync(join(ROOT_DIR, 'README.md'), 'utf8')).filter((b) =>
      b.includes('@hearth/sdk'),
    );
    expect(sdkBlocks.length).toBeGreaterThan(10);
    expect(rootBlocks).toHaveLength(1);
    mkdirSync(work, { recursive: true });
    const files = [...sdkBlocks.map((b, i) => [`sdk-${i}.mts`, b]), ...rootBlocks.map((b, i) => [`root-${i}.mts`, b])];
    for (const [name, b] of files) writeFileSync(join(work, name!), moduleOf(b!));
    const compilerOptions = {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      lib: ['es2022', 'dom'],
      types: [],
      noEmit: true,
    };
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: files.map(([n]) => n) }));
    await promisify(execFile)(serverBin('tsc'), ['-p', work]).catch((e: { stdout: string }) => {
      throw new Error(`README code does not type-check:\n${e.stdout}`);
    });
  }, 120_000);
});
