import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { dataDirNeeded, prepareDataDir } from './config/data-dir.js';
import { ConfigError, loadConfig, readDotenv } from './config/load.js';
import { resolveSigningSecret } from './config/secret.js';
import { listenError, StartupError } from './config/startup-error.js';
import { createMailer } from './engines/mail/index.js';
import { closeRedis, connectRedis, redactUrl, type RedisClient } from './engines/redis/index.js';
import { createDocumentStore } from './engines/registry.js';

/**
 * The composition root: read the configuration once, build the engines, build the app, listen,
 * and shut down gracefully. The only module that reads process.env.
 *
 * Relative paths (the `.env` file, DATA_DIR, DASHBOARD_DIR) are taken from the working directory;
 * every script starts the server in the repository root (docs/configuration.md). Output: JSON log
 * lines on stdout, the human banner and startup failures on stderr.
 */
const here = dirname(fileURLToPath(import.meta.url));
const version = (JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as { version: string }).version;

async function main(): Promise<void> {
  const cwd = process.cwd();
  const envFile = resolve(cwd, '.env');
  let config;
  try {
    config = loadConfig({ ...readDotenv(envFile), ...process.env });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\nSee docs/configuration.md for every variable.\n`);
      process.exit(78);
    }
    throw e;
  }
  const logger = pino({ level: config.LOG_LEVEL, base: { service: 'hearth' } });
  const usesDataDir = dataDirNeeded(config);
  const dataDir = usesDataDir ? prepareDataDir(config.DATA_DIR, cwd) : resolve(cwd, config.DATA_DIR);
  const { secret, source } = resolveSigningSecret(config.HEARTH_SECRET, dataDir);
  if (source === 'generated') logger.info({ file: join(dataDir, 'secret.key') }, 'generated a signing secret');

  const store = await createDocumentStore({ dataDir, mongodbUrl: config.MONGODB_URL, mongodbDb: config.MONGODB_DB });
  let redis: RedisClient | null = null;
  if (config.REDIS_URL) {
    const connection = await connectRedis({ url: config.REDIS_URL, logger });
    redis = connection.client;
    if (connection.connected)
      logger.info({ redis: redactUrl(config.REDIS_URL) }, 'connected to redis: rate limits are shared across replicas');
    else
      logger.warn(
        { redis: redactUrl(config.REDIS_URL) },
        'redis not reachable yet: starting anyway (limits per process, /readyz 503) and retrying in the background',
      );
  }
  if (process.env.NODE_ENV === 'production' && !config.SMTP_URL) {
    // The outbox keeps every mail, live reset, magic-link and verification links included, in the store.
    logger.warn(
      'SMTP_URL is not set: mail goes to the outbox engine, which stores every message (with live password-reset, magic-link and verification tokens) in the database, readable by admins and by anyone with database access. Set SMTP_URL in production (docs/configuration.md).',
    );
  }
  const publicUrl = (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '');
  const dashboardDir = config.DASHBOARD_DIR
    ? resolve(cwd, config.DASHBOARD_DIR)
    : join(here, '..', '..', 'dashboard', 'dist');

  const { app, services } = await buildApp({
    store,
    logger,
    secret,
    version,
    publicUrl,
    bodyLimit: config.BODY_LIMIT,
    trustProxy: config.TRUST_PROXY,
    adminAccessTtlSeconds: config.ADMIN_ACCESS_TOKEN_TTL,
    adminRefreshTtlSeconds: config.ADMIN_REFRESH_TOKEN_TTL,
    metrics: config.METRICS_ENABLED,
    dashboardDir,
    mailer: createMailer({ store, smtpUrl: config.SMTP_URL, from: config.MAIL_FROM }),
    mailFrom: config.MAIL_FROM,
    redis,
  });

  if (config.HEARTH_ADMIN_EMAIL && config.HEARTH_ADMIN_PASSWORD) {
    const result = await services.admins.bootstrap(config.HEARTH_ADMIN_EMAIL, config.HEARTH_ADMIN_PASSWORD);
    logger.info({ email: config.HEARTH_ADMIN_EMAIL, result }, 'admin bootstrap');
  }
  const needsSetup = !(await services.admins.hasAdmin());

  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (err) => reject(listenError(err, config) ?? err));
    server.listen(config.PORT, config.HOST, () => resolveListen());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const local = `http://${config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST}:${port}`;
  const envRead = existsSync(envFile);
  logger.info(
    {
      engine: store.engine,
      dataDir: usesDataDir ? dataDir : undefined,
      envFile: envRead ? envFile : undefined,
      version,
      url: local,
    },
    `Hearth ${version} is listening`,
  );
  // For people, on stderr: stdout stays one JSON object per line for log shippers.
  process.stderr.write(
    [
      '',
      `  Hearth ${version} is running (document store: ${store.engine}${redis ? ', redis: shared rate limits' : ''})`,
      `  API          ${local}/v1`,
      `  Dashboard    ${local}/dashboard/${needsSetup ? '   ← open it to create the first admin' : ''}`,
      `  OpenAPI      ${local}/openapi.json`,
      `  Health       ${local}/healthz  ${local}/readyz  ${local}/metrics`,
      ...(usesDataDir ? [`  Data         ${dataDir}`] : []),
      `  Config       ${envRead ? `${envFile} (environment variables win)` : `environment variables (no ${envFile})`}`,
      '',
    ].join('\n') + '\n',
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining HTTP');
    const force = setTimeout(() => {
      logger.warn('shutdown timeout: closing open connections');
      server.closeAllConnections();
    }, config.SHUTDOWN_TIMEOUT_MS);
    force.unref();
    server.close(() => {
      // Mail work started by requests that already got their answer (reset, magic links).
      services.auth.auth
        .settle()
        .catch(() => undefined)
        .then(() => (redis ? closeRedis(redis) : undefined))
        .catch((err: unknown) => logger.error({ err }, 'error closing redis'))
        .then(() => store.close())
        .catch((err: unknown) => logger.error({ err }, 'error closing the document store'))
        .finally(() => {
          logger.info('stopped');
          process.exit(0);
        });
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof StartupError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`Hearth failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
