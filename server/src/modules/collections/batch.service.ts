import { z } from 'zod';
import { HearthError, invalidRequest, isHearthError, reasonError } from '../../errors.js';
import { isPlainObject } from '../../lib/filter/compare.js';
import { USER_COLLECTION_PATTERN } from '../../lib/ids.js';
import type { Caller } from './access.js';
import { isLostRace, type PreparedWrite } from './documents.commit.js';
import type { DocumentsWriter } from './documents.write.js';
import { referencedTargets } from './relations.js';
import { toClientDocument } from './view.js';

/**
 * `POST /v1/apps/{app}/batch`: up to 100 create/update/replace/delete ops, all-or-nothing. Each op
 * is prepared exactly like its single-document route (validation, rules, versions, relation
 * effects), then everything commits in one store batch: if any op fails, nothing is written and
 * the error names the op's `index`. Events are emitted only after the batch committed.
 */
export const MAX_BATCH = 100;

const documentBody = z
  .custom<Record<string, unknown>>((v) => isPlainObject(v), 'must be a JSON object')
  .meta({ type: 'object', description: 'Document fields (update: PATCH body with operators)' });
const collection = z.string().regex(USER_COLLECTION_PATTERN, 'must be a collection name');
const id = z.string().min(1).max(64);
const version = z.number().int().min(1).optional().describe('Like If-Match: the version the document must have');

export const batchBody = z.strictObject({
  ops: z
    .array(
      z.discriminatedUnion('op', [
        z.strictObject({ op: z.literal('create'), collection, data: documentBody }),
        z.strictObject({ op: z.literal('update'), collection, id, data: documentBody, ifMatch: version }),
        z.strictObject({ op: z.literal('replace'), collection, id, data: documentBody, ifMatch: version }),
        z.strictObject({ op: z.literal('delete'), collection, id, ifMatch: version }),
      ]),
    )
    .min(1)
    .max(MAX_BATCH),
});
export type BatchBody = z.output<typeof batchBody>;

export const batchResult = z.object({
  results: z.array(z.object({ status: z.number().int(), body: z.record(z.string(), z.unknown()).optional() })),
});

const withIndex = (e: unknown, index: number): unknown =>
  isHearthError(e)
    ? new HearthError(
        e.code,
        `ops.${index}: ${e.message}`,
        { ...(e.details ?? {}), index },
        e.headers ? { headers: e.headers } : undefined,
      )
    : e;

/**
 * Ops are prepared one by one against the state before the batch, so the relation checks of one
 * op cannot see another op's delete. A batch that writes a reference to a document it also
 * deletes (itself or through a cascade) would leave a dangling reference: refused as a conflict.
 */
function assertNoReferenceToDeleted(prepared: PreparedWrite[]): void {
  const deletedBy = new Map<string, number>();
  prepared.forEach((p, i) => {
    for (const op of p.ops) if (op.op === 'delete') deletedBy.set(`${op.collection}/${op.id}`, i);
  });
  if (deletedBy.size === 0) return;
  prepared.forEach((p, i) => {
    const main = p.ops[0];
    if (!main || main.op === 'delete') return;
    for (const target of referencedTargets(p.col, main)) {
      const j = deletedBy.get(`${target.to}/${target.id}`);
      if (j === undefined) continue;
      throw reasonError('conflict', 'restricted', `ops.${i} refers to a ${target.to} document that ops.${j} deletes.`, {
        index: i,
        deletedBy: j,
      });
    }
  });
}

export class BatchService {
  private readonly writer: DocumentsWriter;

  constructor(deps: { writer: DocumentsWriter }) {
    this.writer = deps.writer;
  }

  async run(
    caller: Caller,
    body: BatchBody,
  ): Promise<{ results: Array<{ status: number; body?: Record<string, unknown> }> }> {
    const seen = new Map<string, number>();
    body.ops.forEach((op, i) => {
      if (op.op === 'create') return;
      const key = `${op.collection}/${op.id}`;
      if (seen.has(key)) {
        throw invalidRequest(`ops.${i} changes the same document as ops.${seen.get(key)}.`, { index: i });
      }
      seen.set(key, i);
    });
    // A batch that pins a version (ifMatch) answers a concurrent change; others are prepared again.
    const pinned = body.ops.some((op) => op.op !== 'create' && op.ifMatch !== undefined);
    for (let attempt = 1; ; attempt++) {
      const prepared: PreparedWrite[] = [];
      for (const [i, op] of body.ops.entries()) {
        try {
          prepared.push(await this.prepare(caller, op));
        } catch (e) {
          throw withIndex(e, i);
        }
      }
      assertNoReferenceToDeleted(prepared);
      try {
        const docs = await this.writer.commit(caller, prepared);
        return {
          results: prepared.map((p, i) => {
            if (p.kind === 'delete') return { status: 204 };
            const view = toClientDocument(p.col, docs[i]!, { privileged: caller.privileged });
            return { status: p.kind === 'create' ? 201 : 200, body: view };
          }),
        };
      } catch (e) {
        if (!isLostRace(e) || pinned || attempt >= 3) throw e;
      }
    }
  }

  private prepare(caller: Caller, op: BatchBody['ops'][number]): Promise<PreparedWrite> {
    switch (op.op) {
      case 'create':
        return this.writer.prepareCreate(caller, op.collection, op.data);
      case 'update':
        return this.writer.preparePatch(caller, op.collection, op.id, op.data, { ifMatch: op.ifMatch });
      case 'replace':
        return this.writer.prepareReplace(caller, op.collection, op.id, op.data, { ifMatch: op.ifMatch });
      case 'delete':
        return this.writer.prepareDelete(caller, op.collection, op.id, { ifMatch: op.ifMatch });
    }
  }
}
