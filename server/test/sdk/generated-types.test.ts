import { ERROR_REASONS as SDK_REASONS, ERROR_STATUS, HearthError as SdkError } from '@hearth/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_REASONS, ERROR_TABLE } from '../../src/errors.js';
import { startHarness, type Harness } from '../support/harness.js';
import {
  apiSource,
  errorsSource,
  formatted,
  GENERATED_API,
  GENERATED_ERRORS,
  isCurrent,
  write,
} from './sdk-types.gen.js';

/**
 * The SDK's shared types are generated (sdk-types.gen.ts) from the server's error table and
 * /openapi.json. This fails while a generated file differs from what the server says now; with
 * HEARTH_WRITE_SDK_TYPES=1 (`pnpm --filter @hearth/sdk run generate`) it rewrites them instead.
 */
const WRITE = process.env.HEARTH_WRITE_SDK_TYPES === '1';
const STALE = 'is stale: run `pnpm --filter @hearth/sdk run generate` and commit the result';

describe('the SDK types generated from the server', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('sqlite');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sdk/src/generated/errors.ts is the server error table', async () => {
    const content = await formatted(GENERATED_ERRORS, errorsSource());
    if (WRITE) write(GENERATED_ERRORS, content);
    expect(isCurrent(GENERATED_ERRORS, content), `sdk/src/generated/errors.ts ${STALE}`).toBe(true);
  });

  it('sdk/src/generated/api.ts is what /openapi.json says', async () => {
    const doc = (await h.http.get('/openapi.json').expect(200)).body as unknown;
    const content = await formatted(GENERATED_API, await apiSource(doc));
    if (WRITE) write(GENERATED_API, content);
    expect(isCurrent(GENERATED_API, content), `sdk/src/generated/api.ts ${STALE}`).toBe(true);
  });

  it('the built SDK ships that table (run the SDK build after generating)', () => {
    expect(ERROR_STATUS).toEqual(Object.fromEntries(Object.entries(ERROR_TABLE).map(([c, r]) => [c, r.status])));
    expect(SDK_REASONS).toEqual(ERROR_REASONS);
  });

  it('exposes details.reason typed and checks (code, reason)', () => {
    const e = new SdkError(403, 'forbidden', 'Sign-up is closed for this app.', { reason: 'signup_disabled' });
    expect(e.reason).toBe('signup_disabled');
    expect(e.is('forbidden', 'signup_disabled')).toBe(true);
    expect(e.is('forbidden', 'user_disabled')).toBe(false);
    expect(e.is('conflict')).toBe(false);
    expect(new SdkError(404, 'not_found', 'Not found.').reason).toBeUndefined();
  });
});
