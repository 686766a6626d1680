import { ERROR_TABLE, type ErrorCode } from '../../src/errors.js';
import type { Operation, SecurityScheme } from './operations.js';
import { changedFields, type Change } from './recording-store.js';
import type { Principal } from './world.js';

/**
 * What every response must satisfy, whatever was sent:
 * - no 5xx, and an answer within the per-request timeout;
 * - an error (4xx) is exactly `{error: {code, message, details?}}` with a code from the error
 *   table (server/src/errors.ts) and that code's status;
 * - a success status is one the operation declares in /openapi.json;
 * - a caller holding none of the operation's security schemes (for the app in the path) never
 *   gets a success, nor does a path that names one app and another app's object;
 * - no response contains a secret handed out earlier (a secret key, a password) or a stored
 *   hash field;
 * - a rejected request changed nothing in the store, except what ALLOWED_ON_REJECTION lists.
 */
export interface Failure {
  check:
    | 'server_error'
    | 'timeout'
    | 'error_shape'
    | 'error_status'
    | 'undeclared_status'
    | 'authorization'
    | 'leak'
    | 'changed';
  detail: string;
}

export interface Response {
  status: number;
  body: unknown;
  text: string;
  contentType: string;
}

const SHAPE_KEYS = new Set(['code', 'message', 'details']);

export function checkResponse(op: Operation, res: Response, secrets: string[]): Failure[] {
  const out: Failure[] = [];
  if (res.status >= 500) out.push({ check: 'server_error', detail: `${res.status} ${res.text.slice(0, 300)}` });
  if (res.status >= 400) out.push(...checkErrorBody(res));
  else if (op.successStatuses.length && !op.successStatuses.includes(res.status)) {
    out.push({ check: 'undeclared_status', detail: `${res.status} is not among ${op.successStatuses.join(', ')}` });
  }
  for (const s of secrets) {
    if (s && res.text.includes(s))
      out.push({ check: 'leak', detail: `the response holds a secret (${s.slice(0, 6)}…)` });
  }
  for (const field of ['passwordHash', 'tokenHash', '$argon2', 'totpSecret', 'previousHashes']) {
    if (res.text.includes(field)) out.push({ check: 'leak', detail: `the response holds ${field}` });
  }
  return out;
}

function checkErrorBody(res: Response): Failure[] {
  const bad = (detail: string): Failure[] => [{ check: 'error_shape', detail: `${detail}: ${res.text.slice(0, 300)}` }];
  if (!/^application\/json/.test(res.contentType)) return bad(`content type ${res.contentType || '(none)'}`);
  const body = res.body as Record<string, unknown> | null;
  if (!body || typeof body !== 'object' || Object.keys(body).join() !== 'error') return bad('not {error}');
  const error = body.error as Record<string, unknown> | null;
  if (!error || typeof error !== 'object') return bad('error is not an object');
  const extra = Object.keys(error).filter((k) => !SHAPE_KEYS.has(k));
  if (extra.length) return bad(`unexpected keys ${extra.join(', ')}`);
  if (typeof error.message !== 'string' || !error.message) return bad('no message');
  if (
    'details' in error &&
    (typeof error.details !== 'object' || error.details === null || Array.isArray(error.details))
  ) {
    return bad('details is not an object');
  }
  const row = ERROR_TABLE[error.code as ErrorCode];
  if (!row) return bad(`unknown code ${String(error.code)}`);
  if (row.status !== res.status) {
    return [
      { check: 'error_status', detail: `${String(error.code)} came with ${res.status}, the table says ${row.status}` },
    ];
  }
  return [];
}

/** Which of the app-level schemes a principal really holds for the app in the path. */
export function schemesHeld(principal: Principal, pathApp: 'a' | 'b' | 'none' | 'no-app'): Set<SecurityScheme> {
  const held = new Set<SecurityScheme>();
  if (principal === 'admin') held.add('adminBearer');
  const keyFor: Partial<Record<Principal, 'a' | 'b'>> = {
    publicKey: 'a',
    secretKey: 'a',
    user: 'a',
    otherAppUser: 'a',
    otherAppKey: 'b',
  };
  if (keyFor[principal] && keyFor[principal] === pathApp) held.add('appKey');
  if (principal === 'user' && pathApp === 'a') held.add('userBearer');
  return held;
}

export function checkAuthorization(op: Operation, status: number, held: Set<SecurityScheme>): Failure[] {
  if (!op.security.length || status >= 400) return [];
  if (op.security.some((s) => held.has(s))) return [];
  return [{ check: 'authorization', detail: `${status} for a caller holding none of ${op.security.join(', ')}` }];
}

/** A path that names one app and an object of the other (cross-tenant) must never succeed. */
export function checkTenancy(status: number, foreign: string | undefined): Failure[] {
  if (!foreign || status >= 400) return [];
  return [{ check: 'authorization', detail: `${status} for a path naming another app's ${foreign}` }];
}

/**
 * Changes a rejected request may make, each with its reason. Everything else a rejected request
 * changes is a failure.
 */
export const ALLOWED_ON_REJECTION: ReadonlyArray<{ why: string; allows: (c: Change, status: number) => boolean }> = [
  {
    why: 'the audit log may record a refused attempt; it only ever grows (no entry changes or disappears)',
    allows: (c) =>
      c.appId === '_system' && c.collection === 'audit' && !c.removed.length && !c.modified.length && !c.indexesChanged,
  },
  {
    why:
      'a refresh token presented again after it was rotated revokes its session (reuse detection, ' +
      'answered 401 invalid_refresh_token): the only change is the session being marked revoked',
    allows: (c, status) =>
      status === 401 &&
      (c.collection === '_sessions' || c.collection === 'admin_sessions') &&
      !c.added.length &&
      !c.removed.length &&
      !c.indexesChanged &&
      c.modified.every(({ before, after }) =>
        changedFields(before, after).every((f) => ['revokedAt', 'revokedReason', 'updatedAt', 'version'].includes(f)),
      ),
  },
];

export function checkChanges(changes: Change[], status: number): Failure[] {
  const out: Failure[] = [];
  for (const c of changes) {
    if (ALLOWED_ON_REJECTION.some((a) => a.allows(c, status))) continue;
    const parts = [
      c.added.length ? `added ${c.added.map((d) => d.id).join(',')}` : '',
      c.removed.length ? `removed ${c.removed.map((d) => d.id).join(',')}` : '',
      ...c.modified.map(({ before, after }) => `modified ${before.id} (${changedFields(before, after).join(', ')})`),
      c.indexesChanged ? 'indexes changed' : '',
    ].filter(Boolean);
    out.push({ check: 'changed', detail: `${c.appId}/${c.collection}: ${parts.join('; ')}` });
  }
  return out;
}
