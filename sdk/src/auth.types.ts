/**
 * The auth shapes, generated from the server's /openapi.json (generated/api.ts): never edited
 * by hand, so they cannot drift from what the server sends.
 */
export type { AuthSession, AuthUser, MfaChallenge, SignInResponse, VerificationRequired } from './generated/api.js';
