import { expect, it } from 'vitest';
import { forEachQueueTarget, freshQueue, sleep, waitFor, waitForState } from './targets.js';

/** Replicas and shutdown: cron once per tick across two instances, close waiting for a running job. */
forEachQueueTarget('job queue: replicas and close', ({ target }) => {
  it('a cron repeatable fires once per tick with two instances sharing the backend; removed, it stops', async () => {
    const q = freshQueue();
    const a = target().instance();
    const b = target().instance();
    const runs: string[] = [];
    const record = async (job: { id: string; data: unknown }) => {
      expect(job.data).toEqual({ report: 'daily' });
      runs.push(job.id);
    };
    a.process(q, { concurrency: 2 }, record);
    b.process(q, { concurrency: 2 }, record);
    // both replicas declare it at startup, as a module's init would
    await a.addRepeatable(q, { report: 'daily' }, { cron: '* * * * * *', tz: 'Europe/Paris', key: 'every-second' });
    await b.addRepeatable(q, { report: 'daily' }, { cron: '* * * * * *', tz: 'Europe/Paris', key: 'every-second' });
    await waitFor(() => runs.length >= 3, 10_000);
    await a.removeRepeatable(q, 'every-second');
    await sleep(1500);
    const after = runs.length;
    await sleep(1500);
    expect(runs.length).toBe(after); // no tick after removal
    expect(new Set(runs).size).toBe(runs.length); // no tick ran twice
    await Promise.all([a.close(), b.close()]);
  }, 20_000);

  it('a repeatable replaced by key keeps one schedule', async () => {
    const q = freshQueue();
    const a = target().instance();
    const runs: unknown[] = [];
    a.process(q, {}, async (job) => {
      runs.push(job.data);
    });
    await a.addRepeatable(q, 'old', { cron: '0 0 1 1 *', key: 'k' });
    await a.addRepeatable(q, 'new', { cron: '* * * * * *', key: 'k' });
    await waitFor(() => runs.length >= 2, 10_000);
    await a.removeRepeatable(q, 'k');
    expect(new Set(runs)).toEqual(new Set(['new']));
    await a.close();
  }, 20_000);

  it('close() stops taking jobs and waits for the running handler to finish', async () => {
    const q = freshQueue();
    const worker = target().instance();
    const observer = target().instance();
    let started = false;
    let finished = false;
    worker.process(q, {}, async () => {
      started = true;
      await sleep(600);
      finished = true;
      return 'finished';
    });
    const job = await observer.add(q, {});
    const second = await observer.add(q, {});
    await waitFor(() => started);
    await worker.close();
    expect(finished).toBe(true);
    expect((await observer.get(q, job.id))!.state).toBe('completed');
    expect((await observer.get(q, second.id))!.state).toBe('waiting'); // not taken while closing
    await expect(worker.add(q, {})).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('a job added by one instance runs on another (replicas share the queue)', async () => {
    const q = freshQueue();
    const producer = target().instance();
    const consumer = target().instance();
    consumer.process<{ x: number }>(q, {}, async (job) => job.data.x + 1);
    const job = await producer.add(q, { x: 1 });
    const done = await waitForState(producer, q, job.id, 'completed');
    expect(done!.result).toBe(2);
    await Promise.all([producer.close(), consumer.close()]);
  });
});
