import express from 'express';
import { readFileSync } from 'node:fs';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, withoutCredentials } from './load.js';
import { CONFIG_VARIABLES, isTrustProxy } from './schema.js';
import { resolveSigningSecret } from './secret.js';

describe('configuration', () => {
  it('defaults work on an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 8080, HOST: '0.0.0.0', DATA_DIR: './data', LOG_LEVEL: 'info', BODY_LIMIT: '1mb' });
    expect(c.MONGODB_URL).toBeUndefined();
  });

  it('casts values', () => {
    const c = loadConfig({ PORT: '9000', METRICS_ENABLED: 'false', MONGODB_URL: 'mongodb://db:27017' });
    expect(c.PORT).toBe(9000);
    expect(c.METRICS_ENABLED).toBe(false);
  });

  it('reports one line per bad variable, naming it, never echoing secrets', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        MONGODB_URL: 'postgres://x',
        HEARTH_SECRET: 'short-secret',
        PUBLIC_URL: 'ftp://x',
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = error!.problems.map((p) => p.split(':')[0]).sort();
    expect(names).toEqual(['HEARTH_SECRET', 'LOG_LEVEL', 'MONGODB_URL', 'PORT', 'PUBLIC_URL']);
    expect(error!.message).not.toContain('short-secret');
    expect(error!.message).toContain('"eighty"');
  });

  it('HTTP timeouts: headers within the request timeout; the metrics token is never echoed', () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '70000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS/);
    expect(loadConfig({})).toMatchObject({
      HTTP_HEADERS_TIMEOUT_MS: 20_000,
      HTTP_REQUEST_TIMEOUT_MS: 60_000,
      HTTP_KEEPALIVE_TIMEOUT_MS: 65_000,
      DATA_RATE_LIMIT: 600,
      DATA_RATE_LIMIT_APP: 0,
    });
    let message = '';
    try {
      loadConfig({ METRICS_TOKEN: 'short-token' });
    } catch (e) {
      message = String((e as Error).message);
    }
    expect(message).toContain('METRICS_TOKEN');
    expect(message).not.toContain('short-token');
  });

  it('TRUST_PROXY accepts what express accepts (never a TypeError at start) and refuses the rest', () => {
    const accepted = [
      '1',
      '0',
      '2',
      'loopback',
      'loopback, 10.0.0.0/8',
      '10.0.0.1',
      '10.0.0.0/255.0.0.0',
      'fd00::/8',
      '::1',
      'linklocal,uniquelocal',
      '192.168.0.0/32',
    ];
    const refused = [
      'banana',
      'true',
      '1.5',
      '10.0.0.0/33',
      '10.0.0.0/0',
      '10.0.0.0/255.0.255.0',
      '10.0.0.0/0.0.0.0',
      '10.0.0.0/8/8',
      'fd00::/129',
      '10.0.0.256',
      'loopback,',
    ];
    // app.ts turns an integer into a hop count and hands anything else to express as a string.
    const expressAccepts = (v: string) => {
      try {
        express().set('trust proxy', Number.isInteger(Number(v)) && v !== '' ? Number(v) : v);
        return true;
      } catch {
        return false;
      }
    };
    for (const v of accepted) expect([v, isTrustProxy(v), expressAccepts(v)]).toEqual([v, true, true]);
    for (const v of refused) expect([v, isTrustProxy(v), expressAccepts(v)]).toEqual([v, false, false]);
    // Stricter than express: a negative hop count (express would quietly trust no proxy).
    expect(isTrustProxy('-1')).toBe(false);
    expect(() => loadConfig({ TRUST_PROXY: 'banana' })).toThrow(/TRUST_PROXY: must be a number of proxies/);
  });

  it('admin bootstrap variables go together', () => {
    expect(() => loadConfig({ HEARTH_ADMIN_EMAIL: 'a@example.com' })).toThrow(/HEARTH_ADMIN_PASSWORD/);
  });

  it('docs/configuration.md documents every variable and no unknown one', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../../docs/configuration.md'), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `([A-Z0-9_]+)` +\|/gm)].map((m) => m[1]));
    expect([...documented].sort()).toEqual(Object.keys(CONFIG_VARIABLES).sort());
  });
});

describe('signing secret', () => {
  it('is generated once, persisted with mode 0600, and reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-secret-'));
    const first = resolveSigningSecret(undefined, dir);
    expect(first.source).toBe('generated');
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    const second = resolveSigningSecret(undefined, dir);
    expect(second).toEqual({ secret: first.secret, source: 'file' });
  });

  it('the environment wins', () => {
    expect(resolveSigningSecret('x'.repeat(40), '/nonexistent')).toEqual({
      secret: 'x'.repeat(40),
      source: 'environment',
    });
  });
});

describe('bad values in error messages', () => {
  it('never prints the credentials of a URL-like value', () => {
    let message = '';
    try {
      loadConfig({ MONGODB_URL: 'mongodb://admin:hunter2@db:27017:bad', REDIS_URL: 'http://u:pw@host' });
    } catch (e) {
      message = String((e as Error).message);
    }
    expect(message).toMatch(/MONGODB_URL|REDIS_URL/);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain(':pw@');
    expect(withoutCredentials('redis://user:secret@host:6379/0')).toBe('redis://***@host:6379/0');
    expect(withoutCredentials('plain value')).toBe('plain value');
  });
});
