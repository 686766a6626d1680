import { join } from 'node:path';
import type { DocumentStore } from '../ports/document-store.js';

/**
 * The one place that picks engines. Each engine module is imported lazily, so a deployment only
 * loads the drivers it configured.
 */
export interface EngineSettings {
  dataDir: string;
  mongodbUrl?: string | undefined;
  mongodbDb: string;
}

export async function createDocumentStore(settings: EngineSettings): Promise<DocumentStore> {
  if (settings.mongodbUrl) {
    const { connectMongoStore } = await import('./mongodb/index.js');
    return connectMongoStore({ url: settings.mongodbUrl, dbName: settings.mongodbDb });
  }
  const { openSqliteStore } = await import('./sqlite/index.js');
  return openSqliteStore({ file: join(settings.dataDir, 'hearth.db') });
}
