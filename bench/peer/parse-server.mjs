/**
 * Parse Server as the benchmark runs it: one process, its own express app (ParseServer.startApp)
 * on 127.0.0.1, PostgreSQL as the database, logs at `error` into the run's folder. Configured by
 * the environment the runner passes (PARSE_DIR: the folder Parse Server was installed into).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

const env = process.env;
const requireFromParse = createRequire(join(env.PARSE_DIR, 'package.json'));
const { ParseServer } = requireFromParse('parse-server');

await ParseServer.startApp({
  appId: env.PARSE_APP_ID,
  masterKey: env.PARSE_MASTER_KEY,
  restAPIKey: env.PARSE_REST_KEY,
  databaseURI: env.PARSE_DATABASE_URI,
  port: Number(env.PARSE_PORT),
  host: '127.0.0.1',
  mountPath: '/parse',
  serverURL: `http://127.0.0.1:${env.PARSE_PORT}/parse`,
  masterKeyIps: ['127.0.0.1', '::1'],
  logLevel: 'error',
  logsFolder: env.PARSE_LOGS_DIR,
  allowClientClassCreation: false,
});
console.log('listening');
