import type { Redis } from 'ioredis';
import { HearthError } from '../../errors.js';
import type { LeasedCounters } from '../../ports/leased-counters.js';

/**
 * Leased counters on Redis (REDIS_URL), shared by every replica. A key is a hash
 * `hearth:lc:<key>` of holder → units; the leases are one sorted set `hearth:lc:leases` of holder
 * → lease end, on Redis's own clock (TIME inside the scripts), so replicas' clocks do not matter.
 * Each operation is one Lua script (atomic): `acquire` sums the live holders' units, forgets the
 * holders whose lease ended, and takes a unit only below `max`. Key hashes expire after 4 leases
 * without an acquire or renew.
 */
const LEASES = 'hearth:lc:leases';
const hashKey = (key: string) => `hearth:lc:${key}`;

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
/** Sums KEYS[1]'s live holders (ARGV[1] always counts: it is the caller) and forgets dead ones. */
const SUM = `local fields = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #fields, 2 do
  local h = fields[i]
  local n = tonumber(fields[i + 1])
  if h == ARGV[1] then
    total = total + n
  else
    local ends = redis.call('ZSCORE', KEYS[2], h)
    if ends and tonumber(ends) >= now then total = total + n else redis.call('HDEL', KEYS[1], h) end
  end
end`;

const ACQUIRE = `${NOW}
${SUM}
if total >= tonumber(ARGV[2]) then return {0, total} end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 4)
return {1, total + 1}`;

const TOTAL = `${NOW}
${SUM}
return total`;

const RELEASE = `local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;

/** KEYS[1] = leases, KEYS[2..] = hashes; ARGV = holder, leaseMs, counts (one per hash). */
const RENEW = `${NOW}
local lease = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - lease)
for i = 2, #KEYS do
  local n = tonumber(ARGV[i + 1])
  if n > 0 then
    redis.call('HSET', KEYS[i], ARGV[1], n)
    redis.call('PEXPIRE', KEYS[i], lease * 4)
  else
    redis.call('HDEL', KEYS[i], ARGV[1])
  end
end
return 0`;

type Script = (...args: Array<string | number>) => Promise<unknown>;

export function createRedisLeasedCounters(options: { redis: Redis }): LeasedCounters {
  const { redis } = options;
  const scripts = { ACQUIRE, TOTAL, RELEASE, RENEW };
  for (const [name, lua] of Object.entries(scripts)) {
    // EVALSHA with a fallback to EVAL (ioredis); keys are given per call.
    redis.defineCommand(`hearthLc${name}`, { lua });
  }
  const run = async (name: keyof typeof scripts, numKeys: number, ...args: Array<string | number>) => {
    const script = (redis as unknown as Record<string, Script>)[`hearthLc${name}`]!;
    try {
      return await script.call(redis, numKeys, ...args);
    } catch (cause) {
      throw new HearthError('unavailable', 'The shared counters are unavailable.', undefined, { cause });
    }
  };
  return {
    engine: 'redis',
    acquire: async ({ key, holder, max, leaseMs }) => {
      const [ok, total] = (await run('ACQUIRE', 2, hashKey(key), LEASES, holder, max, leaseMs)) as [number, number];
      return { acquired: ok === 1, total: Number(total) };
    },
    release: async ({ key, holder }) => {
      await run('RELEASE', 1, hashKey(key), holder);
    },
    renew: async ({ holder, counts, leaseMs }) => {
      const keys = [...counts.keys()];
      await run(
        'RENEW',
        1 + keys.length,
        LEASES,
        ...keys.map(hashKey),
        holder,
        leaseMs,
        ...keys.map((k) => counts.get(k)!),
      );
    },
    total: async ({ key }) => Number(await run('TOTAL', 2, hashKey(key), LEASES, '')),
    drop: async ({ holder }) => {
      try {
        await redis.zrem(LEASES, holder);
      } catch (cause) {
        throw new HearthError('unavailable', 'The shared counters are unavailable.', undefined, { cause });
      }
    },
  };
}
