import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The code blocks of docs/webhooks.md that start with `// file: <name>`, written to a temp folder
 * as they are, so tests run the documented receiver code itself.
 */
export async function docExamples(): Promise<{
  verifyHearthSignature: (raw: string, header: unknown, secret: string, tolerance?: number, now?: number) => boolean;
  receiver: (secret: string, onEvent: (event: Record<string, unknown>) => void) => import('node:http').Server;
}> {
  const doc = readFileSync(join(import.meta.dirname, '../../../docs/webhooks.md'), 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'hearth-doc-examples-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const m of doc.matchAll(/```js\n\/\/ file: ([\w.-]+)\n([\s\S]*?)```/g)) {
    writeFileSync(join(dir, m[1]!), m[2]!);
  }
  const verify = (await import(pathToFileURL(join(dir, 'verify-hearth.mjs')).href)) as {
    verifyHearthSignature: Awaited<ReturnType<typeof docExamples>>['verifyHearthSignature'];
  };
  const receiver = (await import(pathToFileURL(join(dir, 'receiver.mjs')).href)) as {
    receiver: Awaited<ReturnType<typeof docExamples>>['receiver'];
  };
  return { verifyHearthSignature: verify.verifyHearthSignature, receiver: receiver.receiver };
}
