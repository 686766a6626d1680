import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { assertRedisServerInstalled } from '../servers/redis.js';

describe('REDIS_URL', () => {
  it('is optional and accepts redis:// and rediss:// URLs with a password and a database', () => {
    expect(loadConfig({}).REDIS_URL).toBeUndefined();
    for (const url of [
      'redis://127.0.0.1:6379',
      'redis://:secret@cache:6380/2',
      'rediss://user:pw@cache.example.com',
      'redis://cache',
    ]) {
      expect(loadConfig({ REDIS_URL: url }).REDIS_URL).toBe(url);
    }
  });

  it('refuses anything else with a message that says what a Redis URL looks like', () => {
    for (const url of ['localhost:6379', 'http://cache:6379', 'redis://', 'redis://cache/notadb', 'mongodb://cache']) {
      let error: unknown;
      try {
        loadConfig({ REDIS_URL: url });
      } catch (e) {
        error = e;
      }
      expect(error, url).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^REDIS_URL: must look like redis:\/\//);
    }
  });
});

describe('the redis-server test dependency', () => {
  it('fails loudly, saying how to install it, when the binary is missing', () => {
    expect(() => assertRedisServerInstalled('/nonexistent/redis-server')).toThrow(/apt-get install -y redis-server/);
    expect(() => assertRedisServerInstalled()).not.toThrow();
  });
});
