/**
 * The auth module's system collections, in each app's own store (`store.forApp(appId)`).
 * A leading `_` keeps them out of reach of the collections API.
 */
export const USERS = '_users';
export const SESSIONS = '_sessions';
/** One-time tokens (verification, reset, magic link, MFA challenge, OAuth codes), by hash. */
export const ONE_TIME = '_auth_tokens';
/** Linked OpenID Connect identities, id = hash of provider + subject. */
export const IDENTITIES = '_identities';
/** Signing key ids (the keys themselves are derived from the server secret). */
export const SIGNING_KEYS = '_signing_keys';
export const SETTINGS = '_auth_settings';
