import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkUrl,
  checkUrlSyntax,
  classifyAddress,
  DENY_PRIVATE,
  OutboundRefused,
  type OutboundPolicy,
} from '../../src/lib/outbound/policy.js';
import { OutboundFailure, postOutbound } from '../../src/lib/outbound/request.js';

const LOOPBACK: OutboundPolicy = { allowPrivate: false, allowCidrs: ['127.0.0.0/8'] };

describe('outbound address policy', () => {
  const refused = [
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'metadata'],
    ['169.254.10.10', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::', '6to4'],
    ['ff02::1', 'multicast'],
  ] as const;
  it.each(refused)('refuses %s (%s) by default', (address, range) => {
    expect(classifyAddress(address, DENY_PRIVATE)).toEqual({ allowed: false, range });
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])('allows global %s', (address) => {
    expect(classifyAddress(address, DENY_PRIVATE).allowed).toBe(true);
  });

  it('opens ranges only as configured; metadata stays refused unless listed', () => {
    expect(classifyAddress('127.0.0.1', LOOPBACK).allowed).toBe(true);
    expect(classifyAddress('::ffff:127.0.0.1', LOOPBACK).allowed).toBe(true);
    expect(classifyAddress('10.0.0.1', LOOPBACK).allowed).toBe(false);
    const open = { allowPrivate: true, allowCidrs: [] };
    expect(classifyAddress('10.0.0.1', open).allowed).toBe(true);
    expect(classifyAddress('169.254.169.254', open)).toEqual({ allowed: false, range: 'metadata' });
    expect(classifyAddress('169.254.169.254', { allowPrivate: false, allowCidrs: ['169.254.169.254'] }).allowed).toBe(
      true,
    );
  });

  it('checks URLs without the network: scheme, credentials, literals in every spelling, local names', () => {
    const problem = (url: string) => {
      try {
        checkUrlSyntax(url, DENY_PRIVATE);
        return 'ok';
      } catch (e) {
        return (e as OutboundRefused).problem;
      }
    };
    expect(problem('https://hooks.example.com/x')).toBe('ok');
    expect(problem('not a url')).toBe('invalid_url');
    expect(problem('ftp://example.com/')).toBe('scheme_not_allowed');
    expect(problem('file:///etc/passwd')).toBe('scheme_not_allowed');
    expect(problem('https://user:pw@example.com/')).toBe('credentials_not_allowed');
    expect(problem('http://169.254.169.254/latest/meta-data')).toBe('address_not_allowed');
    expect(problem('http://10.0.0.1/')).toBe('address_not_allowed');
    expect(problem('http://0x7f.1/')).toBe('address_not_allowed');
    expect(problem('http://2130706433/')).toBe('address_not_allowed');
    expect(problem('http://[::ffff:a00:1]/')).toBe('address_not_allowed');
    expect(problem('http://[fd00:ec2::254]/')).toBe('address_not_allowed');
    expect(problem('http://localhost:8080/')).toBe('host_not_allowed');
    expect(problem('http://api.localhost/')).toBe('host_not_allowed');
    expect(problem('http://metadata.google.internal/')).toBe('host_not_allowed');
    // With an opening, names are judged by the addresses they resolve to (localhost → 127.0.0.1).
    expect(() => checkUrlSyntax('http://localhost:3000/', LOOPBACK)).not.toThrow();
  });

  it('refuses a name that resolves to a refused address; an unresolvable name is left to delivery', async () => {
    const resolve = async (host: string) => {
      if (host === 'inside.example.com') return ['93.184.215.14', '10.1.2.3'];
      if (host === 'public.example.com') return ['93.184.215.14'];
      throw new Error('ENOTFOUND');
    };
    await expect(checkUrl('https://inside.example.com/', DENY_PRIVATE, resolve)).rejects.toMatchObject({
      problem: 'address_not_allowed',
    });
    await expect(checkUrl('https://public.example.com/', DENY_PRIVATE, resolve)).resolves.toBeInstanceOf(URL);
    await expect(checkUrl('https://nowhere.example.com/', DENY_PRIVATE, resolve)).resolves.toBeInstanceOf(URL);
  });
});

describe('outbound POST', () => {
  let server: Server;
  let base: string;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/hang') return; // never answers
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://10.0.0.1/' }).end();
        return;
      }
      if (req.url === '/big') {
        res.writeHead(200).end('x'.repeat(100_000));
        return;
      }
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => res.writeHead(201, { 'content-type': 'text/plain' }).end(`got ${body}`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const post = (url: string, extra: Partial<Parameters<typeof postOutbound>[0]> = {}) =>
    postOutbound({
      url,
      headers: {},
      body: 'hello',
      policy: LOOPBACK,
      timeoutMs: 2000,
      maxResponseBytes: 64,
      ...extra,
    });

  it('posts to an allowed address and reads a bounded excerpt of the answer', async () => {
    const ok = await post(`${base}/ok`);
    expect(ok).toMatchObject({ status: 201, body: 'got hello', truncated: false });
    const big = await post(`${base}/big`);
    expect(big.body).toHaveLength(64);
    expect(big.truncated).toBe(true);
  });

  it('sends nothing to a refused address, by literal or by a name that rebinds to it', async () => {
    const before = hits;
    await expect(post(`${base}/ok`, { policy: DENY_PRIVATE })).rejects.toMatchObject({ kind: 'refused' });
    const port = new URL(base).port;
    // The name resolved to a public address at creation; now it answers with loopback.
    const rebinding = (_h: string, _o: unknown, cb: (e: null, a: { address: string; family: number }[]) => void) =>
      cb(null, [{ address: '127.0.0.1', family: 4 }]);
    await expect(
      post(`http://rebind.example.com:${port}/ok`, { policy: DENY_PRIVATE, resolveAll: rebinding as never }),
    ).rejects.toMatchObject({ kind: 'refused' });
    // Allowed by policy, the same name connects to the checked address.
    await expect(
      post(`http://rebind.example.com:${port}/ok`, { resolveAll: rebinding as never }),
    ).resolves.toMatchObject({ status: 201 });
    expect(hits).toBe(before + 1);
  });

  it('does not follow redirects, and times out a receiver that hangs', async () => {
    const redirect = await post(`${base}/redirect`);
    expect(redirect.status).toBe(302);
    const started = Date.now();
    const err = await post(`${base}/hang`, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundFailure);
    expect((err as OutboundFailure).kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('reports a closed port as a network failure', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(post(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ kind: 'network' });
  });
});
