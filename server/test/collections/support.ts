import type { Test } from 'supertest';
import { expect } from 'vitest';
import type { DocumentEvent } from '../../src/modules/collections/events.js';
import { startHarness, withAdminAndApp, type EngineName, type Harness } from '../support/harness.js';

/**
 * What the collections suites share: a harness on an engine with an admin and an app, request
 * helpers per credential, and the document events recorded as they are emitted.
 */
export type Headers = Record<string, string>;

export interface CollectionsWorld {
  h: Harness;
  appId: string;
  publicKey: string;
  secretKey: string;
  adminToken: string;
  admin: Headers;
  sk: Headers;
  pk: Headers;
  events: DocumentEvent[];
  docs(collection: string, id?: string): string;
  createCollection(body: Record<string, unknown>): Promise<Record<string, unknown>>;
  patchCollection(name: string, body: Record<string, unknown>): Test;
  close(): Promise<void>;
}

export async function openWorld(engine: EngineName): Promise<CollectionsWorld> {
  const h = await startHarness(engine);
  const ctx = await withAdminAndApp(h);
  const admin = { Authorization: `Bearer ${ctx.adminToken}` };
  const events: DocumentEvent[] = [];
  h.modules.collections.events.on('*', (e) => events.push(e));
  return {
    h,
    appId: ctx.appId,
    publicKey: ctx.publicKey,
    secretKey: ctx.secretKey,
    adminToken: ctx.adminToken,
    admin,
    sk: { 'X-Hearth-Key': ctx.secretKey },
    pk: { 'X-Hearth-Key': ctx.publicKey },
    events,
    docs: (collection, id) => `/v1/apps/${ctx.appId}/collections/${collection}/documents${id ? `/${id}` : ''}`,
    createCollection: async (body) => {
      const res = await h.http.post(`/v1/admin/apps/${ctx.appId}/collections`).set(admin).send(body);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body as Record<string, unknown>;
    },
    patchCollection: (name, body) =>
      h.http.patch(`/v1/admin/apps/${ctx.appId}/collections/${name}`).set(admin).send(body),
    close: () => h.close(),
  };
}

/** Every rule open: for suites about the document API itself, not about rules. */
export const OPEN_RULES = { list: 'public', get: 'public', create: 'public', update: 'public', delete: 'public' };

/** The `todos` collection the document suites share: one field of each common kind, one hidden. */
export const TODOS = {
  name: 'todos',
  fields: [
    { name: 'title', type: 'string', required: true, maxLength: 100, searchable: true },
    { name: 'done', type: 'boolean', default: false },
    { name: 'priority', type: 'integer', min: 0, max: 10 },
    { name: 'tags', type: 'array', of: 'string' },
    { name: 'due', type: 'date' },
    { name: 'meta', type: 'json' },
    { name: 'secret', type: 'string', hidden: true },
  ],
  rules: OPEN_RULES,
};

export type CreatedDocument = Record<string, unknown> & { id: string; version: number };

/** Creates a document (secret key unless `headers` say otherwise) and asserts it was created. */
export async function createDocument(
  w: CollectionsWorld,
  collection: string,
  body: Record<string, unknown>,
  headers: Headers = w.sk,
): Promise<CreatedDocument> {
  const res = await w.h.http.post(w.docs(collection)).set(headers).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as CreatedDocument;
}

/** A second app with its own keys (for cross-app checks). */
export async function otherApp(w: CollectionsWorld): Promise<{ appId: string; publicKey: string; secretKey: string }> {
  const res = await w.h.http.post('/v1/admin/apps').set(w.admin).send({ name: 'Other' }).expect(201);
  return { appId: res.body.id, publicKey: res.body.keys.public, secretKey: res.body.keys.secret };
}

/** Asserts an error response's status and code; returns its details. */
export function expectError(
  res: { status: number; body: unknown },
  status: number,
  code: string,
): Record<string, unknown> {
  const body = res.body as { error?: { code: string; details?: Record<string, unknown> } };
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(body.error?.code, JSON.stringify(res.body)).toBe(code);
  return body.error?.details ?? {};
}
