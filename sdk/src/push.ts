import type { Installation, InstallationInput, InstallationPatch, WebPushSubscription } from './generated/api.js';
import type { SessionManager } from './session.js';
import type { TokenStorage } from './storage.js';
import { pathSegment as seg, type RequestDescription } from './transport.js';

export type { Installation, InstallationInput, InstallationPatch, WebPushSubscription };

/** The device details an installation carries (all optional). */
export type InstallationFields = Pick<InstallationPatch, 'channels' | 'locale' | 'timeZone' | 'appVersion' | 'badge'>;

/** A browser PushSubscription (only what the SDK reads). */
export interface PushSubscriptionLike {
  readonly endpoint: string;
  readonly options?: { readonly applicationServerKey?: ArrayBufferLike | null };
  toJSON(): { endpoint?: string; keys?: Record<string, string> };
  unsubscribe(): Promise<boolean>;
}

/** `registration.pushManager` (or a stand-in: tests, wrappers). */
export interface PushManagerLike {
  getSubscription(): Promise<PushSubscriptionLike | null>;
  /** The key is an ArrayBuffer (a BufferSource every browser takes; base64 strings are not universal). */
  subscribe(options: { userVisibleOnly: boolean; applicationServerKey: ArrayBuffer }): Promise<PushSubscriptionLike>;
}

export interface WebRegisterOptions extends InstallationFields {
  /** `await navigator.serviceWorker.register('/sw.js')` (or `.ready`). */
  serviceWorkerRegistration?: { readonly pushManager: PushManagerLike };
  /** A PushManager to use instead of the registration's. */
  pushManager?: PushManagerLike;
}

export interface TokenRegisterOptions extends InstallationFields {
  platform: 'ios' | 'android';
  /** The APNs device token (hex) or the FCM registration token. */
  token: string;
}

/** Every push call as a plain request description (no network). */
export function pushRequests(app: string) {
  const base = `/v1/apps/${seg(app)}/push`;
  return {
    vapidKey: (): RequestDescription => ({ method: 'GET', path: `${base}/vapid-key` }),
    register: (body: InstallationInput): RequestDescription => ({
      method: 'POST',
      path: `${base}/installations`,
      body,
    }),
    get: (id: string): RequestDescription => ({ method: 'GET', path: `${base}/installations/${seg(id)}` }),
    update: (id: string, body: InstallationPatch): RequestDescription => ({
      method: 'PATCH',
      path: `${base}/installations/${seg(id)}`,
      body,
    }),
    unregister: (id: string): RequestDescription => ({ method: 'DELETE', path: `${base}/installations/${seg(id)}` }),
  };
}

/**
 * Push registration for this device: web (a PushManager subscription made with the app's VAPID
 * key) or native (an APNs / FCM token). The installation id is kept in the client's storage, so
 * `update` and `unregister` work across restarts; register again on every app start (the server
 * updates the installation that has the token, and links it to the user signed in now).
 */
export class HearthPush {
  readonly requests: ReturnType<typeof pushRequests>;
  private pushManager: PushManagerLike | null = null;

  constructor(
    private readonly session: SessionManager,
    private readonly storage: TokenStorage,
    private readonly storageKey: string,
    app: string,
  ) {
    this.requests = pushRequests(app);
  }

  /** The app's VAPID public key (base64url), for `pushManager.subscribe`. */
  vapidKey(): Promise<{ publicKey: string }> {
    return this.session.request(this.requests.vapidKey());
  }

  /** Web: subscribes through the PushManager with the app's VAPID key and registers the subscription. */
  async register(options: WebRegisterOptions): Promise<Installation> {
    const { serviceWorkerRegistration, pushManager, ...fields } = options;
    const pm = pushManager ?? serviceWorkerRegistration?.pushManager;
    if (!pm) throw new TypeError('push.register needs a serviceWorkerRegistration (or a pushManager).');
    const key = base64UrlBytes((await this.vapidKey()).publicKey);
    let sub = await pm.getSubscription();
    // A subscription made with another key (the app's VAPID key was replaced) cannot be used.
    const bound = sub?.options?.applicationServerKey;
    if (sub && bound && !sameBytes(new Uint8Array(bound), key)) {
      await sub.unsubscribe();
      sub = null;
    }
    sub ??= await pm.subscribe({ userVisibleOnly: true, applicationServerKey: arrayBuffer(key) });
    this.pushManager = pm;
    const json = sub.toJSON();
    const subscription = {
      endpoint: json.endpoint ?? sub.endpoint,
      keys: { p256dh: json.keys?.p256dh ?? '', auth: json.keys?.auth ?? '' },
    };
    return this.save(await this.session.request(this.requests.register({ platform: 'web', subscription, ...fields })));
  }

  /** Native apps: registers the APNs device token or FCM registration token. */
  async registerToken(options: TokenRegisterOptions): Promise<Installation> {
    return this.save(await this.session.request(this.requests.register(options)));
  }

  /** This device's installation id, or null before `register`. */
  async installationId(): Promise<string | null> {
    return (await this.storage.getItem(this.storageKey)) || null;
  }

  /** Changes this device's installation: channels, locale, time zone, app version, badge, a new token. */
  async update(patch: InstallationPatch): Promise<Installation> {
    return this.save(await this.session.request(this.requests.update(await this.requireId(), patch)));
  }

  /** Deletes this device's installation (and, on the web, the push subscription made by `register`). */
  async unregister(): Promise<void> {
    const id = await this.requireId();
    await this.session.request(this.requests.unregister(id));
    await this.storage.removeItem(this.storageKey);
    const sub = await this.pushManager?.getSubscription();
    await sub?.unsubscribe();
    this.pushManager = null;
  }

  private async save(installation: Installation): Promise<Installation> {
    await this.storage.setItem(this.storageKey, installation.id);
    return installation;
  }

  private async requireId(): Promise<string> {
    const id = await this.installationId();
    if (!id) throw new TypeError('This device has no installation: call push.register or push.registerToken first.');
    return id;
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url (or base64) → bytes, without atob (not in every runtime's types). */
export function base64UrlBytes(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  const out = new Uint8Array(Math.floor((clean.length * 6) / 8));
  let bits = 0;
  let value = 0;
  let i = 0;
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new TypeError('Not a base64url string.');
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[i++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const buf = new ArrayBuffer(bytes.length);
  new Uint8Array(buf).set(bytes);
  return buf;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
