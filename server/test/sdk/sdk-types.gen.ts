import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import { format, resolveConfig } from 'prettier';
import { ERROR_REASONS, ERROR_TABLE } from '../../src/errors.js';
import { SDK_DIR } from './package.kit.js';

/**
 * The SDK's types shared with the server, generated from one source instead of copied: the
 * error table from server/src/errors.ts (runtime values: the SDK switches on them), and the
 * shapes of auth, documents, files and push from the server's /openapi.json (which the routes'
 * zod schemas produce), through openapi-typescript. `pnpm --filter @hearth/sdk run generate`
 * writes them; test/sdk/generated-types.test.ts fails when they are stale.
 */
export const GENERATED_ERRORS = join(SDK_DIR, 'src/generated/errors.ts');
export const GENERATED_API = join(SDK_DIR, 'src/generated/api.ts');

const HEADER = (source: string) =>
  `// Generated from ${source} by server/test/sdk/sdk-types.gen.ts: do not edit.\n` +
  `// Regenerate: pnpm --filter @hearth/sdk run generate (a test fails while this file is stale).\n`;

export function errorsSource(): string {
  const status = Object.entries(ERROR_TABLE).map(([code, row]) => `  ${code}: ${row.status},`);
  const reasons = Object.entries(ERROR_REASONS).map(
    ([code, list]) => `  ${code}: [${(list as readonly string[]).map((r) => `'${r}'`).join(', ')}],`,
  );
  return `${HEADER('server/src/errors.ts')}
/** HTTP status per error code. */
export const ERROR_STATUS = {
${status.join('\n')}
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The reasons (\`details.reason\`) each code may carry. */
export const ERROR_REASONS = {
${reasons.join('\n')}
} as const satisfies Record<ErrorCode, readonly string[]>;
`;
}

type Json = Record<string, unknown>;
const json = (op: string[]) => [...op, 'content', 'application/json', 'schema'];
const res = (path: string, method: string, status: string) => ['paths', path, method, 'responses', status];
const body = (path: string, method: string) => ['paths', path, method, 'requestBody'];
const A = '/v1/apps/{appId}';

/** Each generated type: where its schema is in /openapi.json (and how to narrow it). */
const PICKS: Record<string, { at: string[]; then?: (s: Json) => Json; doc: string }> = {
  AuthUser: { at: json(res(`${A}/auth/me`, 'get', '200')), doc: 'The app user (`GET /auth/me`).' },
  SignInResponse: {
    at: [...json(res(`${A}/auth/login`, 'post', '200')), 'anyOf', '0'],
    doc: 'A signed-in session: the user and its tokens.',
  },
  MfaChallenge: {
    at: [...json(res(`${A}/auth/login`, 'post', '200')), 'anyOf', '1'],
    doc: 'What a first factor returns when the user enrolled TOTP: finish with `auth.completeMfa`.',
  },
  VerificationRequired: {
    at: json(res(`${A}/auth/signup`, 'post', '202')),
    doc: 'Sign-up or upgrade when the app requires a verified email: the mailed link finishes it.',
  },
  AuthSession: {
    at: [...json(res(`${A}/auth/sessions`, 'get', '200')), 'properties', 'items', 'items'],
    doc: 'One signed-in session of the user (`auth.sessions()`).',
  },
  SystemFields: {
    at: json(res(`${A}/collections/{collection}/documents/{id}`, 'get', '200')),
    then: (s) => ({ ...s, additionalProperties: false }),
    doc: "The fields every document carries (read-only), around the collection's own.",
  },
  FileInfo: { at: json(res(`${A}/files/{fileId}`, 'get', '200')), doc: 'A stored file.' },
  Installation: {
    at: json(res(`${A}/push/installations`, 'post', '201')),
    doc: 'A device registered for push.',
  },
  InstallationInput: {
    at: json(body(`${A}/push/installations`, 'post')),
    doc: 'What registering a device sends.',
  },
  InstallationPatch: {
    at: json(body(`${A}/push/installations/{installationId}`, 'patch')),
    doc: 'What changing an installation sends.',
  },
  WebPushSubscription: {
    at: [...json(body(`${A}/push/installations`, 'post')), 'properties', 'subscription'],
    doc: "A browser's push subscription as the server takes it (`PushSubscription.toJSON()`).",
  },
  ErrorBody: { at: ['components', 'schemas', 'Error'], doc: 'The body of every error answer.' },
};

function at(doc: unknown, path: string[]): Json {
  let node = doc;
  for (const key of path) {
    node = (node as Json | undefined)?.[key];
    if (node === undefined) throw new Error(`/openapi.json has nothing at ${path.join(' → ')}`);
  }
  return node as Json;
}

export async function apiSource(openapi: unknown): Promise<string> {
  const schemas: Json = {};
  for (const [name, pick] of Object.entries(PICKS)) {
    const schema = at(openapi, pick.at);
    schemas[name] = { ...(pick.then ? pick.then(schema) : schema), description: pick.doc };
  }
  const mini = {
    openapi: '3.1.0',
    info: { title: 'Hearth shared types', version: '1' },
    paths: {},
    components: { schemas },
  };
  const ast = await openapiTS(mini as never, { exportType: true });
  const names = Object.keys(PICKS).map(
    (n) => `/** ${PICKS[n]!.doc} */\nexport type ${n} = components['schemas']['${n}'];`,
  );
  return `${HEADER("/openapi.json (the server routes' zod schemas)")}${astToString(ast)}\n${names.join('\n')}\n`;
}

/** Formatted as the repository formats TypeScript, so `prettier --check` passes on it. */
export async function formatted(file: string, source: string): Promise<string> {
  return format(source, { ...(await resolveConfig(file)), filepath: file });
}

export function isCurrent(file: string, content: string): boolean {
  try {
    return readFileSync(file, 'utf8') === content;
  } catch {
    return false;
  }
}

export function write(file: string, content: string): void {
  writeFileSync(file, content);
}
