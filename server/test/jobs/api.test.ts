import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocument, openWorld, otherApp, TODOS, type CollectionsWorld } from '../collections/support.js';
import { ENGINES } from '../support/harness.js';

/**
 * The jobs API: an app queues an export with its secret key and reads the job back (another
 * app's job is 404); the admin API lists queues and jobs, retries and removes; bad input on
 * every route.
 */
describe.each(ENGINES)('jobs API [%s]', (engine) => {
  let w: CollectionsWorld;
  beforeAll(async () => {
    w = await openWorld(engine);
    await w.createCollection(TODOS);
    await createDocument(w, 'todos', { title: 'milk', priority: 2, tags: ['shop'] });
    await createDocument(w, 'todos', { title: '=HYPERLINK("x")', priority: 1, secret: 'kept' });
  });
  afterAll(() => w?.close());
  const jobs = () => `/v1/apps/${w.appId}/jobs`;
  const until = async (id: string, state: string) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await w.h.http.get(`${jobs()}/${id}`).set(w.sk).expect(200);
      if (res.body.state === state || Date.now() > deadline) return res.body as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const download = async (fileId: string) =>
    (await w.h.http.get(`/v1/apps/${w.appId}/files/${fileId}/content`).set(w.sk).buffer(true).expect(200)).text ?? '';

  it('exports a collection as JSON lines into a file; the job shows state, attempts, progress and result', async () => {
    const res = await w.h.http
      .post(jobs())
      .set(w.sk)
      .send({ type: 'exports', payload: { collection: 'todos' } })
      .expect(202);
    expect(res.body).toMatchObject({ type: 'exports', attempts: 3, error: null });
    const done = await until(res.body.id as string, 'completed');
    expect(done).toMatchObject({ state: 'completed', attemptsMade: 1, progress: { rows: 2 }, error: null });
    const result = done.result as { fileId: string; rows: number; size: number };
    expect(result.rows).toBe(2);
    const lines = (await download(result.fileId))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.title).sort()).toEqual(['=HYPERLINK("x")', 'milk']);
    expect(lines[0]).toHaveProperty('createdAt');
    expect(typeof done.finishedAt).toBe('string');
  });

  it('exports CSV with one column per field, quoted cells and formulas defused', async () => {
    const res = await w.h.http
      .post(jobs())
      .set(w.sk)
      .send({ type: 'exports', payload: { collection: 'todos', format: 'csv' } })
      .expect(202);
    const done = await until(res.body.id as string, 'completed');
    const csv = await download((done.result as { fileId: string }).fileId);
    const [header, ...rows] = csv.trim().split('\r\n');
    expect(header!.split(',')).toEqual(expect.arrayContaining(['id', 'createdAt', 'title', 'priority', 'tags']));
    expect(rows).toHaveLength(2);
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
    expect(csv).toContain('"[""shop""]"');
  });

  it('an export run twice (at-least-once) replaces one file', async () => {
    const type = w.h.modules.jobs.services.types.get('exports')!;
    const ctx = {
      appId: w.appId,
      jobId: 'twice-1',
      attempt: 1,
      lastAttempt: false,
      progress: async () => {},
      logger: (await import('pino')).pino({ level: 'silent' }),
    };
    const a = (await type.run({ collection: 'todos', format: 'jsonl' }, ctx)) as { fileId: string };
    const b = (await type.run({ collection: 'todos', format: 'jsonl' }, ctx)) as { fileId: string };
    expect(b.fileId).toBe(a.fileId);
    const listed = await w.h.http.get(`/v1/admin/apps/${w.appId}/files`).set(w.admin).query({ limit: 100 }).expect(200);
    expect((listed.body.items as Array<{ id: string }>).filter((f) => f.id === a.fileId)).toHaveLength(1);
  });

  it('de-duplicates by key: the same key returns the same job', async () => {
    const body = { type: 'exports', payload: { collection: 'todos' }, key: 'nightly-1' };
    const a = await w.h.http.post(jobs()).set(w.sk).send(body).expect(202);
    const b = await w.h.http.post(jobs()).set(w.sk).send(body).expect(202);
    expect(b.body.id).toBe(a.body.id);
  });

  it("another app cannot see this app's job (404), nor an unknown one", async () => {
    const res = await w.h.http
      .post(jobs())
      .set(w.sk)
      .send({ type: 'exports', payload: { collection: 'todos' } })
      .expect(202);
    const other = await otherApp(w);
    const theirs = await w.h.http
      .get(`/v1/apps/${other.appId}/jobs/${res.body.id}`)
      .set({ 'X-Hearth-Key': other.secretKey });
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('not_found');
    expect((await w.h.http.get(`${jobs()}/nope`).set(w.sk)).status).toBe(404);
  });

  it('refuses public keys, no key, unknown types, bad payloads and bad options', async () => {
    const ok = { type: 'exports', payload: { collection: 'todos' } };
    const pk = await w.h.http.post(jobs()).set(w.pk).send(ok);
    expect(pk.status).toBe(403);
    expect(pk.body.error.details.reason).toBe('secret_key_required');
    expect((await w.h.http.get(`${jobs()}/x`).set(w.pk)).status).toBe(403);
    expect((await w.h.http.post(jobs()).send(ok)).status).toBe(401);
    const bad = async (body: unknown, field: string) => {
      const res = await w.h.http
        .post(jobs())
        .set(w.sk)
        .send(body as object);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(Object.keys(res.body.error.details.fields)).toContain(field);
    };
    await bad({ type: 'mail', payload: {} }, 'type'); // internal types are not for apps
    await bad({ type: 'nope' }, 'type');
    await bad({ payload: {} }, 'type');
    await bad({ type: 'exports', payload: { collection: '_users' } }, 'payload.collection');
    await bad({ type: 'exports', payload: { collection: 'todos', format: 'xml' } }, 'payload.format');
    await bad({ ...ok, delay: -1 }, 'delay');
    await bad({ ...ok, delay: 1e12 }, 'delay');
    await bad({ ...ok, key: 'has space' }, 'key');
    await bad({ ...ok, priority: 0 }, 'priority');
    await bad({ ...ok, attempts: 100 }, 'attempts');
    await bad({ ...ok, payload: 'x' }, 'payload');
    await bad({ ...ok, extra: true }, '(body)');
    const badId = await w.h.http.get(`${jobs()}/${'x'.repeat(300)}`).set(w.sk);
    expect(badId.status).toBe(400);
  });

  it('admin: queues with counts, jobs by state with paging, one job, retry and remove (audited)', async () => {
    const admin = (path: string) => `/v1/admin/jobs/queues${path}`;
    const queues = await w.h.http.get(admin('')).set(w.admin).expect(200);
    const exportsQueue = (queues.body.items as Array<{ name: string; counts: Record<string, number> }>).find(
      (q) => q.name === 'exports',
    );
    expect(exportsQueue!.counts.completed).toBeGreaterThanOrEqual(2);
    const page = await w.h.http
      .get(admin('/exports/jobs'))
      .query({ state: 'completed', limit: 1 })
      .set(w.admin)
      .expect(200);
    expect(page.body.items).toHaveLength(1);
    expect(page.body.next).toBe(1);
    const job = page.body.items[0] as { id: string; appId: string; data: unknown };
    expect(job.appId).toBe(w.appId);
    expect(job.data).toMatchObject({ collection: 'todos' });
    await w.h.http
      .get(admin(`/exports/jobs/${job.id}`))
      .set(w.admin)
      .expect(200);
    const retry = await w.h.http.post(admin(`/exports/jobs/${job.id}/retry`)).set(w.admin);
    expect(retry.status).toBe(409); // only failed jobs
    await w.h.http
      .delete(admin(`/exports/jobs/${job.id}`))
      .set(w.admin)
      .expect(204);
    expect((await w.h.http.delete(admin(`/exports/jobs/${job.id}`)).set(w.admin)).status).toBe(404);
    expect((await w.h.http.get(admin(`/exports/jobs/${job.id}`)).set(w.admin)).status).toBe(404);
    const audit = await w.h.http.get('/v1/admin/audit').query({ action: 'job.remove' }).set(w.admin).expect(200);
    expect(audit.body.items[0]).toMatchObject({ action: 'job.remove', target: { type: 'job', id: job.id } });
    // bad input and no admin
    expect((await w.h.http.get(admin('/nosuchqueue/jobs')).query({ state: 'failed' }).set(w.admin)).status).toBe(404);
    expect((await w.h.http.get(admin('/exports/jobs')).query({ state: 'done' }).set(w.admin)).status).toBe(400);
    expect((await w.h.http.get(admin('/exports/jobs')).set(w.admin)).status).toBe(400);
    expect((await w.h.http.get(admin('/Bad Queue/jobs')).query({ state: 'failed' }).set(w.admin)).status).toBe(400);
    expect((await w.h.http.get(admin(''))).status).toBe(401);
    expect((await w.h.http.post(admin(`/exports/jobs/x/retry`))).status).toBe(401);
  });

  it('metrics: jobs by queue and state, run durations', async () => {
    const text = (await w.h.http.get('/metrics').expect(200)).text;
    expect(text).toMatch(/^hearth_jobs\{queue="exports",state="completed"\} [1-9]/m);
    expect(text).toMatch(/^hearth_job_duration_seconds_count\{queue="exports",outcome="completed"\} [1-9]/m);
    expect(text).toContain('hearth_job_failures_total');
  });

  it('lists the routes in /openapi.json with their schemas', async () => {
    const doc = (await w.h.http.get('/openapi.json').expect(200)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/apps/{appId}/jobs',
        '/v1/apps/{appId}/jobs/{jobId}',
        '/v1/admin/jobs/queues',
        '/v1/admin/jobs/queues/{queue}/jobs',
        '/v1/admin/jobs/queues/{queue}/jobs/{jobId}/retry',
      ]),
    );
    expect(doc.paths['/v1/apps/{appId}/jobs'].post.requestBody).toBeDefined();
  });
});
