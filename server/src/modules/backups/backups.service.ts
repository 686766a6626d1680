import type { Readable } from 'node:stream';
import { HearthError, isError, isHearthError, notFound } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { newId } from '../../lib/ids.js';
import type { StoredDocument } from '../../ports/document-store.js';
import { readAllArray } from '../../ports/read-all.js';
import type { RequestMeta } from '../../principals.js';
import { auditMeta } from '../audit/index.js';
import { writeArchive, type BackupProgress } from './archive-write.js';
import type { BackupDeps } from './backups.deps.js';
import type { BackupView, RestoreView } from './backups.schema.js';
import { FORMAT_VERSION } from './format.js';
import { peekManifest, restoreArchive } from './restore.js';
import { archiveTooLarge, limitUpload } from './upload-limit.js';

export const BACKUPS = 'backups';
export const RESTORES = 'backup_restores';
export const BACKUP_JOB = 'backups.create';
export const RESTORE_JOB = 'backups.restore';

/** Where archives live in the file store (outside every app's `<appId>/` prefix). */
export const archiveKey = (backupId: string) => `_backups/${backupId}.tar.gz`;
export const uploadKey = (restoreId: string) => `_backups/uploads/${restoreId}.tar.gz`;

const safeMessage = (e: unknown, fallback: string) =>
  isHearthError(e) && e.code !== 'internal' ? e.message : fallback;

/**
 * Backups (records in the system store's `backups`, archives in the file store) and restores
 * (`backup_restores`). Both run as jobs (backup-create.job.ts, backup-restore.job.ts); this
 * service makes the records, queues the jobs, and is what the jobs call to do the work.
 */
export class BackupsService {
  /** Jobs this process queued for a request and that have not ended yet (see `settle`). */
  private readonly pending = new Map<string, string>();

  constructor(private readonly d: BackupDeps) {}

  /**
   * Waits (at most `maxMs`) until the backups and restores this process queued have ended: the
   * work a 202 answer started finishes before shutdown, and a test sees its results at once.
   */
  async settle(maxMs = 60_000): Promise<void> {
    const until = Date.now() + maxMs;
    while (this.pending.size > 0 && Date.now() < until) {
      for (const [id, queue] of [...this.pending]) {
        const job = await this.d.jobs.get(queue, id).catch(() => null);
        if (!job || job.state === 'completed' || job.state === 'failed') this.pending.delete(id);
      }
      if (this.pending.size > 0) await new Promise((r) => setTimeout(r, 25));
    }
  }

  // ---- backups ---------------------------------------------------------------------------------

  async start(appId: string, meta: RequestMeta): Promise<BackupView> {
    const app = await this.d.apps.services.apps.get(appId);
    const id = newId();
    await this.d.system.create(BACKUPS, {
      id,
      data: this.newRecord({ appId, appName: app.name, trigger: 'manual', createdBy: meta.adminId ?? null }),
    });
    await this.d.types.enqueue(appId, BACKUP_JOB, { backupId: id, trigger: 'manual' }, { jobId: id });
    this.pending.set(id, BACKUP_JOB);
    await this.record(meta, 'backup.create', { type: 'app', id: appId }, { backupId: id });
    return this.get(id);
  }

  private newRecord(input: { appId: string; appName: string; trigger: string; createdBy: string | null }) {
    return { ...input, status: 'queued', formatVersion: FORMAT_VERSION, finishedAt: null, size: null, counts: null };
  }

  /** The job's work: writes the archive, then the record; safe to run twice (same key, same record). */
  async run(input: {
    appId: string;
    backupId: string;
    trigger: 'manual' | 'scheduled';
    progress(p: BackupProgress): void;
  }): Promise<{ backupId: string; size: number }> {
    const { appId, backupId } = input;
    const app = await this.d.apps.services.apps.get(appId);
    if (!(await this.d.system.get(BACKUPS, backupId))) {
      await this.d.system
        .create(BACKUPS, {
          id: backupId,
          data: this.newRecord({ appId, appName: app.name, trigger: input.trigger, createdBy: null }),
        })
        .catch((e: unknown) => {
          if (!isError(e, 'conflict')) throw e;
        });
    }
    await this.d.system.update(BACKUPS, backupId, { set: { status: 'running', error: null } });
    const schemas = await readAllArray(this.d.system, this.d.schemasCollection, {
      filter: where.eq('appId', appId),
      max: Number.POSITIVE_INFINITY,
    });
    const { counts, stored } = await writeArchive(
      {
        store: this.d.store,
        files: this.d.files,
        appId,
        app: {
          name: app.name,
          settings: app.settings as unknown as Record<string, unknown>,
          channelRules: await this.d.realtime.services.channels.get(appId),
        },
        schemas,
        hearthVersion: this.d.hearthVersion,
        now: this.d.now,
        progress: input.progress,
      },
      (body) => this.d.files.write(archiveKey(backupId), body, { contentType: 'application/gzip' }),
    );
    await this.d.system.update(BACKUPS, backupId, {
      set: {
        status: 'completed',
        size: stored.size,
        counts: counts as unknown as JsonValue,
        finishedAt: this.d.now().toISOString(),
      },
    });
    return { backupId, size: stored.size };
  }

  async failed(backupId: string, e: unknown): Promise<void> {
    await this.d.system
      .update(BACKUPS, backupId, {
        set: {
          status: 'failed',
          error: safeMessage(e, 'The backup failed.'),
          finishedAt: this.d.now().toISOString(),
        },
      })
      .catch(() => undefined);
  }

  async list(query: { appId?: string | undefined; limit: number; after?: string | undefined }) {
    const page = await this.d.system.find(BACKUPS, {
      ...(query.appId ? { filter: where.eq('appId', query.appId) } : {}),
      sort: [{ path: 'createdAt', dir: -1 }],
      limit: query.limit,
      ...(query.after ? { after: query.after } : {}),
    });
    return { items: await Promise.all(page.items.map((d) => this.view(d))), next: page.next };
  }

  async get(backupId: string): Promise<BackupView> {
    return this.view(await this.require(backupId));
  }

  private async require(backupId: string): Promise<StoredDocument> {
    const doc = await this.d.system.get(BACKUPS, backupId);
    if (!doc) throw notFound('No such backup.');
    return doc;
  }

  private async view(doc: StoredDocument): Promise<BackupView> {
    const running = doc.status === 'queued' || doc.status === 'running';
    const job = running ? await this.d.jobs.get(BACKUP_JOB, doc.id).catch(() => null) : null;
    return {
      id: doc.id,
      appId: String(doc.appId),
      appName: String(doc.appName ?? ''),
      trigger: doc.trigger === 'scheduled' ? 'scheduled' : 'manual',
      status: doc.status as BackupView['status'],
      formatVersion: Number(doc.formatVersion ?? FORMAT_VERSION),
      createdAt: doc.createdAt,
      finishedAt: (doc.finishedAt as string | null) ?? null,
      size: (doc.size as number | null) ?? null,
      counts: (doc.counts as BackupView['counts']) ?? null,
      progress: progressOf(job?.progress),
      error: (doc.error as string | null) ?? null,
    };
  }

  /** The archive's bytes (a completed backup only). */
  async download(backupId: string): Promise<{ view: BackupView; body: Readable }> {
    const view = await this.get(backupId);
    if (view.status !== 'completed') throw new HearthError('conflict', 'The backup has not completed.');
    return { view, body: await this.d.files.read(archiveKey(backupId)) };
  }

  async remove(backupId: string, meta: RequestMeta | null): Promise<void> {
    const doc = await this.require(backupId);
    if (doc.status === 'running') throw new HearthError('conflict', 'The backup is running; delete it once it ends.');
    await this.d.files.delete(archiveKey(backupId));
    await this.d.system.delete(BACKUPS, backupId).catch((e: unknown) => {
      if (!isError(e, 'not_found')) throw e;
    });
    if (meta) await this.record(meta, 'backup.delete', { type: 'app', id: String(doc.appId) }, { backupId });
  }

  /** Keeps the newest `keep` completed scheduled backups of the app, deletes the rest. */
  async prune(appId: string, keep: number): Promise<number> {
    const scheduled = await readAllArray(this.d.system, BACKUPS, {
      filter: where.and(where.eq('appId', appId), where.eq('trigger', 'scheduled'), where.eq('status', 'completed')),
      sort: [{ path: 'createdAt', dir: -1 }],
      max: 10_000,
    });
    const old = scheduled.slice(keep);
    for (const doc of old) await this.remove(doc.id, null);
    return old.length;
  }

  // ---- restores --------------------------------------------------------------------------------

  async restoreBackup(backupId: string, name: string | undefined, meta: RequestMeta): Promise<RestoreView> {
    const backup = await this.get(backupId);
    if (backup.status !== 'completed') throw new HearthError('conflict', 'The backup has not completed.');
    await peekManifest(await this.d.files.read(archiveKey(backupId)));
    return this.queueRestore({ backupId, key: archiveKey(backupId), name, meta, id: newId() });
  }

  /** Stores the uploaded archive, checks its manifest (refused at once when not restorable), queues it. */
  /** `declaredBytes`: the request's Content-Length, when it sent one (refused at once when over the limit). */
  async restoreUpload(
    body: Readable,
    name: string | undefined,
    meta: RequestMeta,
    declaredBytes?: number,
  ): Promise<RestoreView> {
    const max = this.d.maxUploadBytes;
    if (declaredBytes !== undefined && declaredBytes > max) throw archiveTooLarge(max);
    const id = newId();
    const key = uploadKey(id);
    const limited = limitUpload(body, max);
    try {
      await this.d.files.write(key, limited.stream, { contentType: 'application/gzip' });
    } catch (e) {
      // Nothing of a refused upload stays behind.
      await this.d.files.delete(key).catch(() => undefined);
      throw limited.exceeded() ? archiveTooLarge(max) : e;
    }
    try {
      await peekManifest(await this.d.files.read(key));
    } catch (e) {
      await this.d.files.delete(key);
      throw e;
    }
    return this.queueRestore({ backupId: null, key, name, meta, id });
  }

  private async queueRestore(input: {
    id: string;
    backupId: string | null;
    key: string;
    name: string | undefined;
    meta: RequestMeta;
  }): Promise<RestoreView> {
    const { id, meta } = input;
    await this.d.system.create(RESTORES, {
      id,
      data: {
        status: 'queued',
        backupId: input.backupId,
        key: input.key,
        name: input.name ?? null,
        appId: null,
        createdBy: meta.adminId ?? null,
        finishedAt: null,
        result: null,
        error: null,
      },
    });
    await this.d.types.enqueue('_system', RESTORE_JOB, { restoreId: id }, { jobId: id });
    this.pending.set(id, RESTORE_JOB);
    await this.record(meta, 'backup.restore', { type: 'restore', id }, { backupId: input.backupId ?? 'upload' });
    return this.restore(id);
  }

  async restore(restoreId: string): Promise<RestoreView> {
    const doc = await this.d.system.get(RESTORES, restoreId);
    if (!doc) throw notFound('No such restore.');
    const running = doc.status === 'queued' || doc.status === 'running';
    const job = running ? await this.d.jobs.get(RESTORE_JOB, restoreId).catch(() => null) : null;
    return {
      id: doc.id,
      status: doc.status as RestoreView['status'],
      backupId: (doc.backupId as string | null) ?? null,
      appId: (doc.appId as string | null) ?? null,
      name: (doc.name as string | null) ?? null,
      createdAt: doc.createdAt,
      finishedAt: (doc.finishedAt as string | null) ?? null,
      progress: progressOf(job?.progress),
      result: (doc.result as RestoreView['result']) ?? null,
      error: (doc.error as RestoreView['error']) ?? null,
    };
  }

  /** The restore job's work. A second run (the worker died) first removes the app the first one made. */
  async runRestore(restoreId: string, progress: (p: unknown) => void): Promise<{ appId: string }> {
    const doc = await this.d.system.get(RESTORES, restoreId);
    if (!doc || doc.status === 'completed' || doc.status === 'failed') return { appId: String(doc?.appId ?? '') };
    const adminId = (doc.createdBy as string | null) ?? null;
    if (typeof doc.appId === 'string') {
      await this.d.apps.services.apps.remove(doc.appId, { adminId }).catch(() => undefined);
    }
    await this.d.system.update(RESTORES, restoreId, { set: { status: 'running', appId: null } });
    const key = String(doc.key);
    try {
      const result = await restoreArchive({
        deps: this.d,
        source: await this.d.files.read(key),
        name: (doc.name as string | null) ?? undefined,
        adminId,
        onApp: async (appId) => {
          await this.d.system.update(RESTORES, restoreId, { set: { appId } });
        },
        progress,
      });
      await this.d.system.update(RESTORES, restoreId, {
        set: {
          status: 'completed',
          appId: result.appId,
          finishedAt: this.d.now().toISOString(),
          result: {
            publicKey: result.publicKey,
            counts: result.counts,
            unreadableSecrets: result.unreadableSecrets,
            sourceAppId: result.manifest.source.appId,
            formatVersion: result.manifest.formatVersion,
          } as unknown as JsonValue,
        },
      });
      return { appId: result.appId };
    } catch (e) {
      const reason = isHearthError(e) ? ((e.details?.reason as string | undefined) ?? null) : null;
      await this.d.system.update(RESTORES, restoreId, {
        set: {
          status: 'failed',
          appId: null,
          finishedAt: this.d.now().toISOString(),
          error: { message: safeMessage(e, 'The restore failed.'), reason },
        },
      });
      throw e;
    } finally {
      if (!doc.backupId) await this.d.files.delete(key).catch(() => undefined);
    }
  }

  private async record(
    meta: RequestMeta,
    action: string,
    target: { type: string; id: string },
    details: Record<string, JsonValue>,
  ) {
    await this.d.audit.record({ adminId: meta.adminId ?? null, action, target, details, ...auditMeta(meta) });
  }
}

function progressOf(value: unknown): BackupView['progress'] {
  if (!value || typeof value !== 'object') return null;
  const p = value as { phase?: unknown; done?: unknown; total?: unknown };
  if (typeof p.phase !== 'string' || typeof p.done !== 'number') return null;
  return { phase: p.phase, done: p.done, ...(typeof p.total === 'number' ? { total: p.total } : {}) };
}
