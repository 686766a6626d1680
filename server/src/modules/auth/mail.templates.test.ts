import { describe, expect, it } from 'vitest';
import { linkWithToken, renderMail } from './mail.templates.js';

const values = {
  appName: 'Todos <b>',
  email: 'a@example.com',
  link: 'https://x.test/v?token=abc&x=1',
  token: 'abc',
  expiresInMinutes: '60',
};

describe('renderMail', () => {
  it('fills the default template, escaping values in html only', () => {
    const mail = renderMail('reset', {}, values);
    expect(mail.subject).toBe('Reset your Todos <b> password');
    expect(mail.text).toContain('https://x.test/v?token=abc&x=1');
    expect(mail.html).toContain('Todos &lt;b&gt;');
    expect(mail.html).toContain('href="https://x.test/v?token=abc&amp;x=1"');
  });

  it("uses the app's template and leaves unknown placeholders alone", () => {
    const mail = renderMail('verify', { verify: { subject: 'Hi {{ email }}', text: '{{link}} {{nope}}' } }, values);
    expect(mail).toEqual({ subject: 'Hi a@example.com', text: 'https://x.test/v?token=abc&x=1 {{nope}}' });
  });

  it('keeps line breaks out of subjects (no header injection)', () => {
    const mail = renderMail(
      'verify',
      { verify: { subject: '{{appName}}', text: 'x' } },
      { ...values, appName: 'a\r\nBcc: evil@x.test' },
    );
    expect(mail.subject).toBe('a Bcc: evil@x.test');
  });
});

describe('linkWithToken', () => {
  it('adds the token to a base with or without a query', () => {
    expect(linkWithToken('https://app.test/verify', 't1')).toBe('https://app.test/verify?token=t1');
    expect(linkWithToken('https://app.test/verify?lang=fr', 't1', { app: 'A' })).toBe(
      'https://app.test/verify?lang=fr&token=t1&app=A',
    );
  });
});
