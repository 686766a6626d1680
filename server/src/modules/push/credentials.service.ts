import { createPrivateKey } from 'node:crypto';
import webPush from 'web-push';
import { z } from 'zod';
import { HearthError } from '../../errors.js';
import type { DocumentStore } from '../../ports/document-store.js';
import type { ApnsCredentials, FcmCredentials, VapidCredentials } from '../../ports/push-provider.js';
import { fingerprint, type CredentialBox } from './credentials.box.js';

/**
 * Per-app push credentials (`_push_credentials`, one document per kind: `fcm`, `apns`, `vapid`),
 * checked when uploaded (a service account whose key does not parse, a p8 that is not a P-256
 * key… are 400 `validation_failed` naming the field), sealed by CredentialBox and never
 * returned: views carry a fingerprint and the non-secret parts (project, key id, topic, the
 * VAPID public key, which browsers need to subscribe).
 */
export const CREDENTIALS = '_push_credentials';
export type CredentialKind = 'fcm' | 'apns' | 'vapid';

export const fcmInput = z.strictObject({
  /** The service account JSON from the Firebase console, as an object or its text. */
  serviceAccount: z.union([z.string().max(20_000), z.record(z.string(), z.unknown())]),
});
export const apnsInput = z.strictObject({
  /** The .p8 file's text (-----BEGIN PRIVATE KEY-----…). */
  key: z.string().min(1).max(10_000),
  keyId: z.string().regex(/^[A-Z0-9]{10}$/, 'must be the 10-character key id'),
  teamId: z.string().regex(/^[A-Z0-9]{10}$/, 'must be the 10-character team id'),
  /** The app's bundle id (the `apns-topic`). */
  topic: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,154}$/, 'must be a bundle id'),
  environment: z.enum(['sandbox', 'production']),
});
export const vapidInput = z.strictObject({
  /** Who to contact about this sender: `mailto:` or `https:`. */
  subject: z
    .string()
    .regex(/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/, 'must be a mailto: or https: URL')
    .max(500),
  /** Existing keys to import (both, base64url); absent: a new pair is generated. */
  publicKey: z.string().max(200).optional(),
  privateKey: z.string().max(200).optional(),
});

export const credentialView = z.object({
  kind: z.enum(['fcm', 'apns', 'vapid']),
  fingerprint: z.string(),
  projectId: z.string().optional(),
  clientEmail: z.string().optional(),
  keyId: z.string().optional(),
  teamId: z.string().optional(),
  topic: z.string().optional(),
  environment: z.enum(['sandbox', 'production']).optional(),
  publicKey: z.string().optional(),
  subject: z.string().optional(),
  updatedAt: z.string(),
});
export type CredentialView = z.output<typeof credentialView>;

type Secrets = { fcm: FcmCredentials; apns: ApnsCredentials; vapid: VapidCredentials };

const bad = (field: string, message: string) =>
  new HearthError('validation_failed', 'The credentials are invalid.', { fields: { [field]: message } });

function parseFcm(input: z.output<typeof fcmInput>): { secret: FcmCredentials; meta: Partial<CredentialView> } {
  let sa: Record<string, unknown>;
  try {
    sa =
      typeof input.serviceAccount === 'string'
        ? (JSON.parse(input.serviceAccount) as Record<string, unknown>)
        : input.serviceAccount;
  } catch {
    throw bad('serviceAccount', 'is not JSON');
  }
  if (!sa || typeof sa !== 'object' || sa.type !== 'service_account')
    throw bad('serviceAccount', 'is not a service account key (type must be service_account)');
  const { project_id: projectId, client_email: clientEmail, private_key: privateKey } = sa;
  if (typeof projectId !== 'string' || !/^[a-z][a-z0-9-]{4,62}$/.test(projectId))
    throw bad('serviceAccount.project_id', 'must be a project id');
  if (typeof clientEmail !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(clientEmail))
    throw bad('serviceAccount.client_email', 'must be an email');
  if (typeof privateKey !== 'string') throw bad('serviceAccount.private_key', 'is missing');
  try {
    if (createPrivateKey(privateKey).asymmetricKeyType !== 'rsa') throw new Error('not rsa');
  } catch {
    throw bad('serviceAccount.private_key', 'is not an RSA private key (PEM)');
  }
  return {
    secret: { projectId, clientEmail, privateKey },
    meta: { projectId, clientEmail, fingerprint: fingerprint(privateKey) },
  };
}

function parseApns(input: z.output<typeof apnsInput>): { secret: ApnsCredentials; meta: Partial<CredentialView> } {
  try {
    const key = createPrivateKey(input.key);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new Error('curve');
  } catch {
    throw bad('key', 'is not a P-256 private key (the .p8 file)');
  }
  const { keyId, teamId, topic, environment } = input;
  return {
    secret: { key: input.key, keyId, teamId, topic, environment },
    meta: { keyId, teamId, topic, environment, fingerprint: fingerprint(input.key) },
  };
}

function parseVapid(input: z.output<typeof vapidInput>): { secret: VapidCredentials; meta: Partial<CredentialView> } {
  if ((input.publicKey === undefined) !== (input.privateKey === undefined))
    throw bad('privateKey', 'give both keys or neither');
  const keys =
    input.publicKey && input.privateKey
      ? { publicKey: input.publicKey, privateKey: input.privateKey }
      : webPush.generateVAPIDKeys();
  const pub = Buffer.from(keys.publicKey, 'base64url');
  if (pub.length !== 65 || pub[0] !== 4) throw bad('publicKey', 'must be an uncompressed P-256 point (base64url)');
  if (Buffer.from(keys.privateKey, 'base64url').length !== 32) throw bad('privateKey', 'must be 32 bytes (base64url)');
  return {
    secret: { ...keys, subject: input.subject },
    meta: { publicKey: keys.publicKey, subject: input.subject, fingerprint: fingerprint(keys.privateKey) },
  };
}

export class PushCredentials {
  private readonly cache = new Map<string, { value: unknown; until: number }>();

  constructor(
    private readonly options: { store: DocumentStore; box: CredentialBox; now: () => Date; cacheMs?: number },
  ) {}

  async put(appId: string, kind: CredentialKind, input: unknown): Promise<CredentialView> {
    const parsed =
      kind === 'fcm'
        ? parseFcm(input as z.output<typeof fcmInput>)
        : kind === 'apns'
          ? parseApns(input as z.output<typeof apnsInput>)
          : parseVapid(input as z.output<typeof vapidInput>);
    const store = this.options.store.forApp(appId);
    const data = {
      kind,
      sealed: this.options.box.seal(appId, JSON.stringify(parsed.secret)),
      meta: parsed.meta as Record<string, string>,
    };
    const existing = await store.get(CREDENTIALS, kind);
    const doc = existing
      ? await store.replace(CREDENTIALS, kind, data)
      : await store.create(CREDENTIALS, { id: kind, data });
    this.forget(appId);
    return { ...parsed.meta, kind, updatedAt: doc.updatedAt } as CredentialView;
  }

  async list(appId: string): Promise<CredentialView[]> {
    const { items } = await this.options.store.forApp(appId).find(CREDENTIALS, { limit: 10 });
    return items.map(
      (d) => ({ ...(d.meta as object), kind: d.id as CredentialKind, updatedAt: d.updatedAt }) as CredentialView,
    );
  }

  async remove(appId: string, kind: CredentialKind): Promise<void> {
    await this.options.store.forApp(appId).delete(CREDENTIALS, kind);
    this.forget(appId);
  }

  /** Re-seals every credential of the app under the current secret. */
  async rotate(appId: string): Promise<{ resealed: number }> {
    const store = this.options.store.forApp(appId);
    const { items } = await store.find(CREDENTIALS, { limit: 10 });
    for (const d of items) {
      const plain = this.options.box.open(appId, String(d.sealed));
      await store.update(CREDENTIALS, d.id, { set: { sealed: this.options.box.seal(appId, plain) } });
    }
    this.forget(appId);
    return { resealed: items.length };
  }

  async vapidPublicKey(appId: string): Promise<string> {
    const doc = await this.options.store.forApp(appId).get(CREDENTIALS, 'vapid');
    const key = (doc?.meta as { publicKey?: string } | undefined)?.publicKey;
    if (!key) throw new HearthError('not_found', 'This app has no VAPID keys yet.');
    return key;
  }

  /** The opened credentials for sending (cached a few seconds per replica), or null when none. */
  async forSend<K extends CredentialKind>(appId: string, kind: K): Promise<Secrets[K] | null> {
    const key = `${appId}\0${kind}`;
    const t = this.options.now().getTime();
    const hit = this.cache.get(key);
    if (hit && hit.until > t) return hit.value as Secrets[K] | null;
    const doc = await this.options.store.forApp(appId).get(CREDENTIALS, kind);
    const value = doc ? (JSON.parse(this.options.box.open(appId, String(doc.sealed))) as Secrets[K]) : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { value, until: t + (this.options.cacheMs ?? 5000) });
    return value;
  }

  forget(appId: string): void {
    for (const k of ['fcm', 'apns', 'vapid']) this.cache.delete(`${appId}\0${k}`);
  }
}
