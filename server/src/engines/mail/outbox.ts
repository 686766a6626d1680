import { isError } from '../../errors.js';
import type { JsonValue } from '../../lib/filter/types.js';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import type { MailMessage, Mailer, OutboxEntry, SentMail } from '../../ports/mail.js';

/** The `_outbox` system collection of each app. */
export const OUTBOX = '_outbox';

/**
 * The embedded mail engine: nothing leaves the machine; every message is kept in the app's own
 * store (`_outbox`) where the dashboard shows it. Good for development and for tests.
 *
 * Not for production: the stored messages hold live one-time links (password reset, magic link,
 * verification) in plaintext, so anyone who can read the outbox or the database can use them
 * until they expire. main.ts warns at startup when NODE_ENV=production and SMTP_URL is unset.
 */
export function createOutboxMailer(options: { store: DocumentStore; from: string }): Mailer {
  return {
    engine: 'outbox',
    async send(message: MailMessage): Promise<SentMail> {
      const app = options.store.forApp(message.appId);
      try {
        const doc = await app.create(OUTBOX, {
          data: toData(message, options.from),
          ...(message.id ? { id: message.id } : {}),
        });
        return { id: doc.id };
      } catch (e) {
        // the same delivery again (a retried mail job): it is already in the outbox
        if (message.id && isError(e, 'conflict') && (await app.get(OUTBOX, message.id))) return { id: message.id };
        throw e;
      }
    },
    list: (appId, page) => listOutbox(options.store, appId, page),
    close: async () => {},
  };
}

export function toData(message: MailMessage, defaultFrom: string): Record<string, JsonValue> {
  return {
    to: message.to,
    from: message.from ?? defaultFrom,
    subject: message.subject,
    text: message.text,
    html: message.html ?? null,
    kind: message.kind ?? null,
  };
}

export async function listOutbox(
  store: DocumentStore,
  appId: string,
  page: { limit: number; after?: string },
): Promise<{ items: OutboxEntry[]; next: string | null }> {
  const result = await store.forApp(appId).find(OUTBOX, {
    sort: [{ path: 'createdAt', dir: -1 }],
    limit: page.limit,
    ...(page.after ? { after: page.after } : {}),
  });
  return { items: result.items.map(toEntry), next: result.next };
}

function toEntry(doc: StoredDocument): OutboxEntry {
  return {
    id: doc.id,
    createdAt: doc.createdAt,
    to: String(doc.to),
    from: String(doc.from),
    subject: String(doc.subject),
    text: String(doc.text),
    html: typeof doc.html === 'string' ? doc.html : null,
    kind: typeof doc.kind === 'string' ? doc.kind : null,
  };
}
