import { HearthError, errors, reasonError } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import { collectPaths, parseFilter } from '../../lib/filter/parse.js';
import type { FilterNode, JsonValue } from '../../lib/filter/types.js';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import type { JobQueue } from '../../ports/job-queue.js';
import { MAX_PUSH_PAYLOAD_BYTES, PUSH_PLATFORMS } from '../../ports/push-provider.js';
import type { PushCaller } from './installations.service.js';
import type { PushMetrics } from './push.metrics.js';
import type { MessageInput, MessageView, Target } from './push.schema.js';
import { checkSendAt } from './schedule.js';

/**
 * Push messages (`_push_messages`): accepted with 202 and a message id, then planned and
 * delivered by the fan-out jobs (fanout.ts) on the `push` queue. States: `scheduled` (sendAt
 * ahead) → `sending` → `done`; `cancelled` by an admin or the secret key before it is done;
 * `failed` when it could not be planned. Counts (targeted, sent, failed, invalid) and the
 * per-provider breakdown are kept on the message; the first errors are read from the batch
 * records (`_push_batches`). Messages are kept as history.
 */
export const MESSAGES = '_push_messages';
export const BATCHES = '_push_batches';
export const PUSH_QUEUE = 'push';
/** Installation fields a message's `target.filter` may name. */
export const FILTERABLE = new Set([
  'platform',
  'channels',
  'locale',
  'timeZone',
  'appVersion',
  'badge',
  'owner',
  'createdAt',
  'updatedAt',
]);

const zero = { sent: 0, failed: 0, invalid: 0 };

/** Who may send: an admin, a secret key without scopes, or any key with `push:send`. */
export function assertMaySend(caller: PushCaller): void {
  if (caller.kind === 'admin') return;
  if (caller.scopes.includes('push:send') || caller.scopes.includes('push:*')) return;
  if (caller.kind === 'secret' && caller.scopes.length === 0) return;
  if (caller.kind === 'secret') throw errors.scopeMissing('push:send');
  throw errors.secretKeyRequired();
}

/** The target as a filter on installations (its parts narrow each other), always active ones. */
export function targetFilter(target: Target): FilterNode {
  const parts: FilterNode[] = [where.eq('active', true)];
  if (target.users) parts.push(where.in('owner', target.users));
  if (target.channels) parts.push(where.in('channels', target.channels));
  if (target.installations) parts.push(where.in('id', target.installations));
  if (target.filter) {
    const parsed = parseFilter(target.filter);
    const bad = collectPaths(parsed).find((p) => !FILTERABLE.has(p.split('.')[0]!));
    if (bad !== undefined) {
      throw new HearthError('validation_failed', 'One or more fields are invalid.', {
        fields: { 'target.filter': `cannot filter on ${bad}; use ${[...FILTERABLE].join(', ')}` },
      });
    }
    parts.push(parsed);
  }
  return where.and(...parts);
}

/** The largest payload any locale variant makes, checked against the providers' 4 KB limit. */
export function payloadBytes(input: MessageInput): number {
  const variants = [
    input.notification,
    ...Object.values(input.localized ?? {}).map((l) => ({ ...input.notification, ...l })),
  ];
  return Math.max(
    ...variants.map((n) =>
      Buffer.byteLength(
        JSON.stringify({
          aps: { alert: { title: n.title, body: n.body }, badge: n.badge, sound: n.sound },
          ...n.data,
          image: n.image,
        }),
      ),
    ),
  );
}

export function messageView(d: StoredDocument, errorsSeen: MessageView['errors'] = []): MessageView {
  const counts = d.counts as MessageView['counts'];
  const providers = (d.providers ?? {}) as Partial<MessageView['providers']>;
  return {
    id: d.id,
    state: d.state as MessageView['state'],
    target: d.target as Record<string, unknown>,
    notification: d.notification as Record<string, unknown>,
    sendAt: (d.sendAt as string | null) ?? null,
    localTime: d.localTime === true,
    counts,
    providers: {
      ios: { ...zero, ...providers.ios },
      android: { ...zero, ...providers.android },
      web: { ...zero, ...providers.web },
    },
    errors: errorsSeen,
    createdAt: d.createdAt,
    startedAt: (d.startedAt as string | null) ?? null,
    finishedAt: (d.finishedAt as string | null) ?? null,
  };
}

export class MessagesService {
  constructor(
    private readonly options: { store: DocumentStore; jobs: JobQueue; metrics: PushMetrics; now: () => Date },
  ) {}

  async create(caller: PushCaller, input: MessageInput): Promise<{ id: string; state: 'scheduled' | 'sending' }> {
    assertMaySend(caller);
    targetFilter(input.target); // refuses a bad filter now, not in the job
    if (payloadBytes(input) > MAX_PUSH_PAYLOAD_BYTES) {
      throw reasonError(
        'payload_too_large',
        'push_payload_too_large',
        `A push payload is at most ${MAX_PUSH_PAYLOAD_BYTES} bytes.`,
        {
          limit: MAX_PUSH_PAYLOAD_BYTES,
        },
      );
    }
    const now = this.options.now().getTime();
    const at = input.sendAt ? checkSendAt(input.sendAt, input.localTime, now) : now;
    if (input.localTime && !input.sendAt) {
      throw new HearthError('validation_failed', 'One or more fields are invalid.', {
        fields: { localTime: 'needs sendAt' },
      });
    }
    const scheduled = input.localTime || at > now + 1000;
    const state = scheduled ? 'scheduled' : 'sending';
    const doc = await this.options.store.forApp(caller.appId).create(MESSAGES, {
      data: {
        state,
        target: input.target as unknown as JsonValue,
        notification: input.notification as unknown as JsonValue,
        localized: (input.localized ?? {}) as unknown as JsonValue,
        collapseId: input.collapseId ?? null,
        ttl: input.ttl,
        priority: input.priority,
        sendAt: input.sendAt ?? null,
        localTime: input.localTime,
        counts: { targeted: 0, ...zero },
        providers: Object.fromEntries(PUSH_PLATFORMS.map((p) => [p, zero])),
        planned: false,
        cursor: null,
        batches: 0,
        createdBy: caller.kind,
        startedAt: scheduled ? null : new Date(now).toISOString(),
        finishedAt: null,
      },
    });
    this.options.metrics.message(state, caller.appId, doc.id);
    // Local-time messages are planned now: each zone's batches wait for their own time.
    const delay = input.localTime ? 0 : Math.max(0, at - now);
    await this.options.jobs.add(
      PUSH_QUEUE,
      { type: 'plan', appId: caller.appId, messageId: doc.id },
      { jobId: `plan-${caller.appId}-${doc.id}`, delay, attempts: 5, backoff: { type: 'exponential', delay: 1000 } },
    );
    return { id: doc.id, state };
  }

  async get(appId: string, id: string): Promise<MessageView> {
    const store = this.options.store.forApp(appId);
    const doc = await store.get(MESSAGES, id);
    if (!doc) throw new HearthError('not_found', 'No such message.');
    const { items } = await store.find(BATCHES, {
      filter: where.and(where.eq('messageId', id), where.eq('hasErrors', true)),
      limit: 10,
    });
    const seen = items.flatMap((b) => b.errors as MessageView['errors']).slice(0, 10);
    return messageView(doc, seen);
  }

  async list(appId: string, query: { limit: number; after?: string | undefined; state?: string | undefined }) {
    const page = await this.options.store.forApp(appId).find(MESSAGES, {
      filter: query.state ? where.eq('state', query.state) : { op: 'all' },
      sort: [{ path: 'createdAt', dir: -1 }],
      limit: query.limit,
      ...(query.after ? { after: query.after } : {}),
    });
    return { items: page.items.map((d) => messageView(d)), next: page.next };
  }

  /** Stops a message that is not done yet: batches not yet delivered are dropped. */
  async cancel(caller: PushCaller, id: string): Promise<MessageView> {
    assertMaySend(caller);
    const store = this.options.store.forApp(caller.appId);
    const doc = await store.get(MESSAGES, id);
    if (!doc) throw new HearthError('not_found', 'No such message.');
    if (doc.state !== 'scheduled' && doc.state !== 'sending') {
      throw reasonError('conflict', 'precondition', `A ${String(doc.state)} message cannot be cancelled.`, {
        state: doc.state,
      });
    }
    const updated = await store
      .update(
        MESSAGES,
        id,
        { set: { state: 'cancelled', finishedAt: this.options.now().toISOString() } },
        { where: where.in('state', ['scheduled', 'sending']) },
      )
      .catch(() => {
        throw reasonError('conflict', 'precondition', 'The message finished meanwhile.');
      });
    this.options.metrics.message('cancelled', caller.appId, id);
    await this.options.jobs.remove(PUSH_QUEUE, `plan-${caller.appId}-${id}`).catch(() => false);
    return messageView(updated);
  }
}
