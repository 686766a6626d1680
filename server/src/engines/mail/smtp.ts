import nodemailer from 'nodemailer';
import { HearthError } from '../../errors.js';
import type { MailMessage, Mailer, SentMail } from '../../ports/mail.js';

/**
 * The SMTP mail engine (nodemailer) for `SMTP_URL`, e.g.
 * `smtp://user:pass@mail.example.com:587`, `smtps://…:465`, or with `?pool=true` for pooled connections. A refused or unreachable server is
 * `unavailable`; the caller decides whether to retry.
 */
export function createSmtpMailer(options: { url: string; from: string }): Mailer {
  const transport = nodemailer.createTransport(options.url, { from: options.from });
  return {
    engine: 'smtp',
    async send(message: MailMessage): Promise<SentMail> {
      try {
        const info = await transport.sendMail({
          from: message.from ?? options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          ...(message.html ? { html: message.html } : {}),
          ...(message.id ? { messageId: `<${message.id}@hearth>` } : {}),
          headers: { 'X-Hearth-App': message.appId, ...(message.kind ? { 'X-Hearth-Mail': message.kind } : {}) },
        });
        return { id: String(info.messageId ?? '') };
      } catch (e) {
        throw new HearthError('unavailable', 'The mail server did not accept the message.', undefined, { cause: e });
      }
    },
    list: async () => ({ items: [], next: null }),
    close: async () => {
      transport.close();
    },
  };
}
