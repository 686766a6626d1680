import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { looksLikeUserToken } from './access-tokens.js';
import { appAudience } from './sessions.js';

describe('looksLikeUserToken', () => {
  it("tells an app user's token from an admin's and from garbage, without verifying", () => {
    const user = jwt.sign({ typ: 'user', app: 'a1' }, 'any key', { audience: appAudience('a1') });
    const admin = jwt.sign({ typ: 'admin' }, 'any key', { audience: 'hearth:admin' });
    expect(looksLikeUserToken(user)).toBe(true);
    expect(looksLikeUserToken(admin)).toBe(false);
    expect(looksLikeUserToken('not-a-jwt')).toBe(false);
    expect(looksLikeUserToken('')).toBe(false);
  });
});
