import { ERROR_REASONS as SDK_REASONS, ERROR_STATUS, HearthError as SdkError } from '@hearth/sdk';
import { describe, expect, it } from 'vitest';
import { ERROR_REASONS, ERROR_TABLE } from '../../src/errors.js';

/** The SDK ships the server's error table (codes, statuses, reasons) so clients switch on typed reasons. */
describe('the SDK error table', () => {
  it('has every code with the server status', () => {
    expect(ERROR_STATUS).toEqual(Object.fromEntries(Object.entries(ERROR_TABLE).map(([c, r]) => [c, r.status])));
  });

  it('has the same reasons per code as the server', () => {
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
