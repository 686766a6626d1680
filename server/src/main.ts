import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { answerClientErrors, buildApp } from './app.js';
import { dataDirNeeded, prepareDataDir } from './config/data-dir.js';
import { ConfigError, loadConfig, readDotenv } from './config/load.js';
import { resolveSigningSecret } from './config/secret.js';
import { listenError, StartupError } from './config/startup-error.js';
import { MIGRATIONS, MigrationError, runMigrations } from './migrations/index.js';
import { composeEngines } from './engines/compose.js';
import { isClusterWorker, runPrimary } from './http/cluster.js';

/**
 * The entry point: read the configuration once (the only module that reads process.env), build
 * the engines as ports (composeEngines: the one place that picks engines), build the app from
 * them (buildApp), listen, and shut down gracefully.
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
  if (config.MONGODB_URL && source !== 'environment')
    logger.warn(
      'MONGODB_URL is set but HEARTH_SECRET is not: every replica must be given the same HEARTH_SECRET, or tokens from one replica fail on the others',
    );
  if (config.WORKERS > 1 && !config.REDIS_URL && !isClusterWorker())
    logger.warn(
      'WORKERS > 1 without REDIS_URL: realtime events, channels and presence, and rate limits stay inside each worker, so a socket on one worker misses writes made through another. Set REDIS_URL when running several workers (docs/performance.md).',
    );
  if (config.WORKERS > 1 && !isClusterWorker()) {
    // The primary only forks and watches (http/cluster.ts); the secret file exists before any worker reads it.
    runPrimary({ workers: config.WORKERS, logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
    return;
  }

  // Which addresses outbound requests (webhooks, schedules, Web Push endpoints) may reach.
  const outbound = {
    allowPrivate: config.OUTBOUND_ALLOW_PRIVATE,
    allowCidrs: (config.OUTBOUND_ALLOW_CIDRS ?? '')
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean),
  };
  const ports = await composeEngines({
    dataDir,
    mongodbUrl: config.MONGODB_URL,
    mongodbDb: config.MONGODB_DB,
    redisUrl: config.REDIS_URL,
    smtpUrl: config.SMTP_URL,
    mailFrom: config.MAIL_FROM,
    s3: config.S3_BUCKET
      ? {
          bucket: config.S3_BUCKET,
          region: config.S3_REGION,
          endpoint: config.S3_ENDPOINT,
          accessKeyId: config.S3_ACCESS_KEY_ID,
          secretAccessKey: config.S3_SECRET_ACCESS_KEY,
          forcePathStyle: config.S3_FORCE_PATH_STYLE,
        }
      : undefined,
    push: {
      fcmApiUrl: config.PUSH_FCM_URL,
      fcmTokenUrl: config.PUSH_FCM_TOKEN_URL,
      apnsUrl: config.PUSH_APNS_URL,
      ca: config.PUSH_CA_FILE ? readCaFile(resolve(cwd, config.PUSH_CA_FILE)) : undefined,
      outbound, // Web Push endpoints are client-supplied URLs: the webhooks' SSRF policy
    },
    logger,
  });
  // Hearth's own data is brought to this version before anything serves (one replica migrates,
  // the others wait); data from a newer Hearth stops the start.
  const migrated = await runMigrations({ store: ports.store, logger, migrations: MIGRATIONS }).catch(
    async (err: unknown) => {
      await ports.close();
      if (!(err instanceof MigrationError)) throw err;
      const newer = /newer Hearth/.test(err.message);
      throw new StartupError(config.MONGODB_URL ? 'MONGODB_URL' : 'DATA_DIR', err.message, newer ? 78 : 1);
    },
  );
  if (migrated.ran.length > 0) logger.info(migrated, 'data migrated');
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

  const { app, modules, settle, attach } = await buildApp(ports, {
    logger,
    secret,
    version,
    publicUrl,
    bodyLimit: config.BODY_LIMIT,
    trustProxy: config.TRUST_PROXY,
    adminAccessTtlSeconds: config.ADMIN_ACCESS_TOKEN_TTL,
    adminRefreshTtlSeconds: config.ADMIN_REFRESH_TOKEN_TTL,
    metrics: config.METRICS_ENABLED,
    metricsToken: config.METRICS_TOKEN,
    dataRateLimits: { perIpPerMinute: config.DATA_RATE_LIMIT, perAppPerMinute: config.DATA_RATE_LIMIT_APP },
    dashboardDir,
    realtime: {
      sessionCheckMs: config.REALTIME_SESSION_CHECK_MS,
      presenceTimeoutMs: config.PRESENCE_TIMEOUT_MS,
      maxConnectionsPerApp: config.REALTIME_MAX_CONNECTIONS,
    },
    outbound,
    pushPreviousSecrets: config.PUSH_PREVIOUS_SECRETS?.split(',').map((s) => s.trim()),
    webhookDelivery: { keepPerWebhook: config.WEBHOOK_DELIVERIES_KEEP, keepDays: config.WEBHOOK_DELIVERIES_KEEP_DAYS },
    backupMaxUploadBytes: config.BACKUP_MAX_UPLOAD_BYTES,
  });

  if (config.HEARTH_ADMIN_EMAIL && config.HEARTH_ADMIN_PASSWORD) {
    const result = await modules.admin.services.admins.bootstrap(
      config.HEARTH_ADMIN_EMAIL,
      config.HEARTH_ADMIN_PASSWORD,
    );
    logger.info({ email: config.HEARTH_ADMIN_EMAIL, result }, 'admin bootstrap');
  }
  const needsSetup = !(await modules.admin.services.admins.hasAdmin());

  // Slow clients cannot hold connections: headers, the whole request (a trickled body) and idle
  // keep-alive connections each have a deadline, checked every second (docs/deployment.md).
  const server = createServer(
    {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: 1000,
    },
    app,
  );
  server.keepAliveTimeout = config.HTTP_KEEPALIVE_TIMEOUT_MS;
  answerClientErrors(server);
  // Realtime (socket.io) on the same server; stopped first on shutdown (open sockets hold close).
  const detach = attach(server);
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
      engines: ports.engines,
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
      `  Hearth ${version} is running (document store: ${ports.engines.documentStore}, files: ${ports.engines.files}, mail: ${ports.engines.mail}, rate limits: ${ports.engines.limits}, jobs: ${ports.engines.jobs})`,
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
    void detach().catch((err: unknown) => logger.error({ err }, 'error stopping realtime'));
    server.close(() => {
      // Mail work started by requests that already got their answer (reset, magic links).
      settle()
        .catch((err: unknown) => logger.error({ err }, 'error finishing background work'))
        .then(() => ports.close())
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

/** PUSH_CA_FILE's certificates, or a startup error naming the variable (not a stack trace). */
function readCaFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new StartupError('PUSH_CA_FILE', `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

main().catch((err: unknown) => {
  if (err instanceof StartupError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`Hearth failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
