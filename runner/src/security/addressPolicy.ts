/**
 * Which IP addresses an endpoint may reach (spec R9): a default-deny classification with
 * ipaddr.js. IPv4 is public only in its general unicast space; IPv6 only in global unicast
 * (2000::/3) outside the special ranges. IPv6 forms that carry an IPv4 address (IPv4-mapped,
 * IPv4-translated, NAT64 64:ff9b::/96, 6to4, Teredo) are judged by the IPv4 address they carry.
 */
import ipaddr from 'ipaddr.js';

export interface AddressVerdict {
  /** The address in its normal form (`127.0.0.1`, `::ffff:7f00:1`). */
  address: string;
  public: boolean;
  /** What it is, for messages: "a loopback address". */
  label: string;
  /** For an IPv6 form carrying an IPv4 address: that address, e.g. `127.0.0.1`. */
  embedded?: string;
}

const IPV4_PUBLIC_RANGES = new Set(['unicast', 'as112', 'amt']);
const IPV6_PUBLIC_RANGES = new Set(['unicast', 'as112v6', 'amt']);

const IPV4_LABELS: Record<string, string> = {
  unspecified: 'an unspecified (0.0.0.0/8) address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT (100.64.0.0/10) address',
  private: 'a private address',
  reserved: 'a reserved address',
};

const IPV6_LABELS: Record<string, string> = {
  unspecified: 'an unspecified address',
  linkLocal: 'a link-local address',
  multicast: 'a multicast address',
  loopback: 'a loopback address',
  uniqueLocal: 'a unique-local (private) address',
  deprecatedSiteLocal: 'a site-local (private) address',
  discard: 'a discard-only address',
  benchmarking: 'a benchmarking address',
  reserved: 'a reserved (documentation) address',
  rfc6052: 'a local-use NAT64 address',
};

/** Cloud metadata services: link-local or unique-local anyway, named for a clearer message. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);
const METADATA_LABEL = 'a cloud metadata address';

const BENCHMARKING_V4 = ipaddr.parseCIDR('198.18.0.0/15');
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

function v4FromParts(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

function classifyV4(address: ipaddr.IPv4): AddressVerdict {
  const text = address.toString();
  if (METADATA_ADDRESSES.has(text)) return { address: text, public: false, label: METADATA_LABEL };
  const range = address.range();
  if (IPV4_PUBLIC_RANGES.has(range)) return { address: text, public: true, label: 'public' };
  const label = address.match(BENCHMARKING_V4)
    ? 'a benchmarking (198.18.0.0/15) address'
    : (IPV4_LABELS[range] ?? `a non-public (${range}) address`);
  return { address: text, public: false, label };
}

/** An IPv6 form judged by the IPv4 address it carries. */
function carried(address: ipaddr.IPv6, inner: ipaddr.IPv4): AddressVerdict {
  const verdict = classifyV4(inner);
  return { ...verdict, address: address.toString(), embedded: inner.toString() };
}

function classifyV6(address: ipaddr.IPv6): AddressVerdict {
  const text = address.toString();
  if (METADATA_ADDRESSES.has(text)) return { address: text, public: false, label: METADATA_LABEL };
  const parts = address.parts;
  const range = address.range();
  switch (range) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return carried(address, v4FromParts(parts[6], parts[7]));
    case 'rfc6052':
      if (address.match(NAT64_WELL_KNOWN)) return carried(address, v4FromParts(parts[6], parts[7]));
      break;
    case '6to4':
      return carried(address, v4FromParts(parts[1], parts[2]));
    case 'teredo': {
      // RFC 4380: the server's IPv4 in bits 32–63, the client's (inverted) in the last 32.
      const server = classifyV4(v4FromParts(parts[2], parts[3]));
      const client = v4FromParts(parts[6] ^ 0xffff, parts[7] ^ 0xffff);
      if (!server.public) return { ...server, address: text, embedded: server.address };
      return carried(address, client);
    }
    default:
      break;
  }
  if (IPV6_PUBLIC_RANGES.has(range) && address.match(GLOBAL_UNICAST_V6)) {
    return { address: text, public: true, label: 'public' };
  }
  const label =
    IPV6_LABELS[range] ??
    (range === 'unicast'
      ? 'a reserved (not globally routed) address'
      : `a non-public (${range}) address`);
  return { address: text, public: false, label };
}

/** Classifies an IP address (any form ipaddr.js parses); anything else is not public. */
export function classifyAddress(text: string): AddressVerdict {
  const bare = text.replace(/^\[(.*)\]$/, '$1');
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(bare);
  } catch {
    return { address: text, public: false, label: 'not an IP address' };
  }
  return parsed.kind() === 'ipv4'
    ? classifyV4(parsed as ipaddr.IPv4)
    : classifyV6(parsed as ipaddr.IPv6);
}

/** `10.0.0.5 is a private address`, `::ffff:7f00:1 (IPv4 127.0.0.1) is a loopback address`. */
export function describeVerdict(verdict: AddressVerdict): string {
  const name = verdict.embedded ? `${verdict.address} (IPv4 ${verdict.embedded})` : verdict.address;
  return `${name} is ${verdict.label}`;
}
