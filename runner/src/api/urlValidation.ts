/**
 * The syntax part of the save-time check of an endpoint URL: it parses and is absolute http(s)
 * without credentials, on a port a server can listen on. The API's default validator (security/ssrfGuard.ts) runs it and then
 * checks that the host is public (R9).
 */
import type { Config } from '../config.js';

export async function validateEndpointUrl(url: string, _config: Config): Promise<string | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute URL such as https://example.com/webhooks/leads';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `must use http or https (got "${parsed.protocol.replace(/:$/, '')}")`;
  }
  if (!parsed.hostname) return 'must name a host';
  // Nothing can listen on port 0: every delivery would fail to connect.
  if (parsed.port === '0') return 'must not use port 0';
  if (parsed.username || parsed.password) {
    return 'must not contain a user name or password: use an HTTP header for credentials';
  }
  return null;
}
