/**
 * ALLOWED_PRIVATE_TARGETS (spec R9): the only way around the SSRF guard. Each entry is a host
 * name, compared as written in the URL, or an address range, matched against the address a
 * connection would use (a single IP is a /32 or /128; an IPv4-mapped IPv6 address matches its
 * IPv4 range).
 */
import ipaddr from 'ipaddr.js';

export type AllowedTarget =
  | { kind: 'host'; host: string }
  | { kind: 'cidr'; text: string; address: string; prefixLength: number };

const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

function parseAllowedTarget(item: string): AllowedTarget {
  const text = item.replace(/^\[(.*)\]$/, '$1');
  if (text.includes('/')) {
    try {
      const [address, prefixLength] = ipaddr.parseCIDR(text);
      return { kind: 'cidr', text, address: address.toString(), prefixLength };
    } catch {
      throw new Error(`"${item}" is not a valid CIDR range`);
    }
  }
  if (ipaddr.isValid(text)) {
    const address = ipaddr.parse(text);
    return {
      kind: 'cidr',
      text,
      address: address.toString(),
      prefixLength: address.kind() === 'ipv4' ? 32 : 128,
    };
  }
  if (HOSTNAME.test(text)) return { kind: 'host', host: text.toLowerCase().replace(/\.$/, '') };
  throw new Error(`"${item}" is neither a host name, an IP address nor a CIDR range`);
}

/** A comma-separated list; throws naming the first entry that is none of the three. */
export function parseAllowedTargets(text: string): AllowedTarget[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map(parseAllowedTarget);
}

/** Whether a host name (as written in a URL) or a resolved address is on the allow-list. */
export function isAllowedPrivateTarget(
  targets: readonly AllowedTarget[],
  host: string,
  address?: string,
): boolean {
  const name = host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  const candidates = [name, address].filter((value): value is string => !!value);
  return targets.some((target) => {
    if (target.kind === 'host') return target.host === name;
    return candidates.some((candidate) => {
      if (!ipaddr.isValid(candidate)) return false;
      let parsed = ipaddr.parse(candidate);
      const range = ipaddr.parse(target.address);
      if (parsed.kind() === 'ipv6' && range.kind() === 'ipv4') {
        const v6 = parsed as ipaddr.IPv6;
        if (!v6.isIPv4MappedAddress()) return false;
        parsed = v6.toIPv4Address();
      }
      if (parsed.kind() !== range.kind()) return false;
      return parsed.match(range, target.prefixLength);
    });
  });
}
