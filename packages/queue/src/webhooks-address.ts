import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/**
 * Where webhooks may go. A webhook URL is checked when a job is submitted and again before
 * every delivery attempt; the delivery then connects to the addresses that were checked (no
 * second lookup), so a DNS answer that changes in between (DNS rebinding) cannot redirect it.
 */

/** Longest webhook URL accepted. */
export const WEBHOOK_URL_MAX_LENGTH = 2048;

/** Addresses used by cloud metadata services that fall outside the special ranges below. */
const METADATA_ADDRESSES = new Set([
  '169.254.169.254', // AWS, GCP, Azure, OpenStack…  (link-local anyway)
  '168.63.129.16', // Azure wire server
  '100.100.100.200', // Alibaba Cloud (CGNAT anyway)
  'fd00:ec2::254', // AWS over IPv6 (unique-local anyway)
]);

/** Global unicast IPv6 (2000::/3); anything else in IPv6 is not a public host. */
const IPV6_GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

export interface AddressClass {
  /** Normalised address; an IPv4-mapped IPv6 address is given as IPv4. */
  address: string;
  family: 4 | 6;
  /**
   * `public`, or why it is not: `metadata`, `loopback`, `private`, `linkLocal`,
   * `uniqueLocal`, `multicast`, `carrierGradeNat`, `unspecified`, `broadcast`, `reserved`…
   */
  range: string;
  public: boolean;
}

/** Classifies an IP address (v4, v6 or IPv4-mapped v6); null when it is not one. */
export function classifyAddress(raw: string): AddressClass | null {
  const text = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  if (!ipaddr.isValid(text)) return null;
  // process() turns ::ffff:a.b.c.d into a.b.c.d, so mapped addresses are judged as IPv4.
  const parsed = ipaddr.process(text);
  const address =
    parsed instanceof ipaddr.IPv6 ? parsed.toRFC5952String() : parsed.toNormalizedString();
  const family = parsed.kind() === 'ipv4' ? 4 : 6;
  let range: string = parsed.range();
  if (METADATA_ADDRESSES.has(address)) range = 'metadata';
  else if (range === 'unicast' && parsed.kind() === 'ipv6' && !parsed.match(IPV6_GLOBAL_UNICAST)) {
    // IPv4-compatible (::a.b.c.d), discard-only and other unassigned IPv6 space.
    range = 'reserved';
  }
  return { address, family, range, public: range === 'unicast' };
}

const RANGE_NAMES: Record<string, string> = {
  unicast: 'public',
  metadata: 'cloud metadata',
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local',
  uniqueLocal: 'unique-local',
  multicast: 'multicast',
  carrierGradeNat: 'carrier-grade NAT',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  ipv4Mapped: 'IPv4-mapped',
};

const describeRange = (range: string): string => RANGE_NAMES[range] ?? `reserved (${range})`;

/**
 * GENQ_WEBHOOK_ALLOWLIST: host names (exact, case-insensitive), IP addresses and CIDRs.
 * A listed host name may resolve anywhere and may use http; a listed address or CIDR
 * permits those addresses (and http to a URL naming one of them directly).
 */
export interface WebhookAllowlist {
  permitsHost(hostname: string): boolean;
  permitsAddress(address: string): boolean;
  readonly entries: readonly string[];
}

/** Parses the allowlist; throws naming the first entry that is neither a host nor a CIDR. */
export function parseWebhookAllowlist(entries: readonly string[]): WebhookAllowlist {
  const names = new Set<string>();
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    const bare = entry.startsWith('[') && entry.endsWith(']') ? entry.slice(1, -1) : entry;
    if (bare.includes('/')) {
      if (!ipaddr.isValidCIDR(bare)) throw new Error(`invalid CIDR in webhook allowlist: ${raw}`);
      const [address, bits] = ipaddr.parseCIDR(bare);
      if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
        ranges.push([(address as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)]);
      } else {
        ranges.push([address, bits]);
      }
    } else if (ipaddr.isValid(bare)) {
      const address = ipaddr.process(bare);
      ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/.test(bare)) {
      names.add(bare.replace(/\.$/, ''));
    } else {
      throw new Error(`invalid entry in webhook allowlist: ${raw}`);
    }
  }

  const permitsAddress = (address: string): boolean => {
    const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
    if (!ipaddr.isValid(text)) return false;
    const parsed = ipaddr.process(text);
    return ranges.some(
      ([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits),
    );
  };

  return {
    entries: [...entries],
    permitsAddress,
    permitsHost(hostname) {
      const host = hostname.toLowerCase().replace(/\.$/, '');
      if (names.has(host)) return true;
      return classifyAddress(host) !== null && permitsAddress(host);
    },
  };
}

/**
 * A webhook URL or its destination is not acceptable; `message` says why. `unresolved` (the
 * host did not resolve) may be temporary; `invalid` and `refused` are not.
 */
export class WebhookTargetError extends Error {
  constructor(
    message: string,
    readonly kind: 'invalid' | 'refused' | 'unresolved' = 'refused',
  ) {
    super(message);
    this.name = 'WebhookTargetError';
  }
}

/**
 * The rules that need no configuration (zod refinements use it): parseable, http or https,
 * no credentials, a host, not too long. Returns null when acceptable, else the reason.
 */
export function webhookUrlProblem(raw: string): string | null {
  if (raw.length > WEBHOOK_URL_MAX_LENGTH) {
    return `must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https URL';
  if (url.username || url.password) return 'must not contain credentials';
  if (!url.hostname) return 'must name a host';
  return null;
}

/** The URL's host without IPv6 brackets, as the resolver and the HTTP client want it. */
export function webhookHostname(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Parses and checks a URL against the rules and the allowlist (http needs an allowed host). */
export function parseWebhookUrl(raw: string, allowlist: WebhookAllowlist): URL {
  const problem = webhookUrlProblem(raw);
  if (problem) throw new WebhookTargetError(problem, 'invalid');
  const url = new URL(raw);
  if (url.protocol === 'http:' && !allowlist.permitsHost(webhookHostname(url))) {
    throw new WebhookTargetError(
      'must be an https URL (http is only allowed for allowlisted hosts)',
    );
  }
  return url;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type WebhookLookup = (hostname: string) => Promise<ResolvedAddress[]>;

const DNS_TIMEOUT_MS = 5_000;

/** The system resolver (getaddrinfo, so /etc/hosts counts), every address, within 5 s. */
export const systemLookup: WebhookLookup = async (hostname) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(new WebhookTargetError(`host ${hostname} did not resolve within 5 s`, 'unresolved')),
      DNS_TIMEOUT_MS,
    );
  });
  try {
    const found = await Promise.race([dnsLookup(hostname, { all: true, verbatim: true }), timeout]);
    return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Resolves the URL's host and checks every address: each must be public, or permitted by the
 * allowlist (by host name or by address). Returns the checked addresses, which is where the
 * delivery must connect. Throws WebhookTargetError otherwise.
 */
export async function resolveWebhookTarget(
  url: URL,
  allowlist: WebhookAllowlist,
  lookup: WebhookLookup = systemLookup,
): Promise<ResolvedAddress[]> {
  const hostname = webhookHostname(url);
  const literal = classifyAddress(hostname);
  let addresses: ResolvedAddress[];
  if (literal) {
    addresses = [{ address: literal.address, family: literal.family }];
  } else {
    try {
      addresses = await lookup(hostname);
    } catch (error) {
      if (error instanceof WebhookTargetError) throw error;
      const code = (error as { code?: unknown }).code;
      throw new WebhookTargetError(
        `host ${hostname} does not resolve${typeof code === 'string' ? ` (${code})` : ''}`,
        'unresolved',
      );
    }
    if (addresses.length === 0) {
      throw new WebhookTargetError(`host ${hostname} does not resolve`, 'unresolved');
    }
  }
  const hostAllowed = allowlist.permitsHost(hostname);
  const checked: ResolvedAddress[] = [];
  for (const resolved of addresses) {
    const cls = classifyAddress(resolved.address);
    if (!cls) throw new WebhookTargetError(`host ${hostname} resolved to an invalid address`);
    if (!cls.public && !hostAllowed && !allowlist.permitsAddress(cls.address)) {
      const via = literal ? '' : `host ${hostname} resolves to `;
      throw new WebhookTargetError(
        `${via}${cls.address} (${describeRange(cls.range)} address): not allowed ` +
          '(GENQ_WEBHOOK_ALLOWLIST can permit it)',
      );
    }
    checked.push({ address: cls.address, family: cls.family });
  }
  return checked;
}
