import { MongoClient, type Db } from 'mongodb';
import { HearthError, invalidRequest, unavailable } from '../../errors.js';
import { ID_PATTERN } from '../../lib/ids.js';
import { SYSTEM_APP, type AppStore, type DocumentStore } from '../../ports/document-store.js';
import { MongoAppStore } from './app-store.js';
import { Catalog, probeCapabilities, type Capabilities } from './catalog.js';
import { isUnsupported } from './errors.js';

/**
 * The production document store: MongoDB through the official driver.
 *
 * - Layout and isolation: catalog.ts (one MongoDB collection per app collection, `a.<app>.<col>`).
 * - Queries: filter.compile.ts and sort.compile.ts (native operators and indexes, shaped to the
 *   reference semantics), projection natively and again in memory.
 * - Writes: compare-and-set on `version` (app-store.ts); batches (batch.ts) in a transaction when
 *   the deployment has them (replica set / sharded: batch.transaction.ts), else applied with undo
 *   on failure (batch.compensate.ts). Indexes and unique violations: indexes.ts.
 * - Errors: errors.ts. Losing the server gives `unavailable`; the driver keeps monitoring the
 *   server and reconnects by itself, so requests succeed again once it is back.
 *
 * What the server supports is probed once when connecting (see Capabilities); the engine then
 * uses native drops, `$type` lists and transactions when they exist and falls back otherwise
 * (the fallbacks exist for the MongoDB-wire test server, jongodb, and are documented where used).
 */
export interface MongoStoreOptions {
  url: string;
  dbName: string;
  /** How long a request waits for a reachable server before `unavailable` (default 5000 ms). */
  serverSelectionTimeoutMS?: number;
  /** Connect timeout per connection attempt (default 5000 ms). */
  connectTimeoutMS?: number;
  /** A request whose socket stays silent this long fails as `unavailable` (default 60000 ms). */
  socketTimeoutMS?: number;
  /** Use transactions for batches when the deployment supports them (default true). */
  transactions?: boolean;
  /** Compare-and-set attempts per write under contention (default 200). */
  maxWriteAttempts?: number;
  now?: () => Date;
}

const DB_NAME = /^[A-Za-z0-9_-]{1,63}$/;

export async function connectMongoStore(options: MongoStoreOptions): Promise<MongoDocumentStore> {
  if (!DB_NAME.test(options.dbName)) {
    throw invalidRequest('The MongoDB database name must be 1-63 letters, digits, _ or -.', { dbName: options.dbName });
  }
  const client = new MongoClient(options.url, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000,
    connectTimeoutMS: options.connectTimeoutMS ?? 5000,
    socketTimeoutMS: options.socketTimeoutMS ?? 60_000,
    // Plain JS numbers both ways (no Long/Int32 objects in documents).
    promoteValues: true,
    promoteLongs: true,
    ignoreUndefined: true,
  });
  try {
    await client.connect();
    const db = client.db(options.dbName);
    // `hello` exists since MongoDB 4.4.2; older servers answer `isMaster` with the same fields.
    const hello = await db
      .admin()
      .command({ hello: 1 })
      .catch((e: unknown) => (isUnsupported(e) ? db.admin().command({ isMaster: 1 }) : Promise.reject(e)));
    const caps = await probeCapabilities({ db, hello, allowTransactions: options.transactions ?? true });
    const catalog = new Catalog({ db, caps });
    await catalog.init();
    return new MongoDocumentStore({ client, db, catalog, options });
  } catch (e) {
    await client.close().catch(() => {});
    throw e instanceof HearthError ? e : unavailable('MongoDB cannot be reached.', e);
  }
}

export class MongoDocumentStore implements DocumentStore {
  readonly engine = 'mongodb' as const;
  private readonly now: () => string;
  private readonly client: MongoClient;
  private readonly db: Db;
  private readonly catalog: Catalog;
  private readonly options: MongoStoreOptions;

  /** Use connectMongoStore (it connects and probes the server first). */
  constructor(parts: { client: MongoClient; db: Db; catalog: Catalog; options: MongoStoreOptions }) {
    this.client = parts.client;
    this.db = parts.db;
    this.catalog = parts.catalog;
    this.options = parts.options;
    const clock = parts.options.now ?? (() => new Date());
    this.now = () => clock().toISOString();
  }

  /** What the server supports (probed when connecting). */
  get capabilities(): Capabilities {
    return this.catalog.caps;
  }

  forApp(appId: string): AppStore {
    if (appId !== SYSTEM_APP && (typeof appId !== 'string' || !ID_PATTERN.test(appId))) {
      throw invalidRequest('The app id is invalid.');
    }
    return new MongoAppStore({
      appId,
      context: {
        catalog: this.catalog,
        now: this.now,
        maxWriteAttempts: this.options.maxWriteAttempts ?? 200,
        startSession: () => this.client.startSession(),
      },
    });
  }

  async ping(): Promise<void> {
    try {
      await this.db.command({ ping: 1 });
    } catch (e) {
      throw unavailable('MongoDB is not available.', e);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
