/**
 * Warms the delivery path before a worker takes its first job: each payload format's template runs
 * through the engine and its Webhook Deliver node sends to a receiver inside this process.
 *
 * Why: the first execution in a fresh process is many times slower than the rest (n8n-core's
 * lazily loaded modules, undici's HTTP parser compiled from WebAssembly on first use, V8
 * compiling the path), and the next few run interpreted. A worker started into traffic (a
 * deploy, a restart, a scale-out) put that on its first leads, which became the slowest of a run
 * (bench:latency; bench/history.md).
 *
 * The receiver listens on 127.0.0.1 and only for this; the sends go through a dispatcher of the
 * warm-up's own, so nothing here goes through or loosens the SSRF guard, and no delivery can be
 * sent while the warm-up holds the transport (the worker has not started).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';

import { sampleLead } from '../../../core/catalogue.js';
import { standardMappings } from '../../../core/mapping.js';
import { generateSigningSecret } from '../../../core/signing.js';
import { PAYLOAD_FORMATS } from '../../../core/types.js';
import {
  setWebhookDeliverTransport,
  webhookDeliverTransport,
} from '../../../nodes/WebhookDeliver/transport.js';
import { dispatchToEndpoint, type DispatchEndpoint } from './dispatcher.js';

/** Runs per format: the first loads and compiles, the next ones let V8 optimise the hot path. */
export const WARM_UP_ROUNDS = 5;

export interface WarmUpReport {
  ms: number;
  /** Executions whose delivery did not succeed (the warm-up never throws for them). */
  failures: string[];
}

function listenOnLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Runs every format's template `rounds` times against an in-process receiver. Call it before any
 * delivery can run in this process: it swaps the process-wide Webhook Deliver transport meanwhile.
 */
export async function warmUpDeliveryPath(rounds = WARM_UP_ROUNDS): Promise<WarmUpReport> {
  const started = performance.now();
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  const agent = new Agent({ connections: 1 });
  const previous = webhookDeliverTransport();
  const failures: string[] = [];
  try {
    const port = await listenOnLoopback(server);
    setWebhookDeliverTransport({ dispatcher: agent });
    const secret = generateSigningSecret();
    for (const format of PAYLOAD_FORMATS) {
      const endpoint: DispatchEndpoint = {
        id: `warm-up-${format}`,
        url: `http://127.0.0.1:${port}/warm-up`,
        format,
        headers: [],
        constants: [],
        fieldMappings: standardMappings(format),
        timeoutMs: 5_000,
      };
      for (let round = 0; round < rounds; round++) {
        const [report] = await dispatchToEndpoint(
          endpoint,
          [
            {
              id: `warm-up-${format}-${round}`,
              messageType: 'new_lead',
              leadSnapshot: sampleLead(),
            },
          ],
          { concurrency: 1, signingSecrets: [secret], executionId: 'warm-up' },
        );
        if (!report?.success) failures.push(`${format}: ${report?.error ?? 'no report'}`);
      }
    }
  } finally {
    setWebhookDeliverTransport(previous);
    await agent.close().catch(() => {});
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return { ms: performance.now() - started, failures };
}
