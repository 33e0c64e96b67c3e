/**
 * The worker's warm-up (worker/warmUp.ts): every format's template runs through the engine and
 * sends to the warm-up's own loopback receiver, under the SSRF guard the runtime installed, and
 * the guard is the transport again afterwards.
 */
import { webhookDeliverTransport } from '../../../nodes/WebhookDeliver/transport';
import { installDeliveryGuard } from '../../src/security/guardedTransport';
import { warmUpDeliveryPath } from '../../src/worker/warmUp';

describe('warmUpDeliveryPath', () => {
  it('delivers every format to its own receiver although the guard refuses loopback, then restores the guard', async () => {
    const guard = installDeliveryGuard({ allowed: [] });
    try {
      const report = await warmUpDeliveryPath(2);
      expect(report.failures).toEqual([]);
      expect(report.ms).toBeGreaterThan(0);
      expect(webhookDeliverTransport().dispatcher).toBe(guard.dispatcher);
      expect(webhookDeliverTransport().lookup).toBe(guard.lookup);
    } finally {
      guard.uninstall();
    }
  });

  it('leaves no transport of its own behind when none was installed', async () => {
    const report = await warmUpDeliveryPath(1);
    expect(report.failures).toEqual([]);
    expect(webhookDeliverTransport()).toEqual({});
  });
});
