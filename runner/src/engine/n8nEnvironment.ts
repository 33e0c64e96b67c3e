/**
 * What n8n-core needs from the environment before the first execution. n8n-core keeps an instance
 * settings file (`<N8N_USER_FOLDER>/.n8n/config`, with an encryption key) and, when the process's
 * first argument is `worker` — as in `lead-delivery worker` — refuses to create one without
 * `N8N_ENCRYPTION_KEY`, failing every execution. The runner stores no n8n-encrypted credentials
 * (its credentials helper serves them from memory), so the key only has to exist: it is derived
 * from SECRETS_KEY, the same on every worker. Values already in the environment win.
 */
import { createHmac } from 'node:crypto';

import type { Config } from '../config.js';

export function n8nEncryptionKey(secretsKey: Buffer): string {
  return createHmac('sha256', secretsKey)
    .update('lead-delivery:n8n-encryption-key')
    .digest('base64');
}

export function prepareN8nEnvironment(
  config: Pick<Config, 'dataDir' | 'secretsKey'>,
  env: NodeJS.ProcessEnv = process.env,
): void {
  env.N8N_USER_FOLDER ??= config.dataDir;
  env.N8N_ENCRYPTION_KEY ??= n8nEncryptionKey(config.secretsKey);
}
