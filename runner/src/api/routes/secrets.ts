/** Seller route for an endpoint's signing secret: rotation (R5 signing, Standard Webhooks). */
import { generateSigningSecret } from '../../../../core/signing.js';
import { PREVIOUS_SECRET_GRACE_MS, rotateSigningSecret } from '../../store/signingSecrets.js';
import { notFound } from '../errors.js';
import { defineRoute } from '../route.js';
import { IdParams, SecretRotated } from '../schemas.js';
import { errorResponses } from './errorDocs.js';

export const rotateSecretRoute = defineRoute({
  method: 'post',
  path: '/v1/endpoints/:id/secret/rotate',
  auth: 'seller',
  tag: 'Endpoints',
  summary:
    'Rotate the signing secret: the new one is returned once; the old one keeps signing for 24 h ' +
    '(two signatures in webhook-signature). Rotating again within 24 h keeps only the newest ' +
    'previous secret.',
  params: IdParams,
  responses: {
    200: { description: 'The new secret (shown once, here)', schema: SecretRotated },
    ...errorResponses(401, 403, 404),
  },
  async handler({ params, auth, deps, res }) {
    const signingSecret = generateSigningSecret();
    const rotated = await rotateSigningSecret(deps.db, deps.box, {
      sellerId: auth.sellerId,
      endpointId: params.id,
      newSecret: signingSecret,
      graceMs: PREVIOUS_SECRET_GRACE_MS,
    });
    if (!rotated) {
      throw notFound('endpoint', [{ path: 'id', message: `no endpoint "${params.id}"` }]);
    }
    res.json({
      signingSecret,
      previousSecretExpiresAt: rotated.previousSecretExpiresAt.toISOString(),
    });
  },
});

export const secretRoutes = [rotateSecretRoute];
