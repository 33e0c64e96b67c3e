/**
 * The field catalogue (seller key: the n8n Lead Delivery API credential is tested against it, so a
 * wrong key must fail), and health and metrics without authentication.
 */
import { LEAD_FIELDS } from '../../../../core/catalogue.js';
import { registry } from '../../metrics.js';
import { defineRoute } from '../route.js';
import { FieldsResponse, Health } from '../schemas.js';

export const fieldsRoute = defineRoute({
  method: 'get',
  path: '/v1/fields',
  auth: 'seller',
  tag: 'Catalogue',
  summary: 'The lead fields (R1) a mapping can use',
  responses: { 200: { description: 'The catalogue', schema: FieldsResponse } },
  handler({ res }) {
    res.json({
      fields: LEAD_FIELDS.map((f) => ({ key: f.key, label: f.label, example: f.example })),
    });
  },
});

export const healthRoute = defineRoute({
  method: 'get',
  path: '/healthz',
  auth: 'none',
  tag: 'Operations',
  summary: 'Liveness and database reachability',
  responses: {
    200: { description: 'Healthy', schema: Health },
    503: { description: 'The database does not answer', schema: Health },
  },
  async handler({ deps, res }) {
    try {
      await deps.db.query('SELECT 1');
      res.json({ ok: true, db: true });
    } catch {
      res.status(503).json({ ok: false, db: false });
    }
  },
});

export const metricsRoute = defineRoute({
  method: 'get',
  path: '/metrics',
  auth: 'none',
  tag: 'Operations',
  summary: 'Prometheus metrics',
  responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
  async handler({ res }) {
    const text = await registry.metrics();
    res.type(registry.contentType).send(text);
  },
});
