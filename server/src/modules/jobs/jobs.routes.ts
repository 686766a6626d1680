import type { RequestHandler } from 'express';
import { errors, HearthError, notFound } from '../../errors.js';
import { requestMeta } from '../../http/request.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import type { JobQueue } from '../../ports/job-queue.js';
import { auditMeta, type AuditLog } from '../audit/index.js';
import type { JobEnvelope, JobTypes } from './job-types.js';
import {
  adminJobView,
  appJobParams,
  appJobView,
  appParams,
  enqueueBody,
  jobListQuery,
  queueJobParams,
  queueParams,
  queueView,
  toAdminJobView,
  toAppJobView,
} from './jobs.schema.js';
import { z } from 'zod';

const JOBS_TAG = 'Jobs';
const ADMIN_TAG = 'Admin: jobs';

/** The secret key (or an admin token) on /v1/apps/{app}; a scoped key needs jobs:write or jobs:*. */
const requireSecretKey: RequestHandler = (req, _res, next) => {
  const key = req.ctx.key;
  if (!key && req.ctx.admin) return next();
  if (key?.kind !== 'secret' || req.ctx.user) return next(errors.secretKeyRequired());
  if (key.scopes.length && !key.scopes.includes('jobs:write') && !key.scopes.includes('jobs:*'))
    return next(errors.scopeMissing('jobs:write'));
  next();
};

/** An app's job, looked up in the queues of the types apps may enqueue: another app's is 404. */
async function findAppJob(jobs: JobQueue, types: JobTypes, appId: string, jobId: string) {
  for (const name of types.names({ api: true })) {
    const job = await jobs.get(name, jobId);
    if (job && (job.data as Partial<JobEnvelope> | null)?.appId === appId) return job;
  }
  throw notFound('No such job.');
}

export function jobRoutes(deps: { jobs: JobQueue; types: JobTypes }): RouteSpec[] {
  const { jobs, types } = deps;
  const security = ['appKey' as const, 'adminBearer' as const];
  return [
    defineRoute({
      method: 'post',
      path: '/v1/apps/:appId/jobs',
      summary: 'Queue a background job of a type apps may enqueue (secret key)',
      tag: JOBS_TAG,
      security,
      before: [requireSecretKey],
      params: appParams,
      body: enqueueBody,
      responses: { 202: { description: 'Queued (or the job already queued under this key)', schema: appJobView } },
      handler: async ({ params, body }) => {
        const type = types.get(body.type);
        if (!type?.api) {
          throw new HearthError('validation_failed', 'One or more fields are invalid.', {
            fields: { type: `must be one of: ${types.names({ api: true }).join(', ') || '(none)'}` },
          });
        }
        const job = await types.enqueue(params.appId, body.type, body.payload, {
          ...(body.delay !== undefined ? { delay: body.delay } : {}),
          ...(body.priority !== undefined ? { priority: body.priority } : {}),
          ...(body.attempts !== undefined ? { attempts: body.attempts } : {}),
          ...(body.key ? { jobId: `${params.appId}:${body.key}` } : {}),
        });
        return { status: 202, body: toAppJobView(job) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/apps/:appId/jobs/:jobId',
      summary: "A job's state, attempts, progress, result and last error",
      tag: JOBS_TAG,
      security,
      before: [requireSecretKey],
      params: appJobParams,
      responses: { 200: { description: 'The job', schema: appJobView } },
      handler: async ({ params }) => ({
        body: toAppJobView(await findAppJob(jobs, types, params.appId, params.jobId)),
      }),
    }),
  ];
}

export function adminJobRoutes(deps: { jobs: JobQueue; requireAdmin: RequestHandler; audit: AuditLog }): RouteSpec[] {
  const { jobs } = deps;
  const admin = { security: ['adminBearer' as const], before: [deps.requireAdmin], tag: ADMIN_TAG };
  const requireQueue = async (queue: string) => {
    if (!(await jobs.queues()).includes(queue)) throw notFound('No such queue.');
  };
  const record = async (req: Parameters<typeof requestMeta>[0], action: string, queue: string, jobId: string) => {
    const meta = requestMeta(req);
    await deps.audit.record({
      adminId: meta.adminId ?? null,
      action,
      target: { type: 'job', id: jobId },
      details: { queue },
      ...auditMeta(meta),
    });
  };
  return [
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/jobs/queues',
      summary: 'Every job queue with its counts by state',
      responses: { 200: { description: 'Queues', schema: z.object({ items: z.array(queueView) }) } },
      handler: async () => {
        const names = await jobs.queues();
        return {
          body: { items: await Promise.all(names.map(async (name) => ({ name, counts: await jobs.counts(name) }))) },
        };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/jobs/queues/:queue/jobs',
      summary: "A queue's jobs in one state, newest first (offset paging)",
      params: queueParams,
      query: jobListQuery,
      responses: {
        200: {
          description: 'Jobs',
          schema: z.object({ items: z.array(adminJobView), next: z.number().int().nullable() }),
        },
      },
      handler: async ({ params, query }) => {
        await requireQueue(params.queue);
        const items = await jobs.list(params.queue, {
          state: query.state,
          offset: query.offset,
          limit: query.limit + 1,
        });
        const page = items.slice(0, query.limit).map(toAdminJobView);
        return { body: { items: page, next: items.length > query.limit ? query.offset + query.limit : null } };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/jobs/queues/:queue/jobs/:jobId',
      summary: 'One job, with its payload',
      params: queueJobParams,
      responses: { 200: { description: 'The job', schema: adminJobView } },
      handler: async ({ params }) => {
        const job = await jobs.get(params.queue, params.jobId);
        if (!job) throw notFound('No such job.');
        return { body: toAdminJobView(job) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'post',
      path: '/v1/admin/jobs/queues/:queue/jobs/:jobId/retry',
      summary: 'Put a failed job back to waiting with fresh attempts',
      params: queueJobParams,
      responses: { 200: { description: 'The job, queued again', schema: adminJobView } },
      handler: async ({ params, req }) => {
        const job = await jobs.get(params.queue, params.jobId);
        if (!job) throw notFound('No such job.');
        if (!(await jobs.retry(params.queue, params.jobId))) {
          throw new HearthError('conflict', 'Only a failed job can be retried.', { reason: 'precondition' });
        }
        await record(req, 'job.retry', params.queue, params.jobId);
        return { body: toAdminJobView((await jobs.get(params.queue, params.jobId)) ?? job) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'delete',
      path: '/v1/admin/jobs/queues/:queue/jobs/:jobId',
      summary: 'Remove a job that is not running',
      params: queueJobParams,
      responses: { 204: { description: 'Removed' } },
      handler: async ({ params, req }) => {
        if (!(await jobs.remove(params.queue, params.jobId))) throw notFound('No such job.');
        await record(req, 'job.remove', params.queue, params.jobId);
        return { status: 204 };
      },
    }),
  ];
}
