/**
 * HTTP benchmark of app-user auth, on each engine: sign-ups and logins per second (both are
 * dominated by argon2id at OWASP parameters, on purpose), refreshes per second, and
 * authenticated requests per second (GET /auth/me: JWT verification + live session + user
 * lookups) next to the same server answering a key-only request (GET /v1/apps/{app}), so the
 * token verification cost reads off the difference. A real server on a loopback port, keep-alive
 * clients at a fixed concurrency; prints one table.
 *
 *   cd server && npx tsx ../bench/http-auth.ts [--users 200] [--ops 5000] [--concurrency 16] [--engines sqlite,mongodb]
 *
 * MongoDB: uses MONGODB_URL when set, else starts the MongoDB-wire test server (jongodb).
 */
import { arg, measure, runAndPrint, startBenchServer, type Result } from './lib/http-bench.js';

const USERS = Number(arg('users', '200'));
const OPS = Number(arg('ops', '5000'));
const PASSWORD = 'a long enough bench password 1!';

async function benchEngine(engine: string): Promise<Result[]> {
  const server = await startBenchServer(engine);
  try {
    const { admin, appId, pk } = await server.adminAndApp();
    // One client IP makes every request here: lift the per-IP limit for the benchmark.
    const patched = await server.call('PATCH', `/v1/admin/apps/${appId}/auth/settings`, admin, {
      ipRequestsPer15Min: 100_000,
    });
    if (patched.status !== 200) throw new Error(`settings: ${JSON.stringify(patched.body)}`);
    const auth = `/v1/apps/${appId}/auth`;
    const tokens: string[] = [];
    const refresh: string[] = [];
    const results: Result[] = [];
    results.push(
      await measure(engine, 'sign-up (argon2id hash)', USERS, async (i) => {
        const res = await server.call('POST', `${auth}/signup`, pk, {
          email: `user${i}@example.com`,
          password: PASSWORD,
        });
        if (res.status !== 201) throw new Error(`signup ${res.status} ${JSON.stringify(res.body)}`);
      }),
    );
    results.push(
      await measure(engine, 'login (argon2id verify)', USERS, async (i) => {
        const res = await server.call('POST', `${auth}/login`, pk, {
          email: `user${i}@example.com`,
          password: PASSWORD,
        });
        if (res.status !== 200) throw new Error(`login ${res.status} ${JSON.stringify(res.body)}`);
        tokens.push(res.body.accessToken);
        refresh[i] = res.body.refreshToken;
      }),
    );
    // i and i + USERS are never in flight together (USERS > concurrency): one refresh per user at a time.
    results.push(
      await measure(engine, 'refresh (rotate)', Math.min(OPS, USERS * 10), async (i) => {
        const u = i % USERS;
        const res = await server.call('POST', `${auth}/refresh`, pk, { refreshToken: refresh[u] });
        if (res.status !== 200) throw new Error(`refresh ${res.status} ${JSON.stringify(res.body)}`);
        refresh[u] = res.body.refreshToken;
        tokens[u] = res.body.accessToken;
      }),
    );
    results.push(
      await measure(engine, 'key only: GET /v1/apps/{app}', OPS, async () => {
        const res = await server.call('GET', `/v1/apps/${appId}`, pk);
        if (res.status !== 200) throw new Error(`app ${res.status}`);
      }),
    );
    results.push(
      await measure(engine, 'authenticated: GET /auth/me', OPS, async (i) => {
        const res = await server.call('GET', `${auth}/me`, {
          ...pk,
          authorization: `Bearer ${tokens[i % tokens.length]}`,
        });
        if (res.status !== 200) throw new Error(`me ${res.status} ${JSON.stringify(res.body)}`);
      }),
    );
    return results;
  } finally {
    await server.close();
  }
}

await runAndPrint(`HTTP auth (${USERS} users)`, benchEngine);
