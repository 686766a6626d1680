import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpMailer } from '../../src/engines/mail/smtp.js';
import { freePort } from '../servers/free-port.js';
import { ENGINES } from '../support/harness.js';
import { linkIn, startSmtp, type TestSmtp } from './smtp-server.js';
import { expectError, openAuthWorld, PASSWORD, type AuthWorld } from './support.js';

/**
 * Verification, password reset and magic links through a real SMTP server (smtp-server): the
 * test reads the mail it received and follows the link in it.
 */
describe.each(ENGINES)('mail links over SMTP [%s]', (engine) => {
  let w: AuthWorld;
  let smtp: TestSmtp;
  let clock = 0;
  beforeAll(async () => {
    smtp = await startSmtp();
    w = await openAuthWorld(engine, {
      mailer: createSmtpMailer({ url: smtp.url, from: 'Hearth <no-reply@hearth.test>' }),
      now: () => new Date(Date.now() + clock),
    });
  });
  afterAll(async () => {
    await w?.close();
    await smtp?.close();
  });
  const follow = (link: URL) => w.h.http.get(`${link.pathname}${link.search}`);
  /** Opens a verification link and clicks its button, as a person in a browser does. */
  const confirmLink = async (link: URL) => {
    await follow(link).expect(200);
    return w.h.http
      .post(link.pathname)
      .type('form')
      .send({ token: link.searchParams.get('token') });
  };
  // Mail work after a 202 runs in the background; settle() waits for it. The SMTP server records a
  // message before it acknowledges it, so once sending resolved, `received` has it.
  const settle = () => w.h.modules.auth.settle();
  const noMailTo = async (to: string) => {
    await settle();
    expect(smtp.received.filter((m) => m.to.includes(to))).toHaveLength(0);
  };

  it('mails a verification link on sign-up; following it verifies the email, once', async () => {
    const s = await w.signUp('verify@example.com');
    const mail = await smtp.next('verify@example.com');
    expect(mail.from).toBe('no-reply@hearth.test');
    expect(mail.subject).toBe('Confirm your email for Todos');
    expect(mail.html).toContain('href="http://localhost:0/v1/apps/');
    const link = linkIn(mail);
    expect(link.pathname).toBe(`/v1/apps/${w.appId}/auth/links/verify`);
    // Opening the link (or a mail scanner fetching it) only shows the button…
    const page = await follow(link);
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).toContain('<form method="post">');
    expect((await follow(link)).status).toBe(200);
    expect((await w.h.http.get(w.auth('/me')).set(w.as(s.accessToken)).expect(200)).body.emailVerified).toBe(false);
    // …the click (a plain HTML form post, like a browser sends) confirms, once.
    const token = link.searchParams.get('token')!;
    const click = () => w.h.http.post(link.pathname).type('form').send({ token });
    const confirmed = await click();
    expect(confirmed.status).toBe(200);
    expect(confirmed.text).toContain('verify@example.com is confirmed');
    expect((await w.h.http.get(w.auth('/me')).set(w.as(s.accessToken)).expect(200)).body.emailVerified).toBe(true);
    const again = await click();
    expect(again.status).toBe(400);
    expect(again.text).toContain('already used or has expired');
  });

  it("uses the app's own link page and template; the page confirms through the API", async () => {
    await w.patchSettings({
      links: { verify: 'https://todos.test/welcome?lang=en' },
      templates: {
        verify: { subject: 'Welcome to {{appName}}, {{email}}', text: 'Tap {{link}} within {{expiresInMinutes}} min' },
      },
    });
    const s = await w.signUp('custom@example.com');
    const mail = await smtp.next('custom@example.com');
    expect(mail.subject).toBe('Welcome to Todos, custom@example.com');
    expect(mail.text).toMatch(/within 1440 min/);
    const link = linkIn(mail);
    expect(link.origin + link.pathname).toBe('https://todos.test/welcome');
    expect(link.searchParams.get('lang')).toBe('en');
    const token = link.searchParams.get('token')!;
    const res = await w.h.http.post(w.auth('/verify/confirm')).set(w.pk).send({ token }).expect(200);
    expect(res.body).toMatchObject({ id: s.user.id, emailVerified: true });
    expectError(await w.h.http.post(w.auth('/verify/confirm')).set(w.pk).send({ token }), 401, 'unauthorized');
    await w.patchSettings({ links: {}, templates: {} });
  });

  it('sends the verification mail again on request, not once verified', async () => {
    const s = await w.signUp('again@example.com');
    await smtp.next('again@example.com');
    await w.h.http.post(w.auth('/verify/request')).set(w.as(s.accessToken)).expect(202);
    const second = await smtp.next('again@example.com');
    expect((await confirmLink(linkIn(second))).status).toBe(200);
    await w.h.http.post(w.auth('/verify/request')).set(w.as(s.accessToken)).expect(202);
    expect(smtp.received.filter((m) => m.to.includes('again@example.com'))).toHaveLength(2);
  });

  it('resets a password with the mailed token: once, ending every session', async () => {
    const s = await w.signUp('reset@example.com');
    await w.h.http.post(w.auth('/reset/request')).set(w.pk).send({ email: 'Reset@Example.com' }).expect(202);
    const mail = await smtp.next('reset@example.com', 5000).then(() => smtp.next('reset@example.com'));
    expect(mail.subject).toBe('Reset your Todos password');
    const token = linkIn(mail).searchParams.get('token')!;
    // A refused password does not burn the link.
    expectError(
      await w.h.http.post(w.auth('/reset/confirm')).set(w.pk).send({ token, password: 'short' }),
      400,
      'validation_failed',
    );
    await w.h.http
      .post(w.auth('/reset/confirm'))
      .set(w.pk)
      .send({ token, password: 'a brand new password 3' })
      .expect(204);
    expectError(await w.h.http.get(w.auth('/me')).set(w.as(s.accessToken)), 401, 'unauthorized');
    expectError(
      await w.h.http.post(w.auth('/login')).set(w.pk).send({ email: 'reset@example.com', password: PASSWORD }),
      401,
      'unauthorized',
    );
    const after = await w.login('reset@example.com', 'a brand new password 3');
    expect(after.user.emailVerified).toBe(true);
    // Reusing the reset token fails.
    expectError(
      await w.h.http.post(w.auth('/reset/confirm')).set(w.pk).send({ token, password: 'yet another password 4' }),
      401,
      'unauthorized',
    );
    await w.login('reset@example.com', 'a brand new password 3');
  });

  it('lets one of two concurrent uses of a reset token win', async () => {
    await w.signUp('race-reset@example.com');
    await smtp.next('race-reset@example.com');
    await w.h.http.post(w.auth('/reset/request')).set(w.pk).send({ email: 'race-reset@example.com' }).expect(202);
    const token = linkIn(await smtp.next('race-reset@example.com')).searchParams.get('token')!;
    const results = await Promise.all(
      ['first password 12345', 'second password 12345'].map((password) =>
        w.h.http.post(w.auth('/reset/confirm')).set(w.pk).send({ token, password }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([204, 401]);
    const won = results[0]!.status === 204 ? 'first password 12345' : 'second password 12345';
    await w.login('race-reset@example.com', won);
  });

  it('resets through the default HTML page when the app has no page of its own', async () => {
    await w.signUp('page-reset@example.com');
    await smtp.next('page-reset@example.com');
    await w.h.http.post(w.auth('/reset/request')).set(w.pk).send({ email: 'page-reset@example.com' }).expect(202);
    const link = linkIn(await smtp.next('page-reset@example.com'));
    expect(link.pathname).toBe(`/v1/apps/${w.appId}/auth/links/reset`);
    const form = await follow(link).expect(200);
    expect(form.text).toContain('<form method="post">');
    const token = link.searchParams.get('token')!;
    expect(form.text).toContain(`value="${token}"`);
    const post = (password: string) => w.h.http.post(link.pathname).type('form').send({ token, password });
    const weak = await post('short');
    expect(weak.status).toBe(400);
    expect(weak.text).toContain('The password must be at least 10 characters.');
    const done = await post('a page-set password 5');
    expect(done.status).toBe(200);
    expect(done.text).toContain('Password changed');
    await w.login('page-reset@example.com', 'a page-set password 5');
    const again = await post('another page password 6');
    expect(again.status).toBe(400);
    expect(again.text).toContain('already used or has expired');
    // Script-free page: a token with markup is escaped, not rendered.
    const evil = await w.h.http.get(`${link.pathname}?token=${encodeURIComponent('"><script>x</script>')}`).expect(200);
    expect(evil.text).not.toContain('<script>x');
  });

  it('answers a reset request for an unknown email the same way, and sends nothing', async () => {
    const known = await w.h.http.post(w.auth('/reset/request')).set(w.pk).send({ email: 'reset@example.com' });
    const unknown = await w.h.http.post(w.auth('/reset/request')).set(w.pk).send({ email: 'ghost@example.com' });
    expect(unknown.status).toBe(known.status);
    expect(unknown.body).toEqual(known.body);
    await noMailTo('ghost@example.com');
  });

  it('voids older reset links when a new one is sent, and refuses expired ones', async () => {
    await w.signUp('twice@example.com');
    await smtp.next('twice@example.com');
    await w.h.http.post(w.auth('/reset/request')).set(w.pk).send({ email: 'twice@example.com' }).expect(202);
    const first = linkIn(await smtp.next('twice@example.com')).searchParams.get('token')!;
    await w.h.http.post(w.auth('/reset/request')).set(w.pk).send({ email: 'twice@example.com' }).expect(202);
    const second = linkIn(await smtp.next('twice@example.com')).searchParams.get('token')!;
    expectError(
      await w.h.http
        .post(w.auth('/reset/confirm'))
        .set(w.pk)
        .send({ token: first, password: 'a brand new password 3' }),
      401,
      'unauthorized',
    );
    clock = 2 * 3600_000;
    try {
      expectError(
        await w.h.http
          .post(w.auth('/reset/confirm'))
          .set(w.pk)
          .send({ token: second, password: 'a brand new password 3' }),
        401,
        'unauthorized',
      );
    } finally {
      clock = 0;
    }
  });

  it('sweeps expired tokens and old sessions away', async () => {
    await w.signUp('sweep@example.com');
    await smtp.next('sweep@example.com');
    const s = await w.login('sweep@example.com');
    await w.h.http.post(w.auth('/logout')).set(w.as(s.accessToken)).expect(204);
    const app = w.h.store.forApp(w.appId);
    const countTokens = async () => (await app.find('_auth_tokens', { limit: 1000 })).items.length;
    const before = await countTokens();
    expect(before).toBeGreaterThan(0);
    expect(await w.h.modules.auth.sweep(w.appId)).toEqual({ tokens: 0, sessions: 0 });
    clock = 2 * 24 * 3600_000;
    try {
      const swept = await w.h.modules.auth.sweep(w.appId);
      expect(swept.tokens).toBe(before);
      expect(swept.sessions).toBeGreaterThanOrEqual(1);
      expect(await countTokens()).toBe(0);
      const sid = (JSON.parse(Buffer.from(s.accessToken.split('.')[1]!, 'base64url').toString()) as { sid: string })
        .sid;
      expect(await app.get('_sessions', sid)).toBeNull();
    } finally {
      clock = 0;
    }
  });

  it('refuses forged and wrong-purpose tokens', async () => {
    const s = await w.signUp('purpose@example.com');
    const verifyToken = linkIn(await smtp.next('purpose@example.com')).searchParams.get('token')!;
    expectError(
      await w.h.http
        .post(w.auth('/reset/confirm'))
        .set(w.pk)
        .send({ token: verifyToken, password: 'a brand new password 3' }),
      401,
      'unauthorized',
    );
    expectError(
      await w.h.http.post(w.auth('/magic-link/confirm')).set(w.pk).send({ token: verifyToken }),
      401,
      'unauthorized',
    );
    for (const token of ['x', 'A'.repeat(43), '../../etc/passwd', verifyToken + 'x']) {
      expectError(await w.h.http.post(w.auth('/verify/confirm')).set(w.pk).send({ token }), 401, 'unauthorized');
    }
    // The wrong-purpose attempts did not use the verification token up.
    await w.h.http.post(w.auth('/verify/confirm')).set(w.pk).send({ token: verifyToken }).expect(200);
    expect((await w.h.http.get(w.auth('/me')).set(w.as(s.accessToken))).body.emailVerified).toBe(true);
  });

  it("refuses another app's token", async () => {
    await w.signUp('crossapp@example.com');
    const token = linkIn(await smtp.next('crossapp@example.com')).searchParams.get('token')!;
    const other = await w.h.http.post('/v1/admin/apps').set(w.admin).send({ name: 'Other' }).expect(201);
    const res = await w.h.http
      .post(`/v1/apps/${other.body.id}/auth/verify/confirm`)
      .set({ 'X-Hearth-Key': other.body.keys.public })
      .send({ token });
    expectError(res, 401, 'unauthorized');
  });

  it('signs in with a magic link (once), creating a verified account for a new address', async () => {
    await w.h.http.post(w.auth('/magic-link/request')).set(w.pk).send({ email: 'magic@example.com' }).expect(202);
    const mail = await smtp.next('magic@example.com');
    expect(mail.subject).toBe('Your Todos sign-in link');
    const token = linkIn(mail).searchParams.get('token')!;
    const res = await w.h.http.post(w.auth('/magic-link/confirm')).set(w.pk).send({ token }).expect(200);
    expect(res.body.user).toMatchObject({ email: 'magic@example.com', emailVerified: true });
    await w.h.http.get(w.auth('/me')).set(w.as(res.body.accessToken)).expect(200);
    expectError(await w.h.http.post(w.auth('/magic-link/confirm')).set(w.pk).send({ token }), 401, 'unauthorized');
    // Again for the now existing account: same user.
    await w.h.http.post(w.auth('/magic-link/request')).set(w.pk).send({ email: 'magic@example.com' }).expect(202);
    const again = await w.h.http
      .post(w.auth('/magic-link/confirm'))
      .set(w.pk)
      .send({ token: linkIn(await smtp.next('magic@example.com')).searchParams.get('token') })
      .expect(200);
    expect(again.body.user.id).toBe(res.body.user.id);
  });

  it('requires a verified email before sign-in when the app says so', async () => {
    await w.patchSettings({ requireVerifiedEmail: true });
    try {
      const res = await w.h.http
        .post(w.auth('/signup'))
        .set(w.pk)
        .send({ email: 'strict@example.com', password: PASSWORD })
        .expect(202);
      expect(res.body).toMatchObject({ verificationRequired: true, user: { email: 'strict@example.com' } });
      expect(res.body.accessToken).toBeUndefined();
      const details = expectError(
        await w.h.http.post(w.auth('/login')).set(w.pk).send({ email: 'strict@example.com', password: PASSWORD }),
        403,
        'forbidden',
      );
      expect(details.reason).toBe('email_not_verified');
      expect((await confirmLink(linkIn(await smtp.next('strict@example.com')))).status).toBe(200);
      await w.login('strict@example.com');
    } finally {
      await w.patchSettings({ requireVerifiedEmail: false });
    }
  });

  it('limits mails per address (no mail bombing) while answering the same', async () => {
    await w.signUp('bomb@example.com');
    await smtp.next('bomb@example.com');
    for (let i = 0; i < 8; i++)
      await w.h.http.post(w.auth('/reset/request')).set(w.pk).send({ email: 'bomb@example.com' }).expect(202);
    await settle();
    expect(smtp.received.filter((m) => m.to.includes('bomb@example.com'))).toHaveLength(5);
  });
});

describe('mail engines', () => {
  it('SMTP: an unreachable server is unavailable', async () => {
    const port = await freePort();
    const mailer = createSmtpMailer({ url: `smtp://127.0.0.1:${port}?connectionTimeout=2000`, from: 'x@hearth.test' });
    await expect(mailer.send({ appId: 'a', to: 'b@example.com', subject: 's', text: 't' })).rejects.toMatchObject({
      code: 'unavailable',
    });
    await mailer.close();
  });

  it.each(ENGINES)('the outbox (default) keeps auth mails in the app, listed for admins [%s]', async (engine) => {
    const w = await openAuthWorld(engine);
    try {
      await w.signUp('outbox@example.com');
      await w.h.modules.auth.settle(); // delivery is a queued job
      const res = await w.h.http.get(`/v1/admin/apps/${w.appId}/mail/outbox`).set(w.admin).expect(200);
      expect(res.body.items).toHaveLength(1);
      expect(res.body.items[0]).toMatchObject({
        to: 'outbox@example.com',
        kind: 'verify',
        subject: 'Confirm your email for Todos',
      });
      expect(res.body.items[0].text).toContain(`/v1/apps/${w.appId}/auth/links/verify?token=`);
      expectError(await w.h.http.get(`/v1/admin/apps/${w.appId}/mail/outbox`), 401, 'unauthorized');
      // The outbox is a system collection: not reachable through the collections API.
      const viaApi = await w.h.http.get(`/v1/apps/${w.appId}/collections/_outbox/documents`).set(w.sk);
      expect(viaApi.status).toBeGreaterThanOrEqual(400);
    } finally {
      await w.close();
    }
  });

  it.each(ENGINES)('a failing mail server does not fail sign-up or change the reset answer [%s]', async (engine) => {
    const port = await freePort();
    const w = await openAuthWorld(engine, {
      mailer: createSmtpMailer({ url: `smtp://127.0.0.1:${port}?connectionTimeout=1000`, from: 'x@hearth.test' }),
    });
    try {
      await w.signUp('down@example.com');
      await w.h.http.post(w.auth('/reset/request')).set(w.pk).send({ email: 'down@example.com' }).expect(202);
    } finally {
      await w.close();
    }
  });
});
