import type { DocumentStore } from '../../ports/document-store.js';
import type { Mailer } from '../../ports/mail.js';
import { createOutboxMailer } from './outbox.js';
import { createSmtpMailer } from './smtp.js';

/** Picks the mail engine: SMTP when a URL is configured, else the outbox in the store. */
export function createMailer(options: { store: DocumentStore; smtpUrl?: string | undefined; from: string }): Mailer {
  return options.smtpUrl
    ? createSmtpMailer({ url: options.smtpUrl, from: options.from })
    : createOutboxMailer({ store: options.store, from: options.from });
}
