import type { Request } from 'express';
import { z } from 'zod';
import { invalidRequest } from '../../errors.js';
import { isPlainObject } from '../../lib/filter/compare.js';
import type { StoredDocument } from '../../ports/document-store.js';
import type { RequestContext } from '../../principals.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam, listOf } from '../../http/schemas.js';
import type { Caller } from './access.js';
import { aggregateBody, type AggregateService } from './aggregate.js';
import { batchBody, batchResult, type BatchService } from './batch.service.js';
import type { PreparedWrite } from './documents.commit.js';
import { getQuery, listQuery, type DocumentsReader } from './documents.read.js';
import type { DocumentsWriter } from './documents.write.js';
import { parseIdempotencyKey, type IdempotencyStore, type StoredResponse } from './idempotency.js';
import type { RuleUser } from './rules.compile.js';
import { etagOf, parseIfMatch, toClientDocument } from './view.js';

/** The document API under /v1/apps/{appId}: HTTP only; the work is in the reader/writer services. */
const TAG = 'Documents';
const security = ['appKey' as const, 'userBearer' as const, 'adminBearer' as const];

const collectionParams = z.object({ appId: idParam, collection: z.string().max(64) });
const documentParams = collectionParams.extend({ id: z.string().max(128) });
const documentBody = z
  .custom<Record<string, unknown>>((v) => isPlainObject(v), 'must be a JSON object')
  .meta({ type: 'object', description: 'The document fields' });
const patchBody = z
  .custom<Record<string, unknown>>((v) => isPlainObject(v), 'must be a JSON object')
  .meta({ type: 'object', description: 'Fields to merge, plus $inc, $push, $addToSet, $pull, $unset' });
export const documentView = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    owner: z.string().nullable(),
    version: z.number().int(),
  })
  .loose();

export interface DocumentRouteDeps {
  reader: DocumentsReader;
  writer: DocumentsWriter;
  batch: BatchService;
  aggregate: AggregateService;
  idempotency: IdempotencyStore;
}

/**
 * The caller of a request, as the collection services see it: the only place the module reads
 * the request context. `user` is set by the auth module when it is mounted.
 */
function callerFrom(req: Request): Caller {
  const ctx = req.ctx as RequestContext & { user?: RuleUser | null };
  const user = ctx.user
    ? { id: ctx.user.id, roles: [...(ctx.user.roles ?? [])], anonymous: Boolean(ctx.user.anonymous) }
    : null;
  const privileged = ctx.key?.kind === 'secret' || (!ctx.key && Boolean(ctx.admin));
  const principal = user ? `user:${user.id}` : ctx.key ? `key:${ctx.key.id}` : `admin:${ctx.admin?.id ?? 'unknown'}`;
  return {
    appId: ctx.app!.id,
    privileged,
    user,
    scopes: ctx.key?.scopes ?? [],
    principal,
    requestId: ctx.requestId,
  };
}

/** A written document as the caller may see it, with its version as the ETag. */
function documentResponse(
  caller: Caller,
  written: { doc: StoredDocument; prepared: PreparedWrite },
  status: number,
  headers: Record<string, string> = {},
): StoredResponse {
  return {
    status,
    body: toClientDocument(written.prepared.col, written.doc, { privileged: caller.privileged }),
    headers: { ETag: etagOf(written.doc), ...headers },
  };
}

function ifMatchOf(req: Request): number | undefined {
  const v = parseIfMatch(req.get('if-match'));
  if (v === 'invalid') throw invalidRequest('If-Match must be a document version, e.g. "3".', { header: 'If-Match' });
  return v;
}

export function documentRoutes(deps: DocumentRouteDeps): RouteSpec[] {
  const { reader, writer } = deps;

  /** Runs a POST/PATCH once per Idempotency-Key (see idempotency.ts). */
  const once = (req: Request, caller: Caller, work: () => Promise<StoredResponse>): Promise<StoredResponse> => {
    const key = parseIdempotencyKey(req.get('idempotency-key'));
    if (key === undefined) return work();
    const request = `${req.method} ${req.originalUrl.split('?')[0]}\n${req.get('if-match') ?? ''}\n${JSON.stringify(req.body ?? null)}`;
    return deps.idempotency.run({ appId: caller.appId, principal: caller.principal, key, request }, work);
  };

  const base = '/v1/apps/:appId/collections/:collection';
  return [
    defineRoute({
      method: 'get',
      path: `${base}/documents`,
      summary: 'List documents (filter, sort, cursor or offset paging, fields, expand, count)',
      tag: TAG,
      security,
      params: collectionParams,
      query: listQuery,
      responses: { 200: { description: 'A page of documents', schema: listOf(documentView) } },
      handler: async ({ req, params, query }) => ({
        json: await reader.listJson(callerFrom(req), params.collection, query),
      }),
    }),
    defineRoute({
      method: 'post',
      path: `${base}/documents`,
      summary: 'Create a document (Idempotency-Key supported)',
      tag: TAG,
      security,
      params: collectionParams,
      body: documentBody,
      bodyExample: { title: 'Buy milk', done: false },
      headers: { idempotencyKey: true },
      responses: { 201: { description: 'The new document', schema: documentView, etag: true } },
      handler: async ({ req, params, body }) => {
        const caller = callerFrom(req);
        return once(req, caller, async () => {
          const written = await writer.run(caller, () => writer.prepareCreate(caller, params.collection, body));
          return documentResponse(caller, written, 201, {
            Location: `/v1/apps/${caller.appId}/collections/${params.collection}/documents/${written.doc.id}`,
          });
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/documents/:id`,
      summary: 'Get a document (fields, expand); ETag is its version',
      tag: TAG,
      security,
      params: documentParams,
      query: getQuery,
      responses: { 200: { description: 'The document', schema: documentView, etag: true } },
      handler: async ({ req, params, query }) => {
        const { doc, version } = await reader.get(callerFrom(req), params.collection, params.id, query);
        return { body: doc, headers: { ETag: `"${version}"` } };
      },
    }),
    defineRoute({
      method: 'patch',
      path: `${base}/documents/:id`,
      summary:
        'Update a document: merge fields and apply $inc/$push/$addToSet/$pull/$unset (If-Match, Idempotency-Key)',
      tag: TAG,
      security,
      params: documentParams,
      body: patchBody,
      bodyExample: { done: true, $inc: { views: 1 }, $push: { tags: 'home' } },
      headers: { ifMatch: true, idempotencyKey: true },
      responses: { 200: { description: 'The updated document', schema: documentView, etag: true } },
      handler: async ({ req, params, body }) => {
        const caller = callerFrom(req);
        const ifMatch = ifMatchOf(req);
        return once(req, caller, async () => {
          const written = await writer.run(caller, () =>
            writer.preparePatch(caller, params.collection, params.id, body, { ifMatch }),
          );
          return documentResponse(caller, written, 200);
        });
      },
    }),
    defineRoute({
      method: 'put',
      path: `${base}/documents/:id`,
      summary: 'Replace all fields of a document (If-Match)',
      tag: TAG,
      security,
      params: documentParams,
      body: documentBody,
      headers: { ifMatch: true },
      responses: { 200: { description: 'The updated document', schema: documentView, etag: true } },
      handler: async ({ req, params, body }) => {
        const caller = callerFrom(req);
        const ifMatch = ifMatchOf(req);
        const written = await writer.run(caller, () =>
          writer.prepareReplace(caller, params.collection, params.id, body, { ifMatch }),
        );
        return documentResponse(caller, written, 200);
      },
    }),
    defineRoute({
      method: 'delete',
      path: `${base}/documents/:id`,
      summary: 'Delete a document (If-Match); relations apply their onDelete',
      tag: TAG,
      security,
      params: documentParams,
      headers: { ifMatch: true },
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ req, params }) => {
        const caller = callerFrom(req);
        const ifMatch = ifMatchOf(req);
        await writer.run(caller, () => writer.prepareDelete(caller, params.collection, params.id, { ifMatch }));
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/aggregate`,
      summary: 'Aggregate ($match, $group, $sort, $limit) over the documents the caller may list',
      tag: TAG,
      security,
      params: collectionParams,
      body: aggregateBody,
      responses: {
        200: { description: 'Result rows', schema: z.object({ items: z.array(z.record(z.string(), z.unknown())) }) },
      },
      handler: async ({ req, params, body }) => ({
        body: await deps.aggregate.run(callerFrom(req), params.collection, body),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/apps/:appId/batch',
      summary: 'Up to 100 create/update/replace/delete ops, all-or-nothing (Idempotency-Key supported)',
      tag: TAG,
      security,
      params: z.object({ appId: idParam }),
      body: batchBody,
      headers: { idempotencyKey: true },
      responses: { 200: { description: 'One result per op', schema: batchResult } },
      handler: async ({ req, body }) => {
        const caller = callerFrom(req);
        return once(req, caller, async () => ({ status: 200, body: await deps.batch.run(caller, body) }));
      },
    }),
  ];
}
