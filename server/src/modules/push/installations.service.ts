import { createHash } from 'node:crypto';
import { HearthError, errors, isError, reasonError } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import {
  checkUrl,
  DENY_PRIVATE,
  OutboundRefused,
  type OutboundPolicy,
  type Resolve,
} from '../../lib/outbound/policy.js';
import type { JsonValue } from '../../lib/filter/types.js';
import type { DocumentData, DocumentStore, StoredDocument } from '../../ports/document-store.js';
import type { InstallationInput, InstallationPatch, InstallationView } from './push.schema.js';

/**
 * Devices that receive pushes (`_push_installations` in the app's store). One installation per
 * (platform, token or endpoint): registering a token again updates its installation (and
 * reactivates it) instead of adding a duplicate. A signed-in caller's installation is theirs
 * (`owner`); one registered without a user is anonymous and becomes the user's when they register
 * it again signed in (the SDK does so on sign-in). Users see and change only their own: another
 * user's installation is 404. A secret key or an admin sees and changes any.
 */
export const INSTALLATIONS = '_push_installations';

export interface PushCaller {
  appId: string;
  /** Secret key or admin. */
  privileged: boolean;
  userId: string | null;
  kind: 'public' | 'secret' | 'admin';
  scopes: readonly string[];
}

const APNS_TOKEN = /^[0-9a-fA-F]{64,200}$/;
const FCM_TOKEN = /^[A-Za-z0-9_:-]{32,4096}$/;

/** The token must fit the platform (an APNs token for android, a subscription for ios… are refused). */
function checkTarget(platform: string, token: string | undefined, sub: InstallationInput['subscription']): void {
  const wrong = (message: string) => reasonError('invalid_request', 'token_platform_mismatch', message, { platform });
  if (platform === 'web') {
    if (!sub || token !== undefined) throw wrong('A web installation needs a push subscription (and no token).');
    return;
  }
  if (sub || token === undefined)
    throw wrong(`An ${platform} installation needs a device token (and no subscription).`);
  if (platform === 'ios' && !APNS_TOKEN.test(token))
    throw wrong('This is not an APNs device token (64+ hex characters).');
  if (platform === 'android' && (!FCM_TOKEN.test(token) || APNS_TOKEN.test(token))) {
    throw wrong('This is not an FCM registration token.');
  }
}

export const tokenHash = (platform: string, key: string): string =>
  createHash('sha256').update(`${platform}:${key}`).digest('base64url');

export function installationView(d: StoredDocument): InstallationView {
  const sub = d.subscription as { endpoint?: string } | null | undefined;
  return {
    id: d.id,
    platform: d.platform as InstallationView['platform'],
    token: (d.token as string | null) ?? null,
    endpoint: sub?.endpoint ?? null,
    userId: d.owner,
    channels: (d.channels as string[]) ?? [],
    locale: (d.locale as string | null) ?? null,
    timeZone: (d.timeZone as string | null) ?? null,
    appVersion: (d.appVersion as string | null) ?? null,
    badge: (d.badge as number | null) ?? null,
    active: d.active === true,
    deactivatedReason: (d.deactivatedReason as string | null) ?? null,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

function fields(input: Partial<InstallationInput>): DocumentData {
  const out: DocumentData = {};
  for (const k of ['channels', 'locale', 'timeZone', 'appVersion', 'badge'] as const) {
    if (input[k] !== undefined) out[k] = input[k] as JsonValue;
  }
  return out;
}

/**
 * A Web Push endpoint is a URL the server will POST to, supplied by a client: it is checked like
 * a webhook URL (lib/outbound: private, loopback, link-local and metadata addresses refused,
 * unless OUTBOUND_ALLOW_PRIVATE / OUTBOUND_ALLOW_CIDRS allow them; the host's current DNS
 * answers included) at registration, and again at connect time by the provider.
 */
async function requireAllowedEndpoint(endpoint: string, policy: OutboundPolicy, resolve?: Resolve): Promise<void> {
  try {
    const url = await checkUrl(endpoint, policy, resolve);
    if (url.protocol !== 'https:') throw new OutboundRefused('scheme_not_allowed', 'must be an https URL');
  } catch (e) {
    if (!(e instanceof OutboundRefused)) throw e;
    throw new HearthError('validation_failed', 'One or more fields are invalid.', {
      fields: { 'subscription.endpoint': `${e.message} (push endpoints are checked against the SSRF policy)` },
    });
  }
}

export class InstallationsService {
  constructor(private readonly options: { store: DocumentStore; policy?: OutboundPolicy; resolve?: Resolve }) {}

  private async checkEndpoint(sub: InstallationInput['subscription'] | undefined): Promise<void> {
    if (sub) await requireAllowedEndpoint(sub.endpoint, this.options.policy ?? DENY_PRIVATE, this.options.resolve);
  }

  async init(appId: string): Promise<void> {
    const store = this.options.store.forApp(appId);
    await store.ensureIndex(INSTALLATIONS, {
      kind: 'regular',
      name: 'tokenHash',
      fields: [{ path: 'tokenHash', dir: 1 }],
      unique: true,
    });
    await store.ensureIndex(INSTALLATIONS, { kind: 'regular', name: 'active', fields: [{ path: 'active', dir: 1 }] });
  }

  private readonly ready = new Map<string, Promise<void>>();
  /** Indexes once per app per process. */
  ensure(appId: string): Promise<void> {
    let p = this.ready.get(appId);
    if (!p) {
      p = this.init(appId).catch((err: unknown) => {
        this.ready.delete(appId);
        throw err;
      });
      this.ready.set(appId, p);
    }
    return p;
  }

  /** Creates (201) or, for a token already registered, updates (200) the installation. */
  async register(caller: PushCaller, input: InstallationInput): Promise<{ created: boolean; view: InstallationView }> {
    checkTarget(input.platform, input.token, input.subscription);
    await this.checkEndpoint(input.subscription);
    await this.ensure(caller.appId);
    const store = this.options.store.forApp(caller.appId);
    const hash = tokenHash(input.platform, input.token ?? input.subscription!.endpoint);
    const data: DocumentData = {
      ...fields(input),
      platform: input.platform,
      token: input.token ?? null,
      subscription: (input.subscription as unknown as JsonValue) ?? null,
      tokenHash: hash,
      active: true,
      deactivatedReason: null,
    };
    for (let attempt = 0; ; attempt++) {
      const { items } = await store.find(INSTALLATIONS, { filter: where.eq('tokenHash', hash), limit: 1 });
      const existing = items[0];
      if (existing) {
        const owner = caller.userId ?? existing.owner;
        const doc = await store.update(INSTALLATIONS, existing.id, { set: data, owner });
        return { created: false, view: installationView(doc) };
      }
      try {
        const doc = await store.create(INSTALLATIONS, {
          data: { channels: [], locale: null, timeZone: null, appVersion: null, badge: null, ...data },
          owner: caller.userId,
        });
        return { created: true, view: installationView(doc) };
      } catch (err) {
        if (!isError(err, 'conflict', 'unique') || attempt > 2) throw err;
      }
    }
  }

  /** The installation if the caller may see it; another user's is 404 like a missing one. */
  async get(caller: PushCaller, id: string): Promise<StoredDocument> {
    const doc = await this.options.store.forApp(caller.appId).get(INSTALLATIONS, id);
    const mine = doc && (caller.privileged || doc.owner === null || doc.owner === caller.userId);
    if (!doc || !mine) throw new HearthError('not_found', 'No such installation.');
    return doc;
  }

  async update(caller: PushCaller, id: string, patch: InstallationPatch): Promise<InstallationView> {
    const doc = await this.get(caller, id);
    const set: DocumentData = fields(patch);
    if (patch.token !== undefined || patch.subscription !== undefined) {
      checkTarget(String(doc.platform), patch.token, patch.subscription);
      await this.checkEndpoint(patch.subscription);
      set.token = patch.token ?? null;
      set.subscription = (patch.subscription as unknown as JsonValue) ?? null;
      set.tokenHash = tokenHash(String(doc.platform), patch.token ?? patch.subscription!.endpoint);
      set.active = true;
      set.deactivatedReason = null;
    }
    const owner = caller.userId && doc.owner === null ? { owner: caller.userId } : {};
    try {
      return installationView(
        await this.options.store.forApp(caller.appId).update(INSTALLATIONS, id, { set, ...owner }),
      );
    } catch (err) {
      if (isError(err, 'conflict', 'unique')) {
        throw reasonError('conflict', 'unique', 'Another installation has this token.');
      }
      throw err;
    }
  }

  async remove(caller: PushCaller, id: string): Promise<void> {
    await this.get(caller, id);
    await this.options.store.forApp(caller.appId).delete(INSTALLATIONS, id);
  }

  async list(
    caller: PushCaller,
    query: {
      limit: number;
      after?: string | undefined;
      userId?: string | undefined;
      platform?: string | undefined;
      channel?: string | undefined;
    },
  ): Promise<{ items: InstallationView[]; next: string | null }> {
    if (!caller.privileged && !caller.userId) throw errors.userTokenRequired();
    const userId = caller.privileged ? query.userId : caller.userId!;
    const filter = where.and(
      ...(userId ? [where.eq('owner', userId)] : []),
      ...(query.platform ? [where.eq('platform', query.platform)] : []),
      ...(query.channel ? [where.eq('channels', query.channel)] : []),
    );
    const page = await this.options.store
      .forApp(caller.appId)
      .find(INSTALLATIONS, { filter, limit: query.limit, ...(query.after ? { after: query.after } : {}) });
    return { items: page.items.map(installationView), next: page.next };
  }

  /** A provider said the token is dead: the installation stops receiving until registered again. */
  async deactivate(appId: string, id: string, reason: string): Promise<void> {
    await this.options.store
      .forApp(appId)
      .update(INSTALLATIONS, id, { set: { active: false, deactivatedReason: reason } })
      .catch((err: unknown) => {
        if (!isError(err, 'not_found')) throw err;
      });
  }
}
