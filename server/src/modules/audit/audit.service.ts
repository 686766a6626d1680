import type { JsonValue } from '../../lib/filter/types.js';
import type { RequestMeta } from '../../principals.js';
import type { AppStore, StoredDocument } from '../../ports/document-store.js';

/** Every admin action leaves an entry: who, what, on what, from where, under which request. */
export interface AuditEntryInput {
  adminId: string | null;
  action: string;
  target?: { type: string; id: string } | null;
  details?: Record<string, JsonValue>;
  requestId?: string;
  ip?: string | null;
}

export interface AuditEntry {
  id: string;
  at: string;
  adminId: string | null;
  action: string;
  target: { type: string; id: string } | null;
  details: Record<string, JsonValue>;
  requestId: string | null;
  ip: string | null;
}

const COLLECTION = 'audit';

export class AuditLog {
  private readonly system: AppStore;

  constructor(options: { system: AppStore }) {
    this.system = options.system;
  }

  async init(): Promise<void> {
    await this.system.ensureIndex(COLLECTION, {
      kind: 'regular',
      name: 'by_time',
      fields: [{ path: 'createdAt', dir: -1 }],
    });
  }

  async record(entry: AuditEntryInput): Promise<void> {
    await this.system.create(COLLECTION, {
      data: {
        adminId: entry.adminId,
        action: entry.action,
        target: entry.target ?? null,
        details: entry.details ?? {},
        requestId: entry.requestId ?? null,
        ip: entry.ip ?? null,
      },
    });
  }

  async list(options: { limit: number; after?: string; action?: string; adminId?: string }): Promise<{
    items: AuditEntry[];
    next: string | null;
  }> {
    const conds = [
      ...(options.action
        ? [{ op: 'field' as const, path: 'action', conds: [{ op: 'eq' as const, value: options.action }] }]
        : []),
      ...(options.adminId
        ? [{ op: 'field' as const, path: 'adminId', conds: [{ op: 'eq' as const, value: options.adminId }] }]
        : []),
    ];
    const page = await this.system.find(COLLECTION, {
      filter: conds.length ? { op: 'and', children: conds } : { op: 'all' },
      sort: [{ path: 'createdAt', dir: -1 }],
      limit: options.limit,
      ...(options.after ? { after: options.after } : {}),
    });
    return { items: page.items.map(toEntry), next: page.next };
  }
}

function toEntry(doc: StoredDocument): AuditEntry {
  return {
    id: doc.id,
    at: doc.createdAt,
    adminId: (doc.adminId as string | null) ?? null,
    action: doc.action as string,
    target: (doc.target as AuditEntry['target']) ?? null,
    details: (doc.details as Record<string, JsonValue>) ?? {},
    requestId: (doc.requestId as string | null) ?? null,
    ip: (doc.ip as string | null) ?? null,
  };
}

/** The request fields an audit entry keeps (request id, client IP). */
export function auditMeta(meta: RequestMeta): { requestId?: string; ip?: string | null } {
  return { ...(meta.requestId ? { requestId: meta.requestId } : {}), ip: meta.ip ?? null };
}
