/**
 * The SSRF guard (spec R9): an endpoint URL must reach a public address. A host is checked by
 * name (localhost, cloud metadata names), then every address it resolves to (dns.lookup, the
 * resolver connections use, /etc/hosts included) must be public. IP literals are checked as
 * written, after WHATWG URL parsing has normalised every IPv4 spelling (2130706433, 0177.0.0.1,
 * 0x7f.1, 127.1 and mixes all become 127.0.0.1). `ALLOWED_PRIVATE_TARGETS` is the only way
 * around it: a host name on the list, or an address inside a listed address or range.
 *
 * The same inspection runs twice: when an endpoint is saved (this module's validator) and when
 * a delivery connects (guardedTransport.ts), so a name that re-resolves to a private address
 * after being saved (DNS rebinding) is refused where it matters.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SSRF_BLOCKED_CODE } from '../../../core/classify.js';
import type { EndpointUrlValidator } from '../api/deps.js';
import { validateEndpointUrl } from '../api/urlValidation.js';
import { isAllowedPrivateTarget, type AllowedTarget } from './allowedTargets.js';
import { classifyAddress, describeVerdict, type AddressVerdict } from './addressPolicy.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address a connection could use. Injectable for tests. */
export type Resolver = (hostname: string, family?: 0 | 4 | 6) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname, family = 0) => {
  const found = await dnsLookup(hostname, { all: true, family, order: 'verbatim' });
  return found.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
};

/** Save-time DNS is bounded; a connection is bounded by its own timeout instead. */
export const SAVE_RESOLVE_TIMEOUT_MS = 5000;

export interface GuardOptions {
  allowed: readonly AllowedTarget[];
  resolve?: Resolver;
  /** Give up resolving after this long (unset: no limit of its own). */
  resolveTimeoutMs?: number;
  /** Passed to the resolver (a connection may ask for one family). */
  family?: 0 | 4 | 6;
}

export type HostInspection =
  | { ok: true; addresses: ResolvedAddress[] }
  | { ok: false; reason: 'blocked'; subject: string; label: string; verdict?: AddressVerdict }
  | { ok: false; reason: 'unresolvable'; error: unknown; detail: string };

/** Host names refused by name (each resolves to a loopback or metadata address anyway). */
function blockedName(host: string): string | null {
  if (host === 'localhost' || host.endsWith('.localhost')) return 'a loopback host name';
  if (['metadata.google.internal', 'metadata.goog', 'metadata'].includes(host)) {
    return 'a cloud metadata host name';
  }
  return null;
}

/** `[::1]` → `::1`, `Example.COM.` → `example.com`. */
export function normalizeHost(host: string): string {
  return host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase()
    .replace(/\.$/, '');
}

function withTimeout<T>(promise: Promise<T>, ms: number | undefined): Promise<T> {
  if (!ms) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEOUT' })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}

/** For an IP literal host (brackets allowed): its verdict, at once; null for a host name. */
export function inspectLiteral(
  host: string,
  allowed: readonly AllowedTarget[],
): HostInspection | null {
  const name = normalizeHost(host);
  const family = isIP(name);
  if (!family) return null;
  const verdict = classifyAddress(name);
  if (verdict.public || isAllowedPrivateTarget(allowed, name)) {
    return { ok: true, addresses: [{ address: name, family: family === 6 ? 6 : 4 }] };
  }
  return { ok: false, reason: 'blocked', subject: verdict.address, label: verdict.label, verdict };
}

/**
 * Resolves `host` (a URL's hostname, brackets allowed) and decides whether it may be reached.
 * Every resolved address must be public or allow-listed; a host name on the allow-list is
 * resolved but not judged. A name refused by name (localhost, metadata) passes only when every
 * address it resolves to is on the allow-list (`localhost` with `127.0.0.1,::1`).
 */
export async function inspectHost(host: string, options: GuardOptions): Promise<HostInspection> {
  const literal = inspectLiteral(host, options.allowed);
  if (literal) return literal;
  const name = normalizeHost(host);
  const allowedByName = isAllowedPrivateTarget(options.allowed, name);
  const nameLabel = allowedByName ? null : blockedName(name);
  const byName = { ok: false, reason: 'blocked', subject: name, label: nameLabel } as const;
  if (nameLabel && options.allowed.length === 0) return { ...byName, label: nameLabel };

  let addresses: ResolvedAddress[];
  try {
    const resolve = options.resolve ?? systemResolver;
    addresses = await withTimeout(resolve(name, options.family ?? 0), options.resolveTimeoutMs);
  } catch (error) {
    if (nameLabel) return { ...byName, label: nameLabel };
    return { ok: false, reason: 'unresolvable', error, detail: errorCode(error) };
  }
  if (addresses.length === 0) {
    if (nameLabel) return { ...byName, label: nameLabel };
    const error = Object.assign(new Error(`no address for ${name}`), {
      code: 'ENOTFOUND',
      hostname: name,
    });
    return { ok: false, reason: 'unresolvable', error, detail: 'no addresses' };
  }
  if (allowedByName) return { ok: true, addresses };
  for (const { address } of addresses) {
    if (isAllowedPrivateTarget(options.allowed, name, address)) continue;
    if (nameLabel) return { ...byName, label: nameLabel };
    const verdict = classifyAddress(address);
    if (!verdict.public) {
      return {
        ok: false,
        reason: 'blocked',
        subject: verdict.address,
        label: verdict.label,
        verdict,
      };
    }
  }
  return { ok: true, addresses };
}

/** The history's error for a refused connection: `blocked: 10.0.0.5 is a private address (R9)`. */
export function blockedError(inspection: Extract<HostInspection, { reason: 'blocked' }>): Error {
  const what = inspection.verdict
    ? describeVerdict(inspection.verdict)
    : `${inspection.subject} is ${inspection.label}`;
  return Object.assign(new Error(`blocked: ${what} (R9)`), {
    code: SSRF_BLOCKED_CODE,
    address: inspection.subject,
  });
}

const MUST_BE_PUBLIC = 'endpoint URLs must be publicly reachable';

/** The save-time message for a URL whose host may not be reached, or null. */
export async function urlHostProblem(url: string, options: GuardOptions): Promise<string | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null; // the syntax check reports it
  }
  if (!parsed.hostname || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    return null;
  }
  const inspection = await inspectHost(parsed.hostname, options);
  if (inspection.ok) return null;
  const host = normalizeHost(parsed.hostname);
  if (inspection.reason === 'unresolvable') {
    return `host "${host}" does not resolve (${inspection.detail}); ${MUST_BE_PUBLIC}`;
  }
  if (!inspection.verdict) return `"${host}" is ${inspection.label}; ${MUST_BE_PUBLIC}`;
  const { embedded } = inspection.verdict;
  const address = embedded ? `${inspection.subject} (IPv4 ${embedded})` : inspection.subject;
  const what = `${address}, ${inspection.label}`;
  if (isIP(host)) return `points to ${what}; ${MUST_BE_PUBLIC}`;
  return `"${host}" resolves to ${what}; ${MUST_BE_PUBLIC}`;
}

/**
 * The R9 EndpointUrlValidator: syntax and scheme first (validateEndpointUrl), then the host.
 * The allow-list is read from the config the API passes in.
 */
export function createEndpointUrlGuard(
  options: { resolve?: Resolver; resolveTimeoutMs?: number } = {},
): EndpointUrlValidator {
  return async (url, config) => {
    const guard: GuardOptions = {
      allowed: config.allowedPrivateTargets,
      resolve: options.resolve,
      resolveTimeoutMs: options.resolveTimeoutMs ?? SAVE_RESOLVE_TIMEOUT_MS,
    };
    const syntax = await validateEndpointUrl(url, config);
    // A private host is named even when the URL has another problem (credentials in it, say).
    return (await urlHostProblem(url, guard)) ?? syntax;
  };
}

/** The default save-time validator of the API: the system resolver, 5 s per lookup. */
export const ssrfEndpointUrlValidator: EndpointUrlValidator = createEndpointUrlGuard();
