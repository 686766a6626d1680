import { isError, notFound, reasonError } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { newId } from '../../lib/ids.js';
import type { DocumentStore, StoredDocument, UpdateSpec } from '../../ports/document-store.js';
import { IDENTITIES, ONE_TIME, SESSIONS, USERS } from './auth.collections.js';
import { deleteMatching } from './delete-matching.js';
import { noMfa } from './mfa.js';
import type { UserEvents, UserEventType } from './user-events.js';
import type { UserOutbox } from './user-outbox.js';
import type { UserView } from './user-view.js';

/**
 * The `_users` system collection of an app. `login` is the lowercased email, or `#<id>` for an
 * account without one (anonymous, or an OAuth account whose provider gave none), so one unique
 * index enforces one account per email on both engines (a unique index over missing values would
 * clash on MongoDB).
 */
export type { UserView };

export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

export class UsersRepo {
  private readonly ready = new Map<string, Promise<void>>();

  private readonly store: DocumentStore;
  private readonly changed: (appId: string) => void;
  private readonly events: UserEvents | undefined;
  /** The webhooks module's outbox for user events (user-outbox.ts), registered through auth's `useOutbox`. */
  outbox: UserOutbox | null = null;

  constructor(options: {
    store: DocumentStore;
    /** A user of the app changed (the access-token check drops its cached lookups). */
    changed?: (appId: string) => void;
    /** Where users.create / update / delete are emitted. */
    events?: UserEvents;
  }) {
    this.store = options.store;
    this.changed = options.changed ?? (() => {});
    this.events = options.events;
  }

  /** Indexes of an app's auth collections, made once per app per process. */
  ensureApp(appId: string): Promise<void> {
    let p = this.ready.get(appId);
    if (!p) {
      const app = this.store.forApp(appId);
      p = Promise.all([
        app.ensureIndex(USERS, {
          kind: 'regular',
          name: 'login_unique',
          fields: [{ path: 'login', dir: 1 }],
          unique: true,
        }),
        app.ensureIndex(USERS, { kind: 'regular', name: 'by_created', fields: [{ path: 'createdAt', dir: 1 }] }),
        app.ensureIndex(SESSIONS, {
          kind: 'regular',
          name: 'by_user',
          fields: [
            { path: 'userId', dir: 1 },
            { path: 'createdAt', dir: -1 },
          ],
        }),
        app.ensureIndex(ONE_TIME, { kind: 'regular', name: 'by_user', fields: [{ path: 'userId', dir: 1 }] }),
        app.ensureIndex(ONE_TIME, { kind: 'regular', name: 'by_expiry', fields: [{ path: 'expiresAt', dir: 1 }] }),
        app.ensureIndex(SESSIONS, { kind: 'regular', name: 'by_expiry', fields: [{ path: 'expiresAt', dir: 1 }] }),
        app.ensureIndex(IDENTITIES, { kind: 'regular', name: 'by_user', fields: [{ path: 'userId', dir: 1 }] }),
      ]).then(
        () => undefined,
        (e: unknown) => {
          this.ready.delete(appId);
          throw e;
        },
      );
      this.ready.set(appId, p);
    }
    return p;
  }

  forget(appId: string): void {
    this.ready.delete(appId);
  }

  async get(appId: string, id: string): Promise<StoredDocument | null> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return null;
    return this.store.forApp(appId).get(USERS, id);
  }

  async require(appId: string, id: string): Promise<StoredDocument> {
    const doc = await this.get(appId, id);
    if (!doc) throw notFound('No such user.');
    return doc;
  }

  async byEmail(appId: string, email: string): Promise<StoredDocument | null> {
    const page = await this.store
      .forApp(appId)
      .find(USERS, { filter: where.eq('login', normaliseEmail(email)), limit: 1 });
    return page.items[0] ?? null;
  }

  /** Creates a user; an email already taken is `conflict`. */
  async create(
    appId: string,
    input: {
      email: string | null;
      passwordHash: string | null;
      anonymous: boolean;
      emailVerified?: boolean;
      profile?: Record<string, JsonValue>;
      roles?: string[];
    },
  ): Promise<StoredDocument> {
    await this.ensureApp(appId);
    const id = newId();
    const email = input.email ? normaliseEmail(input.email) : null;
    const data = {
      login: email ?? `#${id}`,
      email,
      emailVerified: input.emailVerified ?? false,
      passwordHash: input.passwordHash,
      anonymous: input.anonymous,
      roles: input.roles ?? [],
      profile: input.profile ?? {},
      mfa: noMfa(),
      disabledAt: null,
      lastSignInAt: null,
    };
    try {
      const eventId = await this.outboxId(appId, 'users.create');
      const doc = eventId
        ? (
            await this.store
              .forApp(appId)
              .batch([
                { op: 'create', collection: USERS, id, owner: id, data },
                this.outbox!.record(appId, { id: eventId, type: 'users.create', userId: id, before: null }),
              ])
          )[0]!
        : await this.store.forApp(appId).create(USERS, { id, owner: id, data });
      this.events?.emit({
        type: 'users.create',
        appId,
        before: null,
        after: toUserView(doc),
        ...(eventId ? { eventId } : {}),
      });
      return doc;
    } catch (e) {
      if (isError(e, 'conflict')) throw emailTaken();
      throw e;
    }
  }

  async update(appId: string, id: string, update: UpdateSpec, expectedVersion?: number): Promise<StoredDocument> {
    const before = this.events && !isBookkeeping(update) ? await this.get(appId, id) : null;
    try {
      const options = expectedVersion !== undefined ? { expectedVersion } : {};
      const eventId = before ? await this.outboxId(appId, 'users.update') : undefined;
      const beforeView = before ? toUserView(before) : null;
      const doc = eventId
        ? (
            await this.store
              .forApp(appId)
              .batch([
                { op: 'update', collection: USERS, id, update, ...options },
                this.outbox!.record(appId, { id: eventId, type: 'users.update', userId: id, before: beforeView }),
              ])
          )[0]!
        : await this.store.forApp(appId).update(USERS, id, update, options);
      this.changed(appId);
      if (beforeView)
        this.events?.emit({
          type: 'users.update',
          appId,
          before: beforeView,
          after: toUserView(doc),
          ...(eventId ? { eventId } : {}),
        });
      return doc;
    } catch (e) {
      if (isError(e, 'conflict', 'unique')) throw emailTaken();
      throw e;
    }
  }

  /** Deletes the OAuth identities linked to a user (they stop signing in to this account). */
  async dropIdentities(appId: string, userId: string): Promise<number> {
    return deleteMatching(this.store.forApp(appId), IDENTITIES, where.eq('userId', userId));
  }

  async remove(appId: string, id: string): Promise<void> {
    const eventId = await this.outboxId(appId, 'users.delete');
    let doc: StoredDocument;
    if (eventId) doc = await this.removeRecorded(appId, id, eventId);
    else doc = await this.store.forApp(appId).delete(USERS, id);
    this.changed(appId);
    this.events?.emit({
      type: 'users.delete',
      appId,
      before: toUserView(doc),
      after: null,
      ...(eventId ? { eventId } : {}),
    });
  }

  /**
   * Deletes the user with its outbox record, whose `before` is the version deleted: the delete is
   * conditional on that version, and a change in between makes it read again (a few times).
   */
  private async removeRecorded(appId: string, id: string, eventId: string): Promise<StoredDocument> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(appId, id);
      if (!current) throw notFound('No such user.');
      try {
        await this.store
          .forApp(appId)
          .batch([
            { op: 'delete', collection: USERS, id, expectedVersion: current.version },
            this.outbox!.record(appId, { id: eventId, type: 'users.delete', userId: id, before: toUserView(current) }),
          ]);
        return current;
      } catch (e) {
        if (attempt >= 3 || !isError(e, 'conflict')) throw e;
      }
    }
  }

  /** A new outbox record id when the outbox wants this event, else undefined (the common case). */
  private async outboxId(appId: string, type: UserEventType): Promise<string | undefined> {
    if (!this.outbox || !this.events) return undefined;
    const wanted = this.outbox.wants(appId, type);
    return (wanted instanceof Promise ? await wanted : wanted) ? newId() : undefined;
  }
}

/** Sign-in bookkeeping: no event for these. */
const BOOKKEEPING = new Set(['lastSignInAt', 'mfa.totpLastStep', 'mfa.totpPending']);
const isBookkeeping = (update: UpdateSpec): boolean =>
  Object.keys(update).every((k) => k === 'set') && Object.keys(update.set ?? {}).every((k) => BOOKKEEPING.has(k));

export const emailTaken = () =>
  reasonError('conflict', 'exists', 'An account with this email already exists.', { field: 'email' });

export function toUserView(doc: StoredDocument): UserView {
  const mfa = (doc.mfa ?? {}) as { totp?: string | null };
  return {
    id: doc.id,
    email: (doc.email as string | null) ?? null,
    emailVerified: Boolean(doc.emailVerified),
    anonymous: Boolean(doc.anonymous),
    roles: Array.isArray(doc.roles) ? (doc.roles as string[]) : [],
    profile: (doc.profile as Record<string, JsonValue>) ?? {},
    mfa: { totp: Boolean(mfa.totp) },
    disabled: Boolean(doc.disabledAt),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    lastSignInAt: (doc.lastSignInAt as string | null) ?? null,
  };
}
