/**
 * The runner's own small JSON client (setup, seeding, probing a workload before it is loaded):
 * keep-alive node:http, `{status, body}` replies, and a pool that runs n calls at a fixed
 * concurrency. The load itself comes from autocannon (workloads.mjs).
 */
import { Buffer } from 'node:buffer';
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One request; `req` is `{method, path, headers, body}` (body already a JSON string, or absent). */
export function send(baseUrl, { method, path, headers = {}, body }) {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: { ...headers, ...(payload ? { 'content-length': String(payload.length) } : {}) },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** A JSON call that must answer `expected`; returns the body. */
export async function call(baseUrl, method, path, headers, body, expected = [200, 201]) {
  const res = await send(baseUrl, {
    method,
    path,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!expected.includes(res.status)) {
    throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 400)}`);
  }
  return res.body;
}

/** Runs fn(i) for i < n with `concurrency` calls in flight; results in order. */
export async function pool(n, concurrency, fn) {
  const results = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await fn(i);
      }
    }),
  );
  return results;
}

export function closeClient() {
  agent.destroy();
}
