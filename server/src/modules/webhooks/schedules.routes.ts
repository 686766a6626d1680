import type { Request, RequestHandler } from 'express';
import { HearthError } from '../../errors.js';
import { requestMeta } from '../../http/request.js';
import { defineRoute, fieldErrors, type RouteSpec } from '../../http/route.js';
import { listOf } from '../../http/schemas.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { auditMeta, type AuditLog } from '../audit/index.js';
import type { JobTypes } from '../jobs/index.js';
import type { ScheduleFireJob } from './schedule-fire.job.js';
import {
  runsQuery,
  runView,
  scheduleCreate,
  scheduleParams,
  schedulePatch,
  scheduleView,
  type ScheduleTarget,
} from './schedules.schema.js';
import type { SchedulesService } from './schedules.service.js';
import { appParams } from './webhooks.schema.js';
import type { WebhooksService } from './webhooks.service.js';

const TAG = 'Admin: schedules';

export function scheduleRoutes(deps: {
  schedules: SchedulesService;
  fire: ScheduleFireJob;
  webhooks: WebhooksService;
  jobTypes?: Pick<JobTypes, 'get' | 'names'> | undefined;
  requireApp: (appId: string) => Promise<unknown>;
  requireAdmin: RequestHandler;
  audit: AuditLog;
}): RouteSpec[] {
  const { schedules, requireApp } = deps;
  const admin = { security: ['adminBearer' as const], before: [deps.requireAdmin], tag: TAG };
  const base = '/v1/admin/apps/:appId/schedules';
  const record = (req: Request, action: string, id: string, details: Record<string, JsonValue>) => {
    const meta = requestMeta(req);
    return deps.audit.record({
      adminId: meta.adminId ?? null,
      action,
      target: { type: 'schedule', id },
      details,
      ...auditMeta(meta),
    });
  };
  const invalid = (field: string, message: string) =>
    new HearthError('validation_failed', 'One or more fields are invalid.', { fields: { [field]: message } });
  /** A schedule's webhook must be one of this app's; a job, of a type apps may queue, with a valid payload. */
  const requireTarget = async (appId: string, target: ScheduleTarget) => {
    if (target.type === 'webhook') {
      if (!(await deps.webhooks.find(appId, target.webhookId))) {
        throw invalid('target.webhookId', "is not one of this app's webhooks");
      }
      return;
    }
    const type = deps.jobTypes?.get(target.job);
    if (!type?.api) {
      throw invalid('target.job', `must be one of: ${deps.jobTypes?.names({ api: true }).join(', ') || '(none)'}`);
    }
    const parsed = type.payload.safeParse(target.payload);
    if (!parsed.success) {
      const [path, message] = Object.entries(fieldErrors(parsed.error))[0]!;
      throw invalid(path === '(body)' ? 'target.payload' : `target.payload.${path}`, message);
    }
  };
  return [
    defineRoute({
      ...admin,
      method: 'get',
      path: base,
      summary: "An app's schedules, oldest first (at most 1000)",
      params: appParams,
      responses: { 200: { description: 'Schedules', schema: listOf(scheduleView) } },
      handler: async ({ params }) => {
        await requireApp(params.appId);
        return { body: { items: (await schedules.list(params.appId)).map((s) => schedules.view(s)), next: null } };
      },
    }),
    defineRoute({
      ...admin,
      method: 'post',
      path: base,
      summary: "Create a schedule: a cron in a time zone that calls one of the app's webhooks",
      params: appParams,
      body: scheduleCreate,
      responses: { 201: { description: 'The schedule', schema: scheduleView } },
      handler: async ({ params, body, req }) => {
        await requireApp(params.appId);
        await requireTarget(params.appId, body.target);
        const s = await schedules.create(params.appId, body);
        await record(req, 'schedule.create', s.id, { appId: params.appId, cron: s.cron, timezone: s.timezone });
        return { status: 201, body: schedules.view(s) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: `${base}/:scheduleId`,
      summary: 'A schedule, with its next tick',
      params: scheduleParams,
      responses: { 200: { description: 'The schedule', schema: scheduleView } },
      handler: async ({ params }) => {
        await requireApp(params.appId);
        return { body: schedules.view(await schedules.require(params.appId, params.scheduleId)) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'patch',
      path: `${base}/:scheduleId`,
      summary: 'Change a schedule (enabled: false stops its ticks)',
      params: scheduleParams,
      body: schedulePatch,
      responses: { 200: { description: 'The schedule', schema: scheduleView } },
      handler: async ({ params, body, req }) => {
        await requireApp(params.appId);
        await schedules.require(params.appId, params.scheduleId);
        if (body.target) await requireTarget(params.appId, body.target);
        const s = await schedules.update(params.appId, params.scheduleId, body);
        await record(req, 'schedule.update', s.id, { appId: params.appId, ...(body as Record<string, JsonValue>) });
        return { body: schedules.view(s) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'delete',
      path: `${base}/:scheduleId`,
      summary: 'Delete a schedule (its run history stays until the app is deleted)',
      params: scheduleParams,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ params, req }) => {
        await requireApp(params.appId);
        const s = await schedules.remove(params.appId, params.scheduleId);
        await record(req, 'schedule.delete', s.id, { appId: params.appId });
        return { status: 204 };
      },
    }),
    defineRoute({
      ...admin,
      method: 'post',
      path: `${base}/:scheduleId/run`,
      summary: 'Run a schedule now (its webhook gets a schedule.fire delivery with trigger "manual")',
      params: scheduleParams,
      responses: { 202: { description: 'The run', schema: runView } },
      handler: async ({ params, req }) => {
        await requireApp(params.appId);
        const s = await schedules.require(params.appId, params.scheduleId);
        const run = (await deps.fire.fire(params.appId, s, 'manual'))!;
        await record(req, 'schedule.run', s.id, { appId: params.appId, runId: run.id });
        return { status: 202, body: run };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: `${base}/:scheduleId/runs`,
      summary: "A schedule's runs, newest first",
      params: scheduleParams,
      query: runsQuery,
      responses: { 200: { description: 'Runs', schema: listOf(runView) } },
      handler: async ({ params, query }) => {
        await requireApp(params.appId);
        await schedules.require(params.appId, params.scheduleId);
        return { body: await schedules.runs(params.appId, params.scheduleId, query) };
      },
    }),
  ];
}
