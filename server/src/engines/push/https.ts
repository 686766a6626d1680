import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

/**
 * A small JSON/form client over node:https with a keep-alive agent that trusts the configured CA
 * besides the system ones (for tests' local servers; TLS checks are never turned off).
 */
export interface HttpsReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function pushAgent(options: {
  ca?: string | undefined;
  maxSockets?: number;
  /** A checked lookup (lib/outbound) for connections to client-supplied hosts (Web Push). */
  lookup?: LookupFunction;
}): https.Agent {
  return new https.Agent({
    keepAlive: true,
    ...(options.lookup ? { lookup: options.lookup } : {}),
    maxSockets: options.maxSockets ?? 64,
    // One parsed context for every connection (a `ca` list would be parsed again on each one).
    ...(options.ca ? { secureContext: secureContextWith(options.ca) } : {}),
  });
}

/** The system roots stay trusted next to the extra CA (a `ca` option alone would replace them). */
export function withRoots(ca: string | undefined): string[] | undefined {
  return ca ? [...rootCertificates, ca] : undefined;
}

/** A TLS context trusting the system roots and `ca`. */
export function secureContextWith(ca: string): SecureContext {
  return createSecureContext({ ca: withRoots(ca) });
}

export function postHttps(
  url: string,
  options: { agent: https.Agent; headers: Record<string, string>; body: string; timeoutMs: number },
): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        agent: options.agent,
        headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
        timeout: options.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}
