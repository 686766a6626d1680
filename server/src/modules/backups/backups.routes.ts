import type { RequestHandler } from 'express';
import { pipeline } from 'node:stream/promises';
import { invalidRequest } from '../../errors.js';
import { requestMeta } from '../../http/request.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { listOf } from '../../http/schemas.js';
import type { BackupSchedules } from './backup-schedules.js';
import {
  appParams,
  backupListQuery,
  backupParams,
  backupView,
  GZIP,
  restoreBody,
  restoreParams,
  restoreView,
  scheduleBody,
  scheduleView,
  uploadQuery,
} from './backups.schema.js';
import type { BackupsService } from './backups.service.js';

const TAG = 'Admin: backups';
export const UPLOAD_PATH = /^\/v1\/admin\/restores\/?$/;

export function backupRoutes(deps: {
  backups: BackupsService;
  schedules: BackupSchedules;
  requireAdmin: RequestHandler;
}): RouteSpec[] {
  const { backups, schedules } = deps;
  const admin = { security: ['adminBearer' as const], before: [deps.requireAdmin], tag: TAG };
  return [
    defineRoute({
      ...admin,
      method: 'post',
      path: '/v1/admin/apps/:appId/backups',
      summary: 'Start a backup of the app (a job; poll GET /v1/admin/backups/{backupId} for its progress)',
      params: appParams,
      responses: { 202: { description: 'The queued backup', schema: backupView } },
      handler: async ({ params, req }) => ({ status: 202, body: await backups.start(params.appId, requestMeta(req)) }),
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/backups',
      summary: 'Backups, newest first (of one app with appId; kept after the app is deleted)',
      query: backupListQuery,
      responses: { 200: { description: 'Backups', schema: listOf(backupView) } },
      handler: async ({ query }) => ({ body: await backups.list(query) }),
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/backups/:backupId',
      summary: 'One backup, with its progress while it runs',
      params: backupParams,
      responses: { 200: { description: 'The backup', schema: backupView } },
      handler: async ({ params }) => ({ body: await backups.get(params.backupId) }),
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/backups/:backupId/archive',
      summary: "A completed backup's archive (tar.gz, streamed)",
      params: backupParams,
      responses: {
        200: { description: 'The archive', content: GZIP },
        409: { description: 'The backup has not completed' },
      },
      handler: async ({ params, res }) => {
        const { view, body } = await backups.download(params.backupId);
        res.status(200);
        res.setHeader('Content-Type', 'application/gzip');
        if (view.size !== null) res.setHeader('Content-Length', String(view.size));
        res.setHeader('Content-Disposition', `attachment; filename="hearth-${view.appId}-${view.id}.tar.gz"`);
        res.setHeader('Cache-Control', 'no-store');
        await pipeline(body, res);
        return {};
      },
    }),
    defineRoute({
      ...admin,
      method: 'delete',
      path: '/v1/admin/backups/:backupId',
      summary: 'Delete a backup and its archive',
      params: backupParams,
      responses: { 204: { description: 'Deleted' }, 409: { description: 'The backup is running' } },
      handler: async ({ params, req }) => {
        await backups.remove(params.backupId, requestMeta(req));
        return { status: 204 };
      },
    }),
    defineRoute({
      ...admin,
      method: 'post',
      path: '/v1/admin/backups/:backupId/restore',
      summary: 'Restore a stored backup into a new app (a job; poll GET /v1/admin/restores/{restoreId})',
      params: backupParams,
      body: restoreBody,
      responses: { 202: { description: 'The queued restore', schema: restoreView } },
      handler: async ({ params, body, req }) => ({
        status: 202,
        body: await backups.restoreBackup(params.backupId, body.name, requestMeta(req)),
      }),
    }),
    defineRoute({
      ...admin,
      method: 'post',
      path: '/v1/admin/restores',
      summary:
        'Restore an uploaded archive (the body: a backup tar.gz) into a new app; a newer format version or a non-backup is refused at once',
      query: uploadQuery,
      rawBody: {
        contentType: 'application/gzip',
        schema: GZIP.schema,
        description: 'A backup archive as downloaded from GET /v1/admin/backups/{backupId}/archive.',
      },
      responses: { 202: { description: 'The queued restore', schema: restoreView } },
      handler: async ({ query, req }) => {
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (type !== 'application/gzip' && type !== 'application/octet-stream') {
          throw invalidRequest('Send the archive as application/gzip.');
        }
        const length = req.headers['content-length'];
        const declared = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
        return { status: 202, body: await backups.restoreUpload(req, query.name, requestMeta(req), declared) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/restores/:restoreId',
      summary: 'One restore: its progress, then the new app (or why it failed)',
      params: restoreParams,
      responses: { 200: { description: 'The restore', schema: restoreView } },
      handler: async ({ params }) => ({ body: await backups.restore(params.restoreId) }),
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/apps/:appId/backup-schedule',
      summary: "The app's backup schedule",
      params: appParams,
      responses: { 200: { description: 'The schedule', schema: scheduleView } },
      handler: async ({ params }) => ({ body: await schedules.get(params.appId) }),
    }),
    defineRoute({
      ...admin,
      method: 'put',
      path: '/v1/admin/apps/:appId/backup-schedule',
      summary: "Set the app's backup schedule (cron, time zone) and how many scheduled backups to keep",
      params: appParams,
      body: scheduleBody,
      bodyExample: { cron: '0 3 * * *', timezone: 'UTC', keep: 7 },
      responses: { 200: { description: 'The schedule', schema: scheduleView } },
      handler: async ({ params, body, req }) => ({ body: await schedules.put(params.appId, body, requestMeta(req)) }),
    }),
    defineRoute({
      ...admin,
      method: 'delete',
      path: '/v1/admin/apps/:appId/backup-schedule',
      summary: "Stop the app's scheduled backups (its backups are kept)",
      params: appParams,
      responses: { 204: { description: 'Removed' } },
      handler: async ({ params, req }) => {
        await schedules.remove(params.appId, requestMeta(req));
        return { status: 204 };
      },
    }),
  ];
}
