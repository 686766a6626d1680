import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/**
 * Which addresses the server may open outbound connections to (webhooks, schedules): SSRF
 * protection. Address classes come from ipaddr.js (its special-range tables), not from
 * hand-written CIDR code. By default only global unicast addresses are allowed: private
 * (10/8, 172.16/12, 192.168/16), loopback, link-local (169.254/16, fe80::/10), CGNAT
 * (100.64/10), multicast, broadcast, unspecified, reserved and documentation ranges, IPv6
 * unique-local (fc00::/7), NAT64/6to4/Teredo tunnels (which embed an IPv4 address) are refused;
 * IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 address it carries.
 *
 * A deployment opens more, explicitly (main.ts reads it from OUTBOUND_ALLOW_PRIVATE and
 * OUTBOUND_ALLOW_CIDRS):
 * - `allowPrivate`: every address class, except the cloud metadata addresses below;
 * - `allowCidrs`: these ranges, whatever their class (metadata addresses too, if listed).
 */
export interface OutboundPolicy {
  allowPrivate: boolean;
  allowCidrs: readonly string[];
}

export const DENY_PRIVATE: OutboundPolicy = { allowPrivate: false, allowCidrs: [] };

/** Cloud instance-metadata endpoints (AWS/GCP/Azure/OpenStack, AWS ECS, AWS IPv6, Alibaba, Azure wire server). */
const METADATA = ['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '100.100.100.200', '168.63.129.16'].map((a) =>
  ipaddr.parse(a).toNormalizedString(),
);

/**
 * Hostnames refused by name, before any lookup, when the policy opens nothing (they name this
 * machine or a cloud's internal names). With an opening, their resolved addresses decide.
 */
const REFUSED_NAMES = [/^localhost$/, /\.localhost$/, /^metadata(\.google\.internal)?$/, /\.internal$/];

const closed = (policy: OutboundPolicy) => !policy.allowPrivate && policy.allowCidrs.length === 0;

export interface AddressVerdict {
  allowed: boolean;
  /** ipaddr.js's class of the address ("unicast", "private", "loopback", …) or "metadata". */
  range: string;
}

/** Is a CIDR list entry valid? (for the configuration's checks) */
export const isCidr = (value: string): boolean => ipaddr.isValidCIDR(value) || ipaddr.isValid(value);

type Range = readonly [ipaddr.IPv4 | ipaddr.IPv6, number];
const parsedRanges = new Map<string, Range>();

/** A CIDR (or a single address as /32 or /128), parsed once per process. */
function rangeOf(entry: string): Range {
  let range = parsedRanges.get(entry);
  if (!range) {
    range = ipaddr.isValidCIDR(entry)
      ? ipaddr.parseCIDR(entry)
      : ([ipaddr.parse(entry), ipaddr.parse(entry).kind() === 'ipv4' ? 32 : 128] as const);
    parsedRanges.set(entry, range);
  }
  return range;
}

function inCidrs(addr: ipaddr.IPv4 | ipaddr.IPv6, cidrs: readonly string[]): boolean {
  for (const entry of cidrs) {
    const range = rangeOf(entry);
    let candidate = addr;
    if (range[0].kind() !== addr.kind()) {
      if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
        candidate = (addr as ipaddr.IPv6).toIPv4Address();
      } else continue;
    }
    if (candidate.kind() === range[0].kind() && candidate.match(range as [ipaddr.IPv4 | ipaddr.IPv6, number])) {
      return true;
    }
  }
  return false;
}

/** The verdict on one IP address (v4 or v6, no brackets) under a policy; unparsable is refused. */
export function classifyAddress(address: string, policy: OutboundPolicy): AddressVerdict {
  if (!ipaddr.isValid(address)) return { allowed: false, range: 'invalid' };
  // process() turns IPv4-mapped IPv6 into the IPv4 address it carries.
  const addr = ipaddr.process(address.replace(/%.*$/, ''));
  if (inCidrs(addr, policy.allowCidrs)) return { allowed: true, range: 'allowed' };
  if (METADATA.includes(addr.toNormalizedString())) return { allowed: false, range: 'metadata' };
  const range = addr.range();
  if (policy.allowPrivate) return { allowed: true, range };
  return { allowed: range === 'unicast', range };
}

export type UrlProblem =
  'invalid_url' | 'scheme_not_allowed' | 'credentials_not_allowed' | 'host_not_allowed' | 'address_not_allowed';

export class OutboundRefused extends Error {
  readonly code = 'EHEARTH_OUTBOUND_REFUSED';
  constructor(
    readonly problem: UrlProblem,
    message: string,
  ) {
    super(message);
  }
}

/** The URL's host as an address or a name: `[::1]` → `::1`. */
export function hostOf(url: URL): { host: string; isAddress: boolean } {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, isAddress: ipaddr.isValid(host) && (host.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(host)) };
}

/**
 * The checks that need no network: http(s) only, no credentials, a host, an IP literal's class,
 * names that always mean "this machine". Throws OutboundRefused.
 */
export function checkUrlSyntax(raw: string, policy: OutboundPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefused('invalid_url', 'must be an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundRefused('scheme_not_allowed', 'must be an http or https URL');
  }
  if (url.username || url.password)
    throw new OutboundRefused('credentials_not_allowed', 'must not contain credentials');
  const { host, isAddress } = hostOf(url);
  if (!host) throw new OutboundRefused('invalid_url', 'must name a host');
  if (isAddress) {
    const verdict = classifyAddress(host, policy);
    if (!verdict.allowed) throw refusedAddress(host, verdict.range);
  } else if (closed(policy) && REFUSED_NAMES.some((re) => re.test(host.toLowerCase().replace(/\.$/, '')))) {
    throw new OutboundRefused('host_not_allowed', `must not point at ${host}`);
  }
  return url;
}

export const refusedAddress = (address: string, range: string) =>
  new OutboundRefused('address_not_allowed', `points at a refused address (${address}, ${range})`);

export type Resolve = (host: string) => Promise<string[]>;

export const systemResolve: Resolve = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Everything checkUrlSyntax checks, plus the addresses a host name resolves to now: any refused
 * address refuses the URL (creation-time check; delivery checks again at connect time, see
 * request.ts). A name that does not resolve (yet) is accepted: delivery refuses or fails it later.
 */
export async function checkUrl(raw: string, policy: OutboundPolicy, resolve: Resolve = systemResolve): Promise<URL> {
  const url = checkUrlSyntax(raw, policy);
  const { host, isAddress } = hostOf(url);
  if (isAddress) return url;
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    return url;
  }
  for (const address of addresses) {
    const verdict = classifyAddress(address, policy);
    if (!verdict.allowed) throw refusedAddress(address, verdict.range);
  }
  return url;
}
