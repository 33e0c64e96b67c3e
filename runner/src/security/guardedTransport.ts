/**
 * The SSRF guard at connection time (spec R9): every delivery connects through a DNS lookup that
 * resolves, checks every address (ssrfGuard.inspectHost) and hands the socket exactly the checked
 * addresses, so a name that re-resolves to a private address after it was saved (DNS rebinding)
 * is refused. IP literals never reach a lookup (Node connects to them directly), so the dispatcher
 * judges those itself; and since a pooled keep-alive socket is reused without a lookup, the
 * guarded requests get a dispatcher of their own, whose every socket was opened through the guard.
 *
 * A refused connection fails with code ERR_SSRF_BLOCKED, which core classifies as a permanent
 * failure with cause `blocked`: the attempt is recorded and the delivery fails for good.
 */
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { Dispatcher } from 'undici';
import { createDispatcher } from '../../../core/http-exchange.js';
import {
  setWebhookDeliverTransport,
  webhookDeliverTransport,
} from '../../../nodes/WebhookDeliver/transport.js';
import type { AllowedTarget } from './allowedTargets.js';
import { blockedError, inspectHost, inspectLiteral, type Resolver } from './ssrfGuard.js';

export interface GuardedTransportOptions {
  allowed: readonly AllowedTarget[];
  resolve?: Resolver;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

function requestedFamily(options: unknown): 0 | 4 | 6 {
  const family =
    typeof options === 'number' ? options : (options as { family?: unknown } | null)?.family;
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}

/** A net.LookupFunction that answers only with checked addresses (both callback shapes). */
export function createGuardedLookup(options: GuardedTransportOptions): LookupFunction {
  const lookup = (hostname: string, lookupOptions: unknown, callback: LookupCallback): void => {
    const all = (lookupOptions as { all?: unknown } | null)?.all === true;
    const fail = (error: unknown) => callback(error as NodeJS.ErrnoException, all ? [] : '');
    inspectHost(hostname, {
      allowed: options.allowed,
      resolve: options.resolve,
      family: requestedFamily(lookupOptions),
    }).then((inspection) => {
      if (!inspection.ok) {
        fail(inspection.reason === 'blocked' ? blockedError(inspection) : inspection.error);
        return;
      }
      const [first] = inspection.addresses;
      if (all) callback(null, inspection.addresses);
      else callback(null, first.address, first.family);
    }, fail);
  };
  return lookup as unknown as LookupFunction;
}

/**
 * An undici dispatcher that only opens connections to checked addresses: an IP literal is judged
 * before anything opens (it would skip the lookup), a host name gets the guarded lookup.
 */
export function createGuardedDispatcher(options: GuardedTransportOptions): Dispatcher {
  return createDispatcher({
    lookup: createGuardedLookup(options),
    refuseHost(hostname) {
      const literal = inspectLiteral(hostname, options.allowed);
      return literal && !literal.ok && literal.reason === 'blocked' ? blockedError(literal) : null;
    },
  });
}

export interface InstalledGuard {
  lookup: LookupFunction;
  dispatcher: Dispatcher;
  /** Clears the transport and closes the guard's pooled connections. */
  uninstall(): void;
}

/**
 * Makes every Webhook Deliver node in this process (the runner's deliveries and Send test)
 * connect through the guard. Process-wide: the last install wins (tests may start several
 * runners in one process; each uninstall clears only its own).
 */
export function installDeliveryGuard(options: GuardedTransportOptions): InstalledGuard {
  const lookup = createGuardedLookup(options);
  const dispatcher = createGuardedDispatcher(options);
  setWebhookDeliverTransport({ lookup, dispatcher });
  return {
    lookup,
    dispatcher,
    uninstall() {
      // Only our own: another runner in this process may have installed its guard since.
      if (webhookDeliverTransport().dispatcher === dispatcher)
        setWebhookDeliverTransport(undefined);
      void dispatcher.destroy().catch(() => {});
    },
  };
}
