/**
 * Saving an endpoint: the settings after defaults (create) or after merging (PATCH), checked as a
 * whole with core's rules, the URL hook and the seller's lead orders. Every problem is reported
 * at once, each with its path.
 */
import {
  standardMappings,
  validateHeaders,
  validateMappingSettings,
} from '../../../core/mapping.js';
import type { HeaderPair } from '../../../core/types.js';
import type { Db } from '../db/types.js';
import type { Endpoint, EndpointSettings } from '../store/endpoints.js';
import { ownedLeadOrderIds } from '../store/leadOrders.js';
import type { ResolvedDeps } from './deps.js';
import { problemsToDetails, validationFailed, type ErrorDetail } from './errors.js';
import type { EndpointCreateBody, EndpointPatchBody } from './schemas.js';
import { redactValue } from './views.js';

export function settingsFromCreate(body: EndpointCreateBody): EndpointSettings {
  return {
    name: body.name,
    url: body.url,
    format: body.format,
    headers: body.headers,
    constants: body.constants,
    leadOrderIds: body.leadOrderIds,
    fieldMappings: body.fieldMappings ?? standardMappings(body.format),
    type: body.type,
    enabled: body.enabled,
    timeoutMs: body.timeoutMs,
    maxConcurrency: body.maxConcurrency,
    rateLimitPerSecond: body.rateLimitPerSecond,
    hubspot: body.hubspot,
  };
}

/**
 * A header sent back exactly as GET showed it (redacted) keeps the stored value, so a client can
 * PATCH the list it read without knowing the secrets in it.
 */
function mergeHeaders(
  stored: readonly HeaderPair[],
  incoming: readonly HeaderPair[],
): HeaderPair[] {
  const byName = new Map(stored.map((h) => [h.name.toLowerCase(), h.value]));
  return incoming.map((header) => {
    const existing = byName.get(header.name.toLowerCase());
    if (
      existing !== undefined &&
      header.value === redactValue(existing) &&
      header.value !== existing
    ) {
      return { name: header.name, value: existing };
    }
    return { name: header.name, value: header.value };
  });
}

export function mergeSettings(current: Endpoint, patch: EndpointPatchBody): EndpointSettings {
  return {
    name: patch.name ?? current.name,
    url: patch.url ?? current.url,
    format: patch.format ?? current.format,
    headers: patch.headers ? mergeHeaders(current.headers, patch.headers) : current.headers,
    constants: patch.constants ?? current.constants,
    leadOrderIds: patch.leadOrderIds ?? current.leadOrderIds,
    fieldMappings: patch.fieldMappings ?? current.fieldMappings,
    type: patch.type ?? current.type,
    enabled: patch.enabled ?? current.enabled,
    timeoutMs: patch.timeoutMs ?? current.timeoutMs,
    // null clears a limit, so only an absent key keeps the current one.
    maxConcurrency:
      patch.maxConcurrency !== undefined ? patch.maxConcurrency : current.maxConcurrency,
    rateLimitPerSecond:
      patch.rateLimitPerSecond !== undefined
        ? patch.rateLimitPerSecond
        : current.rateLimitPerSecond,
    hubspot: patch.hubspot !== undefined ? patch.hubspot : (current.hubspot ?? null),
  };
}

/**
 * The settings to store (lead order ids deduplicated), or a 400 listing every problem.
 * `checkUrl`: run the URL hook (it may resolve DNS); `checkLeadOrders`: look the ids up.
 */
export async function checkSettings(
  deps: ResolvedDeps,
  db: Db,
  sellerId: string,
  settings: EndpointSettings,
  options: { checkUrl: boolean; checkLeadOrders: boolean },
): Promise<EndpointSettings> {
  const details: ErrorDetail[] = [];
  if (options.checkUrl) {
    const urlProblem = await deps.validateEndpointUrl(settings.url, deps.config);
    if (urlProblem) details.push({ path: 'url', message: urlProblem });
  }
  details.push(
    ...problemsToDetails(
      validateMappingSettings({
        format: settings.format,
        fieldMappings: settings.fieldMappings,
        constants: settings.constants,
      }),
    ),
    ...problemsToDetails(validateHeaders(settings.headers)),
  );
  if (options.checkLeadOrders && settings.leadOrderIds.length > 0) {
    const owned = await ownedLeadOrderIds(db, sellerId, settings.leadOrderIds);
    settings.leadOrderIds.forEach((id, index) => {
      if (!owned.has(id)) {
        details.push({
          path: `leadOrderIds.${index}`,
          message: `"${id}" is not one of your lead orders`,
        });
      }
    });
  }
  if (details.length > 0) throw validationFailed(details);
  return { ...settings, leadOrderIds: [...new Set(settings.leadOrderIds)] };
}
