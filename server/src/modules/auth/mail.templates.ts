import type { MailKind, MailTemplate } from './auth.settings.js';

/**
 * Mail templates: defaults per kind, overridable per app (`templates` in the auth settings).
 * Placeholders: {{appName}} {{email}} {{link}} {{token}} {{expiresInMinutes}}. Values are
 * HTML-escaped in the html part; unknown placeholders stay as they are.
 */
export const DEFAULT_TEMPLATES: Record<MailKind, MailTemplate> = {
  verify: {
    subject: 'Confirm your email for {{appName}}',
    text: 'Hello,\n\nConfirm your email address for {{appName}} by opening this link:\n\n{{link}}\n\nThe link works once and expires in {{expiresInMinutes}} minutes. If you did not sign up, ignore this mail.\n',
    html: '<p>Hello,</p><p>Confirm your email address for {{appName}}:</p><p><a href="{{link}}">Confirm my email</a></p><p>The link works once and expires in {{expiresInMinutes}} minutes. If you did not sign up, ignore this mail.</p>',
  },
  reset: {
    subject: 'Reset your {{appName}} password',
    text: 'Hello,\n\nSomeone (hopefully you) asked to reset the password of {{email}} for {{appName}}. Open this link to choose a new one:\n\n{{link}}\n\nThe link works once and expires in {{expiresInMinutes}} minutes. If you did not ask, ignore this mail: your password stays as it is.\n',
    html: '<p>Hello,</p><p>Someone (hopefully you) asked to reset the password of {{email}} for {{appName}}.</p><p><a href="{{link}}">Choose a new password</a></p><p>The link works once and expires in {{expiresInMinutes}} minutes. If you did not ask, ignore this mail.</p>',
  },
  'magic-link': {
    subject: 'Your {{appName}} sign-in link',
    text: 'Hello,\n\nOpen this link to sign in to {{appName}}:\n\n{{link}}\n\nThe link works once and expires in {{expiresInMinutes}} minutes. If you did not ask for it, ignore this mail.\n',
    html: '<p>Hello,</p><p><a href="{{link}}">Sign in to {{appName}}</a></p><p>The link works once and expires in {{expiresInMinutes}} minutes. If you did not ask for it, ignore this mail.</p>',
  },
};

export type TemplateValues = Record<'appName' | 'email' | 'link' | 'token' | 'expiresInMinutes', string>;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function fill(template: string, values: TemplateValues, escape: (s: string) => string): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? escape(values[name as keyof TemplateValues]) : whole,
  );
}

export function renderMail(
  kind: MailKind,
  overrides: Partial<Record<MailKind, MailTemplate>>,
  values: TemplateValues,
): { subject: string; text: string; html?: string } {
  const t = overrides[kind] ?? DEFAULT_TEMPLATES[kind];
  const subject = fill(t.subject, values, (s) => s.replace(/[\r\n]+/g, ' '));
  const text = fill(t.text, values, (s) => s);
  return t.html ? { subject, text, html: fill(t.html, values, escapeHtml) } : { subject, text };
}

/** `base?token=…` (or `&token=…` when base already has a query). */
export function linkWithToken(base: string, token: string, extra: Record<string, string> = {}): string {
  const url = new URL(base);
  url.searchParams.set('token', token);
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
  return url.toString();
}
