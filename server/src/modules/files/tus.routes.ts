import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam } from '../../http/schemas.js';
import { appParams, uploadQuery } from './files.schema.js';
import { callerOf } from './files.routes.js';
import type { ResumableUploads } from './tus.js';

/**
 * The tus 1.0 endpoints (see tus.ts). Their bodies are the protocol's (Upload-* headers, raw
 * `application/offset+octet-stream` chunks); HEAD …/tus/{id} (the protocol's offset query) is
 * served by the GET route's handler, which answers JSON to a GET.
 */
const TAG = 'Files: resumable uploads (tus)';
const security = ['appKey' as const, 'userBearer' as const, 'adminBearer' as const];
const CHUNK = {
  contentType: 'application/offset+octet-stream',
  schema: { type: 'string', format: 'binary' },
} as const;
const uploadParams = z.object({ appId: idParam, uploadId: idParam });
const uploadStatus = z.object({
  id: z.string(),
  name: z.string(),
  length: z.number().int(),
  offset: z.number().int(),
  expiresAt: z.string(),
});

export function tusRoutes(deps: { uploads: ResumableUploads }): RouteSpec[] {
  const { uploads } = deps;
  return [
    defineRoute({
      method: 'post',
      path: '/v1/apps/:appId/files/tus',
      summary:
        'tus creation: headers Tus-Resumable: 1.0.0, Upload-Length (required, checked against maxFileSize and the quota), Upload-Metadata (filename, public); optional first chunk',
      tag: TAG,
      security,
      params: appParams,
      query: uploadQuery,
      rawBody: { ...CHUNK, description: 'Optional (creation-with-upload): the first bytes.' },
      responses: {
        201: { description: 'Created: Location is the upload URL, whose last segment is the future file id' },
        204: { description: 'Created and complete in one request (Hearth-File-Id names the file)' },
      },
      handler: async ({ query, req, res }) => {
        await uploads.create(callerOf(req), req, res, query);
        return {};
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/apps/:appId/files/tus/:uploadId',
      summary:
        'tus: append a chunk at Upload-Offset; the last one stores the file (type sniffed and checked) and answers Hearth-File-Id',
      tag: TAG,
      security,
      params: uploadParams,
      rawBody: { ...CHUNK, description: 'The next bytes of the upload.' },
      responses: { 204: { description: 'Appended: Upload-Offset is the new offset' } },
      handler: async ({ params, req, res }) => {
        await uploads.resume(callerOf(req), params.uploadId, req, res);
        return {};
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/apps/:appId/files/tus/:uploadId',
      summary: "An unfinished upload's offset as JSON (HEAD on this path is tus's offset query: Upload-Offset)",
      tag: TAG,
      security,
      params: uploadParams,
      responses: { 200: { description: 'Where the upload stands', schema: uploadStatus } },
      handler: async ({ params, req, res }) => {
        if (req.method === 'HEAD') {
          await uploads.resume(callerOf(req), params.uploadId, req, res);
          return {};
        }
        return { body: await uploads.status(callerOf(req), params.uploadId) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/apps/:appId/files/tus/:uploadId',
      summary: 'tus termination: abandon an unfinished upload',
      tag: TAG,
      security,
      params: uploadParams,
      responses: { 204: { description: 'Terminated' } },
      handler: async ({ params, req, res }) => {
        await uploads.resume(callerOf(req), params.uploadId, req, res);
        return {};
      },
    }),
  ];
}
