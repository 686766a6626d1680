import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { HearthError, reasonError } from '../../errors.js';
import { requestMeta } from '../../http/request.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { BINARY, listOf, pageQuery } from '../../http/schemas.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { ID_PATTERN } from '../../lib/ids.js';
import { auditMeta, type AuditLog } from '../audit/index.js';
import { sendContent } from './content.js';
import {
  pendingView,
  appParams,
  contentQuery,
  fileChangeBody,
  fileParams,
  fileView,
  signedUrlBody,
  signedUrlView,
  UPLOAD_BODY_SCHEMA,
  uploadQuery,
  usageView,
} from './files.schema.js';
import { ORIGINAL, type FileCaller, type FilesService } from './files.service.js';
import { parseThumbSize, THUMB_FITS, variantName } from './thumbnails.js';
import { filesSettingsPatch, filesSettingsSchema, type FilesSettingsService } from './files.settings.js';

const FILES_TAG = 'Files';
const ADMIN_TAG = 'Admin: files';
const security = ['appKey' as const, 'userBearer' as const, 'adminBearer' as const];

/** The upload route's path, whose multipart body multer reads (the JSON body rules skip it). */
export const UPLOAD_PATH = /^\/v1\/apps\/[^/]+\/files\/?$/;

export function callerOf(req: Request): FileCaller {
  const ctx = req.ctx;
  return {
    appId: ctx.app!.id,
    privileged: ctx.key?.kind === 'secret' || (!ctx.key && Boolean(ctx.admin)),
    userId: ctx.user?.id ?? null,
    scopes: ctx.key?.scopes ?? [],
  };
}

export function fileRoutes(deps: { files: FilesService }): RouteSpec[] {
  const { files } = deps;
  return [
    defineRoute({
      method: 'post',
      path: '/v1/apps/:appId/files',
      summary: 'Upload a file (multipart/form-data, one part named "file"; streamed, type sniffed from the bytes)',
      tag: FILES_TAG,
      security,
      params: appParams,
      query: uploadQuery,
      rawBody: {
        contentType: 'multipart/form-data',
        schema: UPLOAD_BODY_SCHEMA,
        description: "One file part named `file`; at most the app's maxFileSize, of one of its allowedTypes.",
      },
      responses: { 201: { description: 'The stored file', schema: fileView } },
      handler: async ({ query, req, res }) => ({
        status: 201,
        body: await files.upload(callerOf(req), req, res, { public: query.public }),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/apps/:appId/files/:fileId',
      summary: "A file's metadata",
      tag: FILES_TAG,
      security,
      params: fileParams,
      responses: { 200: { description: 'The file', schema: fileView } },
      handler: async ({ params, req }) => ({ body: await files.get(callerOf(req), params.fileId) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/apps/:appId/files/:fileId/content',
      summary:
        "A file's bytes (Range, ETag/If-None-Match; with exp and sig from POST …/url, no key is needed); with thumb=WxH (one of the app's thumbnailSizes) and fit, a WebP thumbnail",
      tag: FILES_TAG,
      security,
      params: fileParams,
      query: contentQuery,
      responses: {
        200: { description: 'The bytes, with the sniffed Content-Type', content: BINARY, etag: true },
        206: { description: 'The requested byte range', content: BINARY, etag: true },
        304: { description: 'Not modified (If-None-Match matched the ETag)' },
        202: {
          description: 'The thumbnail is still being made by a job: ask again after Retry-After seconds',
          schema: pendingView,
        },
        416: { description: 'The range starts past the end (Content-Range: bytes */size)' },
      },
      handler: async ({ params, query, req, res }) => {
        const file = await files.get(callerOf(req), params.fileId);
        const target = await files.content(params.appId, file, query);
        if ('pending' in target) return pendingAnswer(res, target.retryAfter);
        await sendContent(req, res, { files: files.store, ...target, cacheControl: 'private, no-cache' });
        return {};
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/apps/:appId/files/:fileId',
      summary: "Change a file's public flag or name (its owner, a secret key or an admin)",
      tag: FILES_TAG,
      security,
      params: fileParams,
      body: fileChangeBody,
      responses: { 200: { description: 'The changed file', schema: fileView } },
      handler: async ({ params, body, req }) => ({ body: await files.change(callerOf(req), params.fileId, body) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/apps/:appId/files/:fileId',
      summary: 'Delete a file (its owner, a secret key or an admin)',
      tag: FILES_TAG,
      security,
      params: fileParams,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ params, req }) => {
        await files.remove(callerOf(req), params.fileId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/apps/:appId/files/:fileId/url',
      summary: "A signed URL to the file's bytes, usable without headers until it expires",
      tag: FILES_TAG,
      security,
      params: fileParams,
      body: signedUrlBody,
      responses: { 201: { description: 'The URL and when it expires', schema: signedUrlView } },
      handler: async ({ params, body, req }) => ({
        status: 201,
        body: await files.signedUrl(callerOf(req), params.fileId, body.expiresIn, body),
      }),
    }),
  ];
}

/**
 * The signed-URL leg of GET …/content, mounted as a page (before the app's key check): a request
 * with `sig` is answered from the signature alone; one without goes on to the keyed route.
 */
export function signedContentPage(deps: { files: FilesService }): Router {
  const router = express.Router({ mergeParams: true });
  const serve: RequestHandler = async (req, res, next) => {
    const { appId, fileId } = req.params as { appId?: string; fileId?: string };
    const { sig, exp, thumb, fit } = req.query as Record<string, unknown>;
    if (sig === undefined) return next();
    if (!appId || !fileId || !ID_PATTERN.test(appId) || !ID_PATTERN.test(fileId)) {
      return next(new HearthError('not_found', 'No such file.'));
    }
    const variant = signedVariant(thumb, fit);
    if (variant === null) return next(reasonError('forbidden', 'signed_url_invalid', 'This link is not valid.'));
    const file = await deps.files.getSigned({ appId, fileId, exp: String(exp ?? ''), sig: String(sig), variant });
    const request =
      thumb === undefined ? {} : { thumb: String(thumb), fit: (fit ?? 'cover') as (typeof THUMB_FITS)[number] };
    const target = await deps.files.content(appId, file, request);
    if ('pending' in target) {
      const answer = pendingAnswer(res, target.retryAfter);
      res.status(answer.status).json(answer.body);
      return;
    }
    await sendContent(req, res, { files: deps.files.store, ...target, cacheControl: 'private, max-age=60' });
  };
  router.get('/', serve);
  return router;
}

/** 202 while a thumbnail job runs: Retry-After, never cached. */
function pendingAnswer(res: Response, retryAfter: number) {
  res.setHeader('Retry-After', String(retryAfter));
  res.setHeader('Cache-Control', 'no-store');
  return { status: 202 as const, body: { status: 'pending' as const, retryAfter } };
}

/** The variant a signed URL's `thumb`/`fit` name (the HMAC covers it), or null when they are malformed. */
function signedVariant(thumb: unknown, fit: unknown): string | null {
  if (thumb === undefined) return fit === undefined ? ORIGINAL : null;
  const size = typeof thumb === 'string' ? parseThumbSize(thumb) : null;
  const f = fit ?? 'cover';
  if (!size || !THUMB_FITS.includes(f as (typeof THUMB_FITS)[number])) return null;
  return variantName({ ...size, fit: f as (typeof THUMB_FITS)[number] });
}

export function adminFileRoutes(deps: {
  files: FilesService;
  settings: FilesSettingsService;
  requireApp: (appId: string) => Promise<unknown>;
  requireAdmin: RequestHandler;
  audit: AuditLog;
}): RouteSpec[] {
  const { files, settings, requireApp } = deps;
  const admin = { security: ['adminBearer' as const], before: [deps.requireAdmin], tag: ADMIN_TAG };
  return [
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/apps/:appId/files',
      summary: "List an app's files, newest first",
      params: appParams,
      query: pageQuery,
      responses: { 200: { description: 'Files', schema: listOf(fileView) } },
      handler: async ({ params, query }) => {
        await requireApp(params.appId);
        return { body: await files.list(params.appId, query) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/apps/:appId/files/usage',
      summary: "An app's file count and bytes stored, against its quota",
      params: appParams,
      responses: { 200: { description: 'Usage', schema: usageView } },
      handler: async ({ params }) => {
        await requireApp(params.appId);
        const [usage, current] = await Promise.all([files.usage(params.appId), settings.get(params.appId)]);
        return { body: { ...usage, quotaBytes: current.quotaBytes } };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/apps/:appId/files/settings',
      summary: "An app's file settings (size limit, allowed types, quota)",
      params: appParams,
      responses: { 200: { description: 'Settings', schema: filesSettingsSchema } },
      handler: async ({ params }) => {
        await requireApp(params.appId);
        return { body: await settings.get(params.appId) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'patch',
      path: '/v1/admin/apps/:appId/files/settings',
      summary: "Change an app's file settings (named keys replace)",
      params: appParams,
      body: filesSettingsPatch,
      responses: { 200: { description: 'Settings', schema: filesSettingsSchema } },
      handler: async ({ params, body, req }) => {
        await requireApp(params.appId);
        const updated = await settings.update(params.appId, body);
        const meta = requestMeta(req);
        await deps.audit.record({
          adminId: meta.adminId ?? null,
          action: 'files.settings.update',
          target: { type: 'app', id: params.appId },
          details: body as Record<string, JsonValue>,
          ...auditMeta(meta),
        });
        return { body: updated };
      },
    }),
    defineRoute({
      ...admin,
      method: 'delete',
      path: '/v1/admin/apps/:appId/files/:fileId',
      summary: 'Delete a file',
      params: fileParams,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ params, req }) => {
        await requireApp(params.appId);
        const file = await files.find(params.appId, params.fileId);
        if (!file) throw new HearthError('not_found', 'No such file.');
        await files.delete(params.appId, file);
        const meta = requestMeta(req);
        await deps.audit.record({
          adminId: meta.adminId ?? null,
          action: 'file.delete',
          target: { type: 'file', id: file.id },
          details: { appId: params.appId, name: file.name },
          ...auditMeta(meta),
        });
        return { status: 204 };
      },
    }),
  ];
}
