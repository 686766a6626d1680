import { describe, expect, it } from 'vitest';
import { createOutboxMailer } from '../../src/engines/mail/outbox.js';
import type { Mailer, MailMessage } from '../../src/ports/mail.js';
import { openAuthWorld } from '../auth/support.js';
import { ENGINES, openStore } from '../support/harness.js';

/**
 * Mail delivery as a job: auth mail is queued (the request does not wait for the mail server), a
 * failed delivery is retried with backoff, and delivering one job twice keeps one outbox entry.
 */
describe.each(ENGINES)('mail delivery job [%s]', (engine) => {
  it('a delivery that fails is retried with backoff and then lands in the outbox', async () => {
    const { store, cleanup } = await openStore(engine);
    const outbox = createOutboxMailer({ store, from: 'Hearth <no-reply@localhost>' });
    const tries: MailMessage[] = [];
    const flaky: Mailer = {
      ...outbox,
      send: async (m) => {
        tries.push(m);
        if (tries.length === 1) throw new Error('421 try again later');
        return outbox.send(m);
      },
    };
    const w = await openAuthWorld(engine, { mailer: flaky });
    try {
      await w.signUp('retry@example.com');
      await w.h.modules.auth.settle(); // the first attempt has run
      expect(tries).toHaveLength(1);
      const id = tries[0]!.id!;
      const job = await w.h.modules.jobs.services.queue.get('mail', id);
      expect(job).toMatchObject({ state: 'delayed', attemptsMade: 1, attempts: 8, error: '421 try again later' });
      // the second attempt, 5 s later (exponential from 5 s), delivers it; a delivered mail job is removed
      const deadline = Date.now() + 12_000;
      while ((await w.h.modules.jobs.services.queue.get('mail', id)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(tries.map((t) => t.id)).toEqual([id, id]);
      const listed = await outbox.list(w.appId, { limit: 10 });
      expect(listed.items.map((m) => m.to)).toEqual(['retry@example.com']);
      expect(listed.items[0]!.id).toBe(id);
    } finally {
      await w.close();
      await cleanup();
    }
  }, 30_000);

  it('delivering the same job twice keeps one outbox entry (safe to run twice)', async () => {
    const { store, cleanup } = await openStore(engine);
    try {
      const outbox = createOutboxMailer({ store, from: 'x <x@localhost>' });
      const m: MailMessage = { appId: 'app1', to: 'a@example.com', subject: 's', text: 't', id: 'mail_abc' };
      expect(await outbox.send(m)).toEqual({ id: 'mail_abc' });
      expect(await outbox.send(m)).toEqual({ id: 'mail_abc' });
      expect((await outbox.list('app1', { limit: 10 })).items).toHaveLength(1);
    } finally {
      await cleanup();
    }
  });
});
