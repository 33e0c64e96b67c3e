/**
 * Resolvers for the SSRF guard in tests, so no test depends on the machine's DNS: the example
 * domains resolve to one public address, everything else does not resolve unless a test says so.
 */
import type { ResolvedAddress, Resolver } from '../../src/security/ssrfGuard.js';

/** A public address (not in any special range) the example names resolve to. */
export const PUBLIC_TEST_ADDRESS = '93.184.215.14';

const EXAMPLE_NAME = /(^|\.)(example\.(com|org|net)|example)$/i;

function notFound(hostname: string): Error {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
    code: 'ENOTFOUND',
    hostname,
  });
}

function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/**
 * A resolver answering from `table` (name → addresses, changeable by the test at any time),
 * then the example names, then ENOTFOUND. `calls` lists every name asked, in order.
 */
export function testResolver(table: Record<string, string[]> = {}): Resolver & {
  table: Record<string, string[]>;
  calls: string[];
} {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const name = hostname.toLowerCase().replace(/\.$/, '');
    const answer = Object.hasOwn(table, name)
      ? table[name]
      : EXAMPLE_NAME.test(name)
        ? [PUBLIC_TEST_ADDRESS]
        : null;
    if (!answer || answer.length === 0) throw notFound(hostname);
    return answer.map((address) => ({ address, family: familyOf(address) }));
  };
  return Object.assign(resolve, { table, calls });
}
