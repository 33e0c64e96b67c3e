/**
 * Seller routes for alerts (issue 20): the alert URL (checked by the R9 guard like an endpoint's),
 * its signing secret, and "Send test alert". Alerts themselves are queued by the worker and sent
 * by the alert worker (alerts/).
 */
import { generateSigningSecret } from '../../../../core/signing.js';
import { ALERT_TYPES, testAlert } from '../../alerts/events.js';
import { guardedAlertDispatcher, sendAlert } from '../../alerts/sender.js';
import { storableText } from '../../../../core/storableText.js';
import {
  getAlertSettings,
  rotateAlertSecret,
  setAlertUrl,
  type AlertSettings,
} from '../../store/alerts.js';
import { ApiError, validationFailed } from '../errors.js';
import { defineRoute } from '../route.js';
import {
  AlertSecretRotated,
  AlertSettingsPatchBody,
  AlertSettingsSaved,
  AlertSettingsView,
} from '../alertSchemas.js';
import { TestResultBody } from '../schemas.js';
import { signingSecretPrefix } from '../views.js';
import { errorResponses } from './errorDocs.js';

function alertSettingsView(settings: AlertSettings | null) {
  return {
    url: settings?.url ?? null,
    signingSecretPrefix: settings?.signingSecret
      ? signingSecretPrefix(settings.signingSecret)
      : null,
    types: [...ALERT_TYPES],
  };
}

const noAlertUrl = () =>
  new ApiError(409, 'no_alert_url', 'set an alert URL first (PATCH /v1/alerts)', [
    { path: 'url', message: 'no alert URL is set' },
  ]);

export const getAlertSettingsRoute = defineRoute({
  method: 'get',
  path: '/v1/alerts',
  auth: 'seller',
  tag: 'Alerts',
  summary: 'The alert URL and the alert types (circuit.opened, delivery.failed, …)',
  responses: {
    200: { description: 'The alert settings', schema: AlertSettingsView },
    ...errorResponses(401, 403),
  },
  async handler({ auth, deps, res }) {
    res.json(alertSettingsView(await getAlertSettings(deps.db, deps.box, auth.sellerId)));
  },
});

export const patchAlertSettingsRoute = defineRoute({
  method: 'patch',
  path: '/v1/alerts',
  auth: 'seller',
  tag: 'Alerts',
  summary:
    'Set the alert URL (R9-checked like an endpoint URL) or null to turn alerts off. The first ' +
    'URL creates the alert signing secret, returned once.',
  body: AlertSettingsPatchBody,
  responses: {
    200: { description: 'The alert settings', schema: AlertSettingsSaved },
    ...errorResponses(400, 401, 403),
  },
  async handler({ body, auth, deps, res }) {
    if (body.url !== null) {
      const problem = await deps.validateEndpointUrl(body.url, deps.config);
      if (problem) throw validationFailed([{ path: 'url', message: problem }]);
    }
    const saved = await setAlertUrl(
      deps.db,
      deps.box,
      auth.sellerId,
      body.url,
      generateSigningSecret(),
    );
    res.json({
      ...alertSettingsView(saved?.settings ?? null),
      ...(saved?.secretCreated && saved.settings.signingSecret
        ? { signingSecret: saved.settings.signingSecret }
        : {}),
    });
  },
});

export const rotateAlertSecretRoute = defineRoute({
  method: 'post',
  path: '/v1/alerts/secret/rotate',
  auth: 'seller',
  tag: 'Alerts',
  summary: 'Replace the alert signing secret; the new one is returned once and signs from now on',
  responses: {
    200: { description: 'The new secret', schema: AlertSecretRotated },
    ...errorResponses(401, 403, 409),
  },
  async handler({ auth, deps, res }) {
    const signingSecret = generateSigningSecret();
    const rotated = await rotateAlertSecret(deps.db, deps.box, auth.sellerId, signingSecret);
    if (!rotated) throw noAlertUrl();
    res.json({ signingSecret });
  },
});

export const testAlertRoute = defineRoute({
  method: 'post',
  path: '/v1/alerts/test',
  auth: 'seller',
  tag: 'Alerts',
  summary: 'Send an alert.test alert to the alert URL now, signed, and answer how it went',
  responses: {
    200: { description: 'The attempt', schema: TestResultBody },
    ...errorResponses(401, 403, 409),
  },
  async handler({ auth, deps, res }) {
    const settings = await getAlertSettings(deps.db, deps.box, auth.sellerId);
    if (!settings?.url || !settings.signingSecret) throw noAlertUrl();
    const alert = testAlert(auth.sellerId, new Date());
    const result = await sendAlert({
      url: settings.url,
      signingSecret: settings.signingSecret,
      alert,
      dispatcher: guardedAlertDispatcher(deps.config.allowedPrivateTargets),
    });
    // What a receiver answers is shown as text that JSON can carry.
    res.json({
      success: result.success,
      httpStatus: result.statusCode,
      durationMs: result.durationMs,
      error: result.error === null ? null : storableText(result.error),
      responseExcerpt:
        result.responseExcerpt === null ? null : storableText(result.responseExcerpt),
      payload: alert.body,
    });
  },
});

export const alertRoutes = [
  getAlertSettingsRoute,
  patchAlertSettingsRoute,
  rotateAlertSecretRoute,
  testAlertRoute,
];
