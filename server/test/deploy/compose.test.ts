import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../../src/config/schema.js';
import { loadConfig } from '../../src/config/load.js';

/**
 * The Docker deployment as written: every compose file passes `docker-compose config` (Debian's
 * docker-compose, a required system package of the test command), `.env.example` names only real
 * settings, and the server starts with exactly the environment compose gives a replica, pointed
 * at the local test servers instead of the compose services (jongodb for mongo, redis-server,
 * s3rver for MinIO). No Docker engine runs on our machines, so images are not built here.
 */
const root = join(import.meta.dirname, '..', '..', '..');
const dockerDir = join(root, 'docker');
const main = join(root, 'server', 'dist', 'main.js');
const SECRET = 'compose-test-secret-0123456789-abcdefghij';

/** docker/ copied to a temp folder with a filled-in .env (never written into the repository). */
function composeProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-compose-'));
  cpSync(dockerDir, join(dir, 'docker'), { recursive: true });
  const env = readFileSync(join(dockerDir, '.env.example'), 'utf8').replace(
    /^HEARTH_SECRET=.*$/m,
    `HEARTH_SECRET=${SECRET}`,
  );
  writeFileSync(join(dir, 'docker', '.env'), env);
  return dir;
}

function composeConfig(dir: string, file: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('docker-compose', ['-f', join(dir, 'docker', file), 'config'], { encoding: 'utf8' });
  if (r.error) throw new Error(`docker-compose does not run (apt-get install docker-compose): ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** KEY=value lines, commented-out `# KEY=value` examples included. */
function envExampleEntries(): Array<{ key: string; value: string; commented: boolean }> {
  return readFileSync(join(dockerDir, '.env.example'), 'utf8')
    .split('\n')
    .map((line) => /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ key: m[2]!, value: m[3]!, commented: m[1] !== undefined }));
}

const projects: string[] = [];
afterAll(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

describe('docker/.env.example', () => {
  it('names only settings Hearth reads, and the filled-in example is a valid configuration', () => {
    const entries = envExampleEntries();
    expect(entries.length).toBeGreaterThan(5);
    const unknown = entries.filter((e) => !(e.key in CONFIG_VARIABLES)).map((e) => e.key);
    expect(unknown).toEqual([]);
    const env = Object.fromEntries(entries.filter((e) => !e.commented).map((e) => [e.key, e.value]));
    expect(() => loadConfig({ ...env, HEARTH_SECRET: SECRET })).not.toThrow();
  });

  it('leaves HEARTH_SECRET empty, and compose refuses to start replicas without one', () => {
    const secret = envExampleEntries().find((e) => e.key === 'HEARTH_SECRET');
    expect(secret).toMatchObject({ value: '', commented: false });
    const dir = composeProject();
    projects.push(dir);
    cpSync(join(dockerDir, '.env.example'), join(dir, 'docker', '.env'));
    const r = composeConfig(dir, 'compose.yml');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/set HEARTH_SECRET in docker\/.env/);
  });
});

describe('compose files', () => {
  for (const file of ['compose.yml', 'compose.single.yml']) {
    it(`${file} passes docker-compose config`, () => {
      const dir = composeProject();
      projects.push(dir);
      const r = composeConfig(dir, file);
      expect(r.stderr).not.toMatch(/ERROR/);
      expect(r.status).toBe(0);
      const config = parse(r.stdout) as { services: Record<string, { healthcheck?: unknown; restart?: string }> };
      for (const [name, service] of Object.entries(config.services)) {
        if (name !== 'minio-bucket') expect(service.restart, `${name} has a restart policy`).toBe('unless-stopped');
      }
    });
  }

  it('compose.yml refuses to start without the MinIO credentials, naming the variable', () => {
    const dir = composeProject();
    projects.push(dir);
    writeFileSync(join(dir, 'docker', '.env'), `HEARTH_SECRET=${SECRET}\n`);
    const r = composeConfig(dir, 'compose.yml');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/S3_ACCESS_KEY_ID/);
  });

  it('the load balancer waits for healthy replicas and keeps /metrics inside', () => {
    const dir = composeProject();
    projects.push(dir);
    const config = parse(composeConfig(dir, 'compose.yml').stdout) as {
      services: Record<string, { depends_on?: Record<string, { condition: string }> }>;
    };
    expect(config.services.lb?.depends_on).toEqual({
      'hearth-1': { condition: 'service_healthy' },
      'hearth-2': { condition: 'service_healthy' },
    });
    const nginx = readFileSync(join(dockerDir, 'nginx.conf'), 'utf8');
    expect(nginx).toMatch(/location = \/metrics \{ return 404; \}/);
    expect(nginx).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
  });

  it('.dockerignore keeps host node_modules, data, env files and git history out of the image', () => {
    const ignore = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', 'data', '.env', '.git']) expect(ignore).toContain(entry);
  });
});

describe('a replica started with the environment compose gives it', () => {
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
    }
  });

  it('serves /readyz with MongoDB, Redis and S3 all ready', async () => {
    expect(existsSync(main), 'server/dist/main.js is missing: run pnpm build').toBe(true);
    const dir = composeProject();
    projects.push(dir);
    const config = parse(composeConfig(dir, 'compose.yml').stdout) as {
      services: Record<string, { environment: Record<string, string> }>;
    };
    const env = { ...config.services['hearth-1']!.environment };
    // The compose services' addresses, swapped for the test servers'.
    const s3 = inject('s3');
    expect(env.MONGODB_URL).toMatch(/^mongodb:\/\/mongo:27017\//);
    env.MONGODB_URL = inject('mongoUrl');
    expect(env.REDIS_URL).toBe('redis://redis:6379');
    env.REDIS_URL = inject('redisUrl');
    expect(env.S3_ENDPOINT).toBe('http://minio:9000');
    env.S3_ENDPOINT = s3.endpoint;
    env.S3_BUCKET = s3.bucket;
    // s3rver knows one key pair (MinIO takes whatever docker/.env sets).
    expect(env.S3_ACCESS_KEY_ID).toBeTruthy();
    env.S3_ACCESS_KEY_ID = 'S3RVER';
    env.S3_SECRET_ACCESS_KEY = 'S3RVER';
    const dataDir = mkdtempSync(join(tmpdir(), 'hearth-compose-data-'));
    projects.push(dataDir);
    const proc = spawn(process.execPath, [main], {
      env: { PATH: process.env.PATH ?? '', ...env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /API\s+(http:\/\/[^\s]+)\/v1/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}:\n${out}`));
      });
    });
    const res = await fetch(`${url}/readyz`);
    const body = (await res.json()) as { engines: Record<string, { engine: string; ok: boolean }> };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.engines.documentStore).toEqual({ engine: 'mongodb', ok: true });
    expect(body.engines.fileStore).toEqual({ engine: 's3', ok: true });
    expect(Object.values(body.engines).some((e) => e.engine === 'redis' && e.ok)).toBe(true);
  }, 60_000);
});
