import type { Migration } from './runner.js';

/**
 * Hearth's own data migrations, in order. Add one at the end with the next version; never edit
 * or reorder a released one. Each runs once per deployment (runner.ts), before the server serves.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'baseline',
    // The data layout of the first release with migrations: nothing to change. Recording it
    // lets a later release tell "never migrated" from "migrated to 1".
    up: async () => {},
  },
];

export { runMigrations, latestVersion, MigrationError, type Migration, type MigrationResult } from './runner.js';
