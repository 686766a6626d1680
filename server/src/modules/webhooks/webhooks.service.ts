import { HearthError, notFound } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { newId } from '../../lib/ids.js';
import { checkUrl, OutboundRefused, type OutboundPolicy, type Resolve } from '../../lib/outbound/policy.js';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import { readAllArray } from '../../ports/read-all.js';
import { newWebhookSecret, type WebhookSecretBox } from './webhook-secrets.js';
import type { WebhookView } from './webhooks.schema.js';

/**
 * An app's webhooks, in the app's own store (`_webhooks`), so another app's id can never name one
 * (404). The subscriptions of an app are cached per process for CACHE_MS, so a change made on
 * another replica reaches this one within that time (a change made here applies at once).
 */
export const WEBHOOKS = '_webhooks';
const CACHE_MS = 5_000;

export interface StoredWebhook {
  id: string;
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
  disabledReason: 'failing' | null;
  disabledAt: string | null;
  /** First failed attempt since the last success (automatic disabling counts from here). */
  failingSince: string | null;
  secretSealed: string;
  secretHint: string;
  createdAt: string;
  updatedAt: string;
}

function fromDoc(doc: StoredDocument): StoredWebhook {
  return {
    id: doc.id,
    url: String(doc.url),
    events: (doc.events as string[]) ?? [],
    description: String(doc.description ?? ''),
    enabled: doc.enabled === true,
    disabledReason: (doc.disabledReason as 'failing' | null) ?? null,
    disabledAt: (doc.disabledAt as string | null) ?? null,
    failingSince: (doc.failingSince as string | null) ?? null,
    secretSealed: String(doc.secretSealed),
    secretHint: String(doc.secretHint ?? ''),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

export function toWebhookView(w: StoredWebhook): WebhookView {
  return {
    id: w.id,
    url: w.url,
    events: w.events,
    description: w.description,
    enabled: w.enabled,
    disabledReason: w.disabledReason,
    disabledAt: w.disabledAt,
    notice:
      w.disabledReason === 'failing'
        ? `Disabled automatically at ${w.disabledAt}: deliveries kept failing since ${w.failingSince ?? 'earlier'}. Fix the receiver, then set enabled to true; failed deliveries can be redelivered.`
        : null,
    secretHint: w.secretHint,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

/** The URL check's answer as the API's: a field error on `url`, nothing sent anywhere. */
async function requireAllowedUrl(url: string, policy: OutboundPolicy, resolve?: Resolve): Promise<void> {
  try {
    await checkUrl(url, policy, resolve);
  } catch (e) {
    if (e instanceof OutboundRefused) {
      throw new HearthError('validation_failed', 'One or more fields are invalid.', {
        fields: { url: `${e.message} (outbound URLs are checked against the SSRF policy, docs/webhooks.md)` },
      });
    }
    throw e;
  }
}

export class WebhooksService {
  private readonly cache = new Map<string, { hooks: StoredWebhook[]; at: number }>();
  private readonly reloading = new Set<string>();

  constructor(
    private readonly options: {
      store: DocumentStore;
      box: WebhookSecretBox;
      policy: OutboundPolicy;
      resolve?: Resolve;
      now: () => Date;
    },
  ) {}

  get policy(): OutboundPolicy {
    return this.options.policy;
  }

  private app(appId: string) {
    return this.options.store.forApp(appId);
  }

  async list(appId: string): Promise<StoredWebhook[]> {
    const docs = await readAllArray(this.app(appId), WEBHOOKS, { sort: [{ path: 'createdAt', dir: 1 }], max: 1000 });
    return docs.map(fromDoc);
  }

  async find(appId: string, id: string): Promise<StoredWebhook | null> {
    const doc = await this.app(appId).get(WEBHOOKS, id);
    return doc ? fromDoc(doc) : null;
  }

  async require(appId: string, id: string): Promise<StoredWebhook> {
    const hook = await this.find(appId, id);
    if (!hook) throw notFound('No such webhook.');
    return hook;
  }

  /** The signing secret of a webhook (null if it no longer opens: the server secret changed). */
  secretOf(appId: string, hook: StoredWebhook): string | null {
    return this.options.box.open(hook.secretSealed, { appId, webhookId: hook.id });
  }

  async create(
    appId: string,
    input: { url: string; events: string[]; description: string; enabled: boolean },
  ): Promise<{ hook: StoredWebhook; secret: string }> {
    await requireAllowedUrl(input.url, this.options.policy, this.options.resolve);
    const id = newId();
    const secret = newWebhookSecret();
    const doc = await this.app(appId).create(WEBHOOKS, {
      id,
      data: {
        url: input.url,
        events: input.events,
        description: input.description,
        enabled: input.enabled,
        disabledReason: null,
        disabledAt: null,
        failingSince: null,
        secretSealed: this.options.box.seal(secret, { appId, webhookId: id }),
        secretHint: secret.slice(-4),
      },
    });
    this.cache.delete(appId);
    return { hook: fromDoc(doc), secret };
  }

  async update(
    appId: string,
    id: string,
    patch: {
      url?: string | undefined;
      events?: string[] | undefined;
      description?: string | undefined;
      enabled?: boolean | undefined;
    },
  ): Promise<StoredWebhook> {
    await this.require(appId, id);
    if (patch.url !== undefined) await requireAllowedUrl(patch.url, this.options.policy, this.options.resolve);
    const set: Record<string, JsonValue> = {};
    if (patch.url !== undefined) set.url = patch.url;
    if (patch.events !== undefined) set.events = patch.events;
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.enabled !== undefined) {
      set.enabled = patch.enabled;
      // Enabling (again) clears the automatic-disabling state; disabling by hand is not "failing".
      set.disabledReason = null;
      set.disabledAt = patch.enabled ? null : this.options.now().toISOString();
      set.failingSince = null;
    }
    const doc = await this.app(appId).update(WEBHOOKS, id, { set });
    this.cache.delete(appId);
    return fromDoc(doc);
  }

  async rotateSecret(appId: string, id: string): Promise<{ hook: StoredWebhook; secret: string }> {
    await this.require(appId, id);
    const secret = newWebhookSecret();
    const doc = await this.app(appId).update(WEBHOOKS, id, {
      set: { secretSealed: this.options.box.seal(secret, { appId, webhookId: id }), secretHint: secret.slice(-4) },
    });
    this.cache.delete(appId);
    return { hook: fromDoc(doc), secret };
  }

  async remove(appId: string, id: string): Promise<StoredWebhook> {
    const hook = await this.require(appId, id);
    await this.app(appId).delete(WEBHOOKS, id);
    this.cache.delete(appId);
    return hook;
  }

  /** Enabled webhooks of an app (cached; see the class comment). */
  async active(appId: string): Promise<StoredWebhook[]> {
    return this.activeCached(appId);
  }

  /** `active`, answered synchronously while the cache is fresh. */
  activeCached(appId: string): StoredWebhook[] | Promise<StoredWebhook[]> {
    const cached = this.cache.get(appId);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.hooks;
    return this.load(appId);
  }

  /**
   * For the write path's outbox check: the cached list at once, even when it is stale (then it is
   * reloaded in the background, once), so a write waits for a read only when this process has
   * no list of the app at all (its first write, or right after a change made here).
   */
  activeForWrite(appId: string): StoredWebhook[] | Promise<StoredWebhook[]> {
    const cached = this.cache.get(appId);
    if (!cached) return this.load(appId);
    if (Date.now() - cached.at >= CACHE_MS && !this.reloading.has(appId)) {
      this.reloading.add(appId);
      void this.load(appId)
        .catch(() => undefined)
        .finally(() => this.reloading.delete(appId));
    }
    return cached.hooks;
  }

  private async load(appId: string): Promise<StoredWebhook[]> {
    const docs = await readAllArray(this.app(appId), WEBHOOKS, { filter: where.eq('enabled', true), max: 1000 });
    const hooks = docs.map(fromDoc);
    this.cache.set(appId, { hooks, at: Date.now() });
    return hooks;
  }

  /** After a successful delivery: no longer failing. */
  async markHealthy(appId: string, hook: StoredWebhook): Promise<void> {
    if (hook.failingSince === null) return;
    await this.app(appId)
      .update(WEBHOOKS, hook.id, { set: { failingSince: null } })
      .catch(ignoreMissing);
  }

  /** After a failed attempt: when it started failing (set now if it was healthy). */
  async markFailing(appId: string, hook: StoredWebhook): Promise<string> {
    if (hook.failingSince !== null) return hook.failingSince;
    const since = this.options.now().toISOString();
    await this.app(appId)
      .update(WEBHOOKS, hook.id, { set: { failingSince: since } })
      .catch(ignoreMissing);
    return since;
  }

  /** Automatic disabling; true when this call disabled it (not already disabled). */
  async disableFailing(appId: string, hook: StoredWebhook): Promise<boolean> {
    const current = await this.find(appId, hook.id);
    if (!current || !current.enabled) return false;
    await this.app(appId).update(WEBHOOKS, hook.id, {
      set: { enabled: false, disabledReason: 'failing', disabledAt: this.options.now().toISOString() },
    });
    this.cache.delete(appId);
    return true;
  }

  forget(appId: string): void {
    this.cache.delete(appId);
  }
}

function ignoreMissing(e: unknown): void {
  if (e instanceof HearthError && e.code === 'not_found') return;
  throw e;
}
