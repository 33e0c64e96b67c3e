import { generateSigningSecret } from '../../core/signing';
import { LeadDeliveryApi } from '../../credentials/LeadDeliveryApi.credentials';
import { StandardWebhooksSigningApi } from '../../credentials/StandardWebhooksSigningApi.credentials';
import { LeadTrigger } from '../../nodes/LeadTrigger/LeadTrigger.node';
import { WebhookDeliver } from '../../nodes/WebhookDeliver/WebhookDeliver.node';
import {
  secretProblem,
  signingSecretsOf,
  testSigningCredential,
} from '../../nodes/shared/signingCredential';

function decrypted(data: Record<string, string>) {
  return { id: '1', name: 'signing', type: 'standardWebhooksSigningApi', data };
}

describe('credentials (R10)', () => {
  it('Lead Delivery API: base URL, masked API key, Bearer auth, GET /v1/fields as test', () => {
    const credential = new LeadDeliveryApi();
    expect(credential.name).toBe('leadDeliveryApi');
    expect(credential.displayName).toBe('Lead Delivery API');
    const [baseUrl, apiKey] = credential.properties;
    expect(baseUrl).toMatchObject({ name: 'baseUrl', default: 'http://localhost:3000' });
    expect(apiKey).toMatchObject({ name: 'apiKey', typeOptions: { password: true } });
    expect(credential.authenticate).toEqual({
      type: 'generic',
      properties: { headers: { Authorization: '=Bearer {{$credentials.apiKey}}' } },
    });
    expect(credential.test.request).toMatchObject({
      baseURL: '={{$credentials.baseUrl}}',
      url: '/v1/fields',
      method: 'GET',
    });
  });

  it('Standard Webhooks signing secret: masked secret and previous secret', () => {
    const credential = new StandardWebhooksSigningApi();
    expect(credential.name).toBe('standardWebhooksSigningApi');
    expect(credential.displayName).toBe('Standard Webhooks Signing Secret');
    expect(credential.properties.map((p) => [p.name, p.typeOptions?.password])).toEqual([
      ['secret', true],
      ['previousSecret', true],
    ]);
    expect(credential.properties[0].description).toMatch(/whsec_/);
  });

  it('both nodes using the signing credential test it locally through testedBy', async () => {
    for (const node of [new LeadTrigger(), new WebhookDeliver()]) {
      const [reference] = node.description.credentials ?? [];
      expect(reference.name).toBe('standardWebhooksSigningApi');
      const tests: Record<string, unknown> = node.methods.credentialTest;
      const test = tests[reference.testedBy as string];
      expect(test).toBe(testSigningCredential);
    }
    const context = {} as never;
    const secret = generateSigningSecret();
    await expect(testSigningCredential.call(context, decrypted({ secret }))).resolves.toMatchObject(
      {
        status: 'OK',
      },
    );
    await expect(
      testSigningCredential.call(context, decrypted({ secret: 'not-a-secret' })),
    ).resolves.toEqual({ status: 'Error', message: 'Secret must be "whsec_" followed by base64' });
    await expect(
      testSigningCredential.call(context, decrypted({ secret, previousSecret: 'whsec_AAAA' })),
    ).resolves.toMatchObject({
      status: 'Error',
      message: expect.stringMatching(/^Previous Secret must decode/),
    });
  });

  it('secrets: current first, then the previous one; none is an error', () => {
    expect(secretProblem(undefined)).toBe('is empty');
    expect(signingSecretsOf({ secret: ' whsec_a ', previousSecret: 'whsec_b' })).toEqual([
      'whsec_a',
      'whsec_b',
    ]);
    expect(signingSecretsOf({ secret: 'whsec_a', previousSecret: '' })).toEqual(['whsec_a']);
    expect(() => signingSecretsOf({})).toThrow(/no secret/);
  });
});
