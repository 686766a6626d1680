/**
 * The mail port: hand over one message for delivery. Engines: the outbox (default; messages are
 * kept in the app's store, visible in the dashboard) and SMTP (nodemailer, `SMTP_URL`).
 * Engines throw `unavailable` when the message could not be handed over.
 */
export interface MailMessage {
  /** The app the message is sent for (the outbox keeps it in that app's store). */
  appId: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Overrides the engine's default sender. */
  from?: string;
  /** What the message is for (`verify`, `reset`, `magic-link`…), for the outbox and logs. */
  kind?: string;
  /**
   * A delivery id (the mail job's): sending the same id twice keeps one outbox entry, and SMTP
   * sends it with the same Message-ID, so a retried job does not make a second mail.
   */
  id?: string;
}

export interface SentMail {
  id: string;
}

export interface OutboxEntry {
  id: string;
  createdAt: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string | null;
  kind: string | null;
}

export interface Mailer {
  readonly engine: 'outbox' | 'smtp';
  send(message: MailMessage): Promise<SentMail>;
  /** The messages kept for an app, newest first (the outbox engine; SMTP keeps none). */
  list(
    appId: string,
    options: { limit: number; after?: string },
  ): Promise<{ items: OutboxEntry[]; next: string | null }>;
  close(): Promise<void>;
}
