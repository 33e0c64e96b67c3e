/**
 * The Standard Webhooks signing credential (credentials/StandardWebhooksSigningApi) as the nodes
 * use it: its secrets (current first, then the one kept during rotation) and a local credential
 * test, because there is no remote service to ask whether a secret is right.
 */
import type {
  ICredentialDataDecryptedObject,
  ICredentialsDecrypted,
  ICredentialTestFunctions,
  INodeCredentialTestResult,
} from 'n8n-workflow';

export const SIGNING_CREDENTIAL = 'standardWebhooksSigningApi';
export const SIGNING_CREDENTIAL_TEST = 'standardWebhooksSigningSecretTest';

const SECRET_FORMAT = /^whsec_([A-Za-z0-9+/]+={0,2})$/;
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;

/** Why `value` is not a usable `whsec_` secret, or undefined when it is. */
export function secretProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return 'is empty';
  const match = SECRET_FORMAT.exec(value.trim());
  if (!match) return 'must be "whsec_" followed by base64';
  const bytes = Buffer.from(match[1], 'base64').length;
  if (bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    return `must decode to ${MIN_SECRET_BYTES}–${MAX_SECRET_BYTES} bytes (it has ${bytes})`;
  }
  return undefined;
}

/** The credential's secrets: `secret`, then `previousSecret` when set (key rotation). */
export function signingSecretsOf(credentials: ICredentialDataDecryptedObject): string[] {
  const secrets: string[] = [];
  for (const key of ['secret', 'previousSecret']) {
    const value = credentials[key];
    if (typeof value === 'string' && value.trim() !== '') secrets.push(value.trim());
  }
  if (secrets.length === 0) {
    throw new Error('The Standard Webhooks signing credential has no secret');
  }
  return secrets;
}

/** Credential test (referenced through `testedBy`): checks the secrets' format locally. */
export async function testSigningCredential(
  this: ICredentialTestFunctions,
  credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
  const data = credential.data ?? {};
  const problem = secretProblem(data.secret);
  if (problem) return { status: 'Error', message: `Secret ${problem}` };
  const previous = data.previousSecret;
  if (typeof previous === 'string' && previous.trim() !== '') {
    const previousProblem = secretProblem(previous);
    if (previousProblem) {
      return { status: 'Error', message: `Previous Secret ${previousProblem}` };
    }
  }
  return { status: 'OK', message: 'The secret is a valid Standard Webhooks secret' };
}
