import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { oidcProviderSchema } from './auth.settings.js';
import { appleClientSecret } from './oidc.js';

describe("Sign in with Apple's client secret", () => {
  it('is an ES256 JWT signed with the team key, naming team, client and Apple, valid for an hour', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const settings = oidcProviderSchema.parse({
      clientId: 'com.example.web',
      appleTeamId: 'TEAM123456',
      appleKeyId: 'KEY1234567',
      applePrivateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    const now = new Date('2026-01-01T00:00:00Z');
    const secret = appleClientSecret(settings, now);
    const decoded = jwt.decode(secret, { complete: true })!;
    expect(decoded.header).toMatchObject({ alg: 'ES256', kid: 'KEY1234567' });
    const claims = jwt.verify(secret, publicKey.export({ type: 'spki', format: 'pem' }).toString(), {
      algorithms: ['ES256'],
      clockTimestamp: now.getTime() / 1000,
    }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ iss: 'TEAM123456', sub: 'com.example.web', aud: 'https://appleid.apple.com' });
    expect(claims.exp! - claims.iat!).toBe(3600);
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    expect(() => jwt.verify(secret, other, { algorithms: ['ES256'], clockTimestamp: now.getTime() / 1000 })).toThrow();
  });
});
