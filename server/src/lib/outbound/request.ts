import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import {
  checkUrlSyntax,
  classifyAddress,
  hostOf,
  OutboundRefused,
  refusedAddress,
  type OutboundPolicy,
} from './policy.js';

/**
 * One outbound HTTP POST under the SSRF policy (policy.ts), made so that what was checked is what
 * is connected to:
 * - the URL is checked again (scheme, credentials, IP literal, refused names);
 * - a host name is resolved by our own `lookup`, which drops every refused address and hands the
 *   socket only checked ones, so a DNS answer that changed since creation (DNS rebinding) cannot
 *   steer the connection to a private address;
 * - redirects are never followed: a 3xx is returned as is (the caller treats it as a failure);
 * - one deadline covers connecting, sending and reading the answer; at most `maxResponseBytes`
 *   of the answer are read.
 */
export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  /** The first `maxResponseBytes` bytes of the body, as UTF-8. */
  body: string;
  truncated: boolean;
  durationMs: number;
}

export type OutboundFailureKind = 'refused' | 'timeout' | 'network';

export class OutboundFailure extends Error {
  constructor(
    readonly kind: OutboundFailureKind,
    message: string,
    readonly durationMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type LookupAll = (
  host: string,
  options: { all: true },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** A `lookup` for sockets that answers only with addresses the policy allows. */
export function checkedLookup(policy: OutboundPolicy, resolveAll: LookupAll = dnsLookup as LookupAll): LookupFunction {
  return (hostname, options, callback) => {
    resolveAll(hostname, { all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const allowed = addresses.filter((a) => classifyAddress(a.address, policy).allowed);
      if (allowed.length === 0) {
        const first = addresses[0];
        const range = first ? classifyAddress(first.address, policy).range : 'none';
        return callback(refusedAddress(first?.address ?? hostname, range) as never, '', 0);
      }
      const wanted =
        options.family === 4 || options.family === 6 ? allowed.filter((a) => a.family === options.family) : allowed;
      const list = wanted.length ? wanted : allowed;
      if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      else callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

export async function postOutbound(input: {
  url: string;
  headers: Record<string, string>;
  body: string;
  policy: OutboundPolicy;
  timeoutMs: number;
  maxResponseBytes: number;
  /** Tests swap the resolver (a name that "rebinds" to a private address). */
  resolveAll?: LookupAll;
}): Promise<OutboundResponse> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let url: URL;
  try {
    url = checkUrlSyntax(input.url, input.policy);
  } catch (e) {
    throw new OutboundFailure('refused', (e as Error).message, 0, { cause: e });
  }
  const secure = url.protocol === 'https:';
  const { isAddress } = hostOf(url);
  const signal = AbortSignal.timeout(input.timeoutMs);
  return new Promise<OutboundResponse>((resolve, reject) => {
    const fail = (err: unknown) => {
      if (signal.aborted)
        return reject(new OutboundFailure('timeout', `no answer within ${input.timeoutMs} ms`, elapsed()));
      const refused = err instanceof OutboundRefused || (err as { code?: string })?.code === 'EHEARTH_OUTBOUND_REFUSED';
      if (refused)
        return reject(new OutboundFailure('refused', `URL ${(err as Error).message}`, elapsed(), { cause: err }));
      const code = (err as NodeJS.ErrnoException)?.code;
      return reject(
        new OutboundFailure('network', `connection failed${code ? ` (${code})` : ''}`, elapsed(), { cause: err }),
      );
    };
    const req = (secure ? https : http).request(url, {
      method: 'POST',
      agent: secure ? agents.https : agents.http,
      headers: { ...input.headers, 'content-length': String(Buffer.byteLength(input.body)) },
      signal,
      // An IP literal was checked above; a name is checked address by address at connect time.
      ...(isAddress ? {} : { lookup: checkedLookup(input.policy, input.resolveAll) }),
    });
    req.once('error', fail);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const finish = () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = String(v);
        resolve({
          status: res.statusCode ?? 0,
          headers,
          body: Buffer.concat(chunks).subarray(0, input.maxResponseBytes).toString('utf8'),
          truncated,
          durationMs: elapsed(),
        });
      };
      res.on('data', (chunk: Buffer) => {
        if (size < input.maxResponseBytes) chunks.push(chunk);
        size += chunk.length;
        if (size > input.maxResponseBytes && !truncated) {
          truncated = true;
          // Enough read: stop the transfer (the socket is not reused).
          res.destroy();
          finish();
        }
      });
      res.once('end', () => {
        if (!truncated) finish();
      });
      res.once('error', (err) => {
        if (!truncated) fail(err);
      });
    });
    req.end(input.body);
  });
}
