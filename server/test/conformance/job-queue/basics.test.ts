import { expect, it } from 'vitest';
import { forEachQueueTarget, freshQueue, sleep, waitFor, waitForState } from './targets.js';

/** The JobQueue port's core semantics, on every engine (ports/job-queue.ts). */
forEachQueueTarget('job queue: basics', ({ queue }) => {
  it('runs an added job once and keeps its result, attempts and finish time', async () => {
    const q = freshQueue();
    const seen: unknown[] = [];
    queue().process<{ n: number }>(q, {}, async (job, ctx) => {
      seen.push({ data: job.data, attempt: ctx.attempt });
      return { doubled: job.data.n * 2 };
    });
    const added = await queue().add(q, { n: 21 });
    expect(added).toMatchObject({ queue: q, data: { n: 21 }, attempts: 1 });
    expect(['waiting', 'active', 'completed']).toContain(added.state);
    const done = await waitForState(queue(), q, added.id, 'completed');
    expect(done).toMatchObject({ state: 'completed', result: { doubled: 42 }, attemptsMade: 1 });
    expect(done!.finishedAt).toBeInstanceOf(Date);
    expect(done!.error).toBeUndefined();
    expect(seen).toEqual([{ data: { n: 21 }, attempt: 1 }]);
  });

  it('retries a failing job with a fixed backoff, no sooner than the delay', async () => {
    const q = freshQueue();
    const at: number[] = [];
    queue().process(q, {}, async (_job, ctx) => {
      at.push(Date.now());
      if (ctx.attempt < 3) throw new Error(`boom ${ctx.attempt}`);
      return 'ok';
    });
    const job = await queue().add(q, {}, { attempts: 3, backoff: { type: 'fixed', delay: 250 } });
    const done = await waitForState(queue(), q, job.id, 'completed');
    expect(done).toMatchObject({ state: 'completed', result: 'ok', attemptsMade: 3 });
    expect(at).toHaveLength(3);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(240);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(240);
  });

  it('doubles an exponential backoff on each retry', async () => {
    const q = freshQueue();
    const at: number[] = [];
    queue().process(q, {}, async (_job, ctx) => {
      at.push(Date.now());
      if (ctx.attempt < 3) throw new Error('again');
    });
    const job = await queue().add(q, {}, { attempts: 3, backoff: { type: 'exponential', delay: 200 } });
    await waitForState(queue(), q, job.id, 'completed');
    expect(at).toHaveLength(3);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(190);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(390);
  });

  it('fails a job once its attempts are used, with the last error; retry runs it again', async () => {
    const q = freshQueue();
    let fail = true;
    queue().process(q, {}, async (_job, ctx) => {
      if (fail) throw new Error(`attempt ${ctx.attempt} failed`);
      return 'second life';
    });
    const job = await queue().add(q, {}, { attempts: 2 });
    const failed = await waitForState(queue(), q, job.id, 'failed');
    expect(failed).toMatchObject({ state: 'failed', error: 'attempt 2 failed', attemptsMade: 2 });
    expect(failed!.finishedAt).toBeInstanceOf(Date);
    expect((await queue().counts(q)).failed).toBe(1);
    expect((await queue().list(q, { state: 'failed' })).map((j) => j.id)).toEqual([job.id]);
    fail = false;
    expect(await queue().retry(q, job.id)).toBe(true);
    const again = await waitForState(queue(), q, job.id, 'completed');
    expect(again).toMatchObject({ state: 'completed', result: 'second life' });
    expect(await queue().retry(q, job.id)).toBe(false); // only failed jobs are retried
    expect(await queue().retry(q, 'no-such-job')).toBe(false);
  });

  it('holds a delayed job until its delay has passed', async () => {
    const q = freshQueue();
    const ran: number[] = [];
    queue().process(q, {}, async () => {
      ran.push(Date.now());
    });
    const start = Date.now();
    const job = await queue().add(q, {}, { delay: 400 });
    expect(job.state).toBe('delayed');
    expect((await queue().get(q, job.id))!.state).toBe('delayed');
    expect((await queue().counts(q)).delayed).toBe(1);
    await waitForState(queue(), q, job.id, 'completed');
    expect(ran[0]! - start).toBeGreaterThanOrEqual(390);
  });

  it('de-duplicates by jobId: the second add returns the first job and nothing more runs', async () => {
    const q = freshQueue();
    let runs = 0;
    const first = await queue().add(q, { v: 1 }, { jobId: 'mail-42', delay: 200 });
    const second = await queue().add(q, { v: 2 }, { jobId: 'mail-42' });
    expect(second.id).toBe(first.id);
    expect(second.data).toEqual({ v: 1 });
    expect(second.state).toBe('delayed');
    queue().process(q, {}, async () => {
      runs += 1;
    });
    await waitForState(queue(), q, 'mail-42', 'completed');
    const third = await queue().add(q, { v: 3 }, { jobId: 'mail-42' }); // kept completed jobs count too
    expect(third).toMatchObject({ id: 'mail-42', state: 'completed', data: { v: 1 } });
    await sleep(300);
    expect(runs).toBe(1);
  });

  it('runs lower priority numbers first, and equal ones in the order added', async () => {
    const q = freshQueue();
    const order: string[] = [];
    await queue().add(q, 'none-1');
    await queue().add(q, 'p3', { priority: 3 });
    await queue().add(q, 'p1', { priority: 1 });
    await queue().add(q, 'p2-a', { priority: 2 });
    await queue().add(q, 'p2-b', { priority: 2 });
    await queue().add(q, 'none-2');
    expect((await queue().counts(q)).waiting).toBe(6);
    queue().process<string>(q, { concurrency: 1 }, async (job) => {
      order.push(job.data);
    });
    await waitFor(() => order.length === 6);
    expect(order).toEqual(['p1', 'p2-a', 'p2-b', 'p3', 'none-1', 'none-2']);
  });

  it('persists progress reported by a running handler', async () => {
    const q = freshQueue();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    queue().process(q, {}, async (_job, ctx) => {
      await ctx.progress(40);
      await gate;
      await ctx.progress({ step: 'done' });
    });
    const job = await queue().add(q, {});
    await waitFor(async () => (await queue().get(q, job.id))?.progress === 40);
    expect((await queue().get(q, job.id))!.state).toBe('active');
    expect((await queue().counts(q)).active).toBe(1);
    release();
    const done = await waitForState(queue(), q, job.id, 'completed');
    expect(done!.progress).toEqual({ step: 'done' });
  });

  it('counts, lists newest first with paging, gets and removes jobs', async () => {
    const q = freshQueue();
    const a = await queue().add(q, 'a');
    const b = await queue().add(q, 'b');
    const c = await queue().add(q, 'c');
    expect(await queue().counts(q)).toEqual({ waiting: 3, delayed: 0, active: 0, completed: 0, failed: 0, paused: 0 });
    expect((await queue().list(q, { state: 'waiting' })).map((j) => j.data)).toEqual(['c', 'b', 'a']);
    expect((await queue().list(q, { state: 'waiting', offset: 1, limit: 1 })).map((j) => j.id)).toEqual([b.id]);
    expect(await queue().list(q, { state: 'failed' })).toEqual([]);
    expect((await queue().get(q, a.id))!.data).toBe('a');
    expect(await queue().get(q, 'no-such-job')).toBeNull();
    expect(await queue().remove(q, c.id)).toBe(true);
    expect(await queue().remove(q, c.id)).toBe(false);
    expect(await queue().get(q, c.id)).toBeNull();
    expect((await queue().counts(q)).waiting).toBe(2);
    expect(await queue().queues()).toContain(q);
  });

  it('refuses to remove a running job (conflict, in_progress)', async () => {
    const q = freshQueue();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    queue().process(q, {}, () => gate);
    const job = await queue().add(q, {});
    await waitForState(queue(), q, job.id, 'active');
    await expect(queue().remove(q, job.id)).rejects.toMatchObject({
      code: 'conflict',
      details: { reason: 'in_progress' },
    });
    release();
    await waitForState(queue(), q, job.id, 'completed');
  });

  it('pause stops taking jobs (reported as paused); resume runs them', async () => {
    const q = freshQueue();
    let runs = 0;
    await queue().pause(q);
    queue().process(q, {}, async () => {
      runs += 1;
    });
    const job = await queue().add(q, {});
    await sleep(400);
    expect(runs).toBe(0);
    expect((await queue().counts(q)).paused).toBe(1);
    expect((await queue().get(q, job.id))!.state).toBe('paused');
    await queue().resume(q);
    await waitForState(queue(), q, job.id, 'completed');
    expect(runs).toBe(1);
  });

  it('refuses bad options and bad cron expressions (invalid_request)', async () => {
    const q = freshQueue();
    await expect(queue().add(q, {}, { attempts: 0 })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(queue().add(q, {}, { delay: -1 })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(queue().add(q, {}, { priority: 0 })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(queue().add(q, {}, { jobId: 'has space' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(queue().addRepeatable(q, {}, { cron: 'not a cron', key: 'k' })).rejects.toMatchObject({
      code: 'invalid_request',
    });
    await expect(
      queue().addRepeatable(q, {}, { cron: '0 * * * *', tz: 'Mars/Olympus', key: 'k' }),
    ).rejects.toMatchObject({
      code: 'invalid_request',
    });
  });
});
