import type { Logger } from 'pino';
import { where } from '../../lib/filter/build.js';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import type {
  DeliveryOutcome,
  PushNotification,
  PushPlatform,
  PushProviders,
  WebPushSubscription,
} from '../../ports/push-provider.js';
import type { PushCredentials } from './credentials.service.js';
import { INSTALLATIONS, type InstallationsService } from './installations.service.js';
import type { PushMetrics } from './push.metrics.js';

/**
 * One batch of deliveries: the batch's installations read back (ones deleted or deactivated since
 * planning count as failed / invalid), each sent through its platform's provider with the app's
 * credentials, at most `concurrency[platform]` provider calls at once on this process, the
 * notification localised to the installation's locale. Dead tokens deactivate their
 * installation; throttled ones are handed back for a retry after the longest Retry-After (on the
 * last try they count as failed).
 */
export interface BatchTally {
  byPlatform: Record<PushPlatform, { sent: number; failed: number; invalid: number }>;
  errors: Array<{ platform: PushPlatform; reason: string; installationId: string }>;
  retry: { ids: string[]; afterMs: number };
}

interface DeliverDeps {
  store: DocumentStore;
  providers: PushProviders;
  credentials: PushCredentials;
  installations: InstallationsService;
  metrics: PushMetrics;
  logger: Logger;
  concurrency: Record<PushPlatform, number>;
}

const CREDENTIAL_KIND = { android: 'fcm', ios: 'apns', web: 'vapid' } as const;
const PROVIDER = { android: 'fcm', ios: 'apns', web: 'webpush' } as const;

/** A counting semaphore: at most `limit` holders at once. */
class Gate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}
const gates = new WeakMap<object, Record<PushPlatform, Gate>>();
function gatesFor(deps: DeliverDeps): Record<PushPlatform, Gate> {
  let g = gates.get(deps.providers);
  if (!g) {
    g = {
      ios: new Gate(deps.concurrency.ios),
      android: new Gate(deps.concurrency.android),
      web: new Gate(deps.concurrency.web),
    };
    gates.set(deps.providers, g);
  }
  return g;
}

/** The installation's locale, then its language, then the default. */
export function localise(message: StoredDocument, locale: unknown): { title?: string; body?: string } {
  const base = message.notification as { title?: string; body?: string };
  const localized = (message.localized ?? {}) as Record<string, { title?: string; body?: string }>;
  if (typeof locale !== 'string') return base;
  const keys = Object.keys(localized);
  const exact = keys.find((k) => k.toLowerCase() === locale.toLowerCase());
  const language = keys.find((k) => k.toLowerCase() === locale.split('-')[0]!.toLowerCase());
  const hit = localized[exact ?? language ?? ''];
  return hit ? { ...base, ...hit } : base;
}

export async function deliverBatch(
  deps: DeliverDeps,
  input: { appId: string; message: StoredDocument; ids: string[]; lastTry: boolean },
): Promise<BatchTally> {
  const { appId, message } = input;
  const tally: BatchTally = {
    byPlatform: {
      ios: { sent: 0, failed: 0, invalid: 0 },
      android: { sent: 0, failed: 0, invalid: 0 },
      web: { sent: 0, failed: 0, invalid: 0 },
    },
    errors: [],
    retry: { ids: [], afterMs: 0 },
  };
  const note = (platform: PushPlatform, reason: string, installationId: string) => {
    if (tally.errors.length < 10) tally.errors.push({ platform, reason, installationId });
  };
  const { items } = await deps.store
    .forApp(appId)
    .find(INSTALLATIONS, { filter: where.in('id', input.ids), limit: 1000 });
  const found = new Map(items.map((d) => [d.id, d]));
  const gate = gatesFor(deps);
  const base = message.notification as Omit<PushNotification, 'ttlSeconds' | 'priority'>;
  await Promise.all(
    input.ids.map(async (id) => {
      const inst = found.get(id);
      const platform = (inst?.platform ?? 'web') as PushPlatform;
      const count = tally.byPlatform[platform];
      if (!inst) {
        count.failed += 1;
        return note(platform, 'installation_removed', id);
      }
      if (inst.active !== true) {
        count.invalid += 1;
        return;
      }
      const credentials = await deps.credentials.forSend(appId, CREDENTIAL_KIND[platform]).catch((err: unknown) => {
        deps.logger.error(
          { err, appId, platform },
          'push: stored credentials cannot be opened (HEARTH_SECRET changed?)',
        );
        return 'unreadable' as const;
      });
      if (credentials === 'unreadable') {
        count.failed += 1;
        return note(platform, 'credentials_unreadable', id);
      }
      if (!credentials) {
        count.failed += 1;
        return note(platform, 'no_credentials', id);
      }
      const notification: PushNotification = {
        ...base,
        ...localise(message, inst.locale),
        collapseId: (message.collapseId as string | null) ?? undefined,
        ttlSeconds: Number(message.ttl),
        priority: message.priority === 'normal' ? 'normal' : 'high',
      };
      if (base.badge === undefined && typeof inst.badge === 'number') notification.badge = inst.badge;
      const started = process.hrtime.bigint();
      const outcome: DeliveryOutcome = await gate[platform].run(() => {
        if (platform === 'web') {
          return deps.providers.web.send({
            appId,
            credentials: credentials as never,
            target: inst.subscription as unknown as WebPushSubscription,
            notification,
          });
        }
        const provider = platform === 'ios' ? deps.providers.ios : deps.providers.android;
        return provider.send({ appId, credentials: credentials as never, target: String(inst.token), notification });
      });
      deps.metrics.delivery(PROVIDER[platform], outcome.outcome, Number(process.hrtime.bigint() - started) / 1e9);
      switch (outcome.outcome) {
        case 'sent':
          count.sent += 1;
          return;
        case 'invalid-token':
          count.invalid += 1;
          note(platform, outcome.reason, id);
          return deps.installations.deactivate(appId, id, outcome.reason);
        case 'retry-after':
          if (input.lastTry) {
            count.failed += 1;
            return note(platform, outcome.reason, id);
          }
          tally.retry.ids.push(id);
          tally.retry.afterMs = Math.max(tally.retry.afterMs, outcome.afterMs);
          return;
        case 'failed':
          count.failed += 1;
          return note(platform, outcome.reason, id);
      }
    }),
  );
  return tally;
}
