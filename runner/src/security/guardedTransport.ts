/**
 * The SSRF guard at connection time (spec R9): every delivery connects through a DNS lookup that
 * resolves, checks every address (ssrfGuard.inspectHost) and hands the socket exactly the checked
 * addresses, so a name that re-resolves to a private address after it was saved (DNS rebinding)
 * is refused. IP literals never reach a lookup (Node connects to them directly), so the agents
 * judge those themselves; and since a pooled keep-alive socket is reused without a lookup, the
 * guarded requests get agents of their own, whose every socket was opened through the guard.
 *
 * A refused connection fails with code ERR_SSRF_BLOCKED, which core classifies as a permanent
 * failure with cause `blocked`: the attempt is recorded and the delivery fails for good.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  setWebhookDeliverTransport,
  webhookDeliverTransport,
} from '../../../nodes/WebhookDeliver/transport.js';
import type { AllowedTarget } from '../config.js';
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

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

/**
 * An agent's createConnection with the guard in front: an IP literal is judged here (it would
 * skip the lookup), and a host name gets the guarded lookup whatever the request asked for.
 */
function guardConnection(
  options: GuardedTransportOptions,
  lookup: LookupFunction,
  connect: (args: http.ClientRequestArgs, callback?: ConnectCallback) => Duplex | null | undefined,
) {
  return (args: http.ClientRequestArgs, callback?: ConnectCallback): Duplex | null | undefined => {
    const literal = inspectLiteral(args.host ?? args.hostname ?? 'localhost', options.allowed);
    if (literal && !literal.ok && literal.reason === 'blocked') {
      const error = blockedError(literal);
      // The agent's callback fails the request with this error ('error' on the request).
      process.nextTick(() => callback?.(error, undefined as unknown as Duplex));
      return undefined;
    }
    return connect({ ...args, lookup }, callback);
  };
}

/** A keep-alive http agent that only opens sockets to checked addresses. */
export class GuardedHttpAgent extends http.Agent {
  private readonly guarded: ReturnType<typeof guardConnection>;

  constructor(options: GuardedTransportOptions, agentOptions: http.AgentOptions = {}) {
    super({ keepAlive: true, ...agentOptions });
    this.guarded = guardConnection(options, createGuardedLookup(options), (args, callback) =>
      super.createConnection(args, callback),
    );
  }

  override createConnection(args: http.ClientRequestArgs, callback?: ConnectCallback) {
    return this.guarded(args, callback);
  }
}

/** The https twin of GuardedHttpAgent (TLS still verifies the certificate against the name). */
export class GuardedHttpsAgent extends https.Agent {
  private readonly guarded: ReturnType<typeof guardConnection>;

  constructor(options: GuardedTransportOptions, agentOptions: https.AgentOptions = {}) {
    super({ keepAlive: true, ...agentOptions });
    this.guarded = guardConnection(options, createGuardedLookup(options), (args, callback) =>
      super.createConnection(args as https.RequestOptions, callback),
    );
  }

  override createConnection(args: https.RequestOptions, callback?: ConnectCallback) {
    return this.guarded(args, callback);
  }
}

export interface InstalledGuard {
  lookup: LookupFunction;
  agents: { http: GuardedHttpAgent; https: GuardedHttpsAgent };
  /** Clears the transport and closes the guard's pooled sockets. */
  uninstall(): void;
}

/**
 * Makes every Webhook Deliver node in this process (the runner's deliveries and Send test)
 * connect through the guard. Process-wide: the last install wins (tests may start several
 * runners in one process; each uninstall clears only its own).
 */
export function installDeliveryGuard(options: GuardedTransportOptions): InstalledGuard {
  const lookup = createGuardedLookup(options);
  const agents = { http: new GuardedHttpAgent(options), https: new GuardedHttpsAgent(options) };
  setWebhookDeliverTransport({ lookup, agents });
  return {
    lookup,
    agents,
    uninstall() {
      // Only our own: another runner in this process may have installed its guard since.
      if (webhookDeliverTransport().agents === agents) setWebhookDeliverTransport(undefined);
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
