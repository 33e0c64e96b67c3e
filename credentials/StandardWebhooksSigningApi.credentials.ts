import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * A Standard Webhooks signing secret (spec R5): `whsec_` followed by base64. Lead Trigger verifies
 * incoming `webhook-signature` headers with it; Webhook Deliver signs outgoing requests with it.
 * There is no remote service to test it against: the nodes that use it test it locally through
 * `testedBy` (format and length of the secrets).
 */
export class StandardWebhooksSigningApi implements ICredentialType {
  name = 'standardWebhooksSigningApi';

  displayName = 'Standard Webhooks Signing Secret';

  icon = {
    light: 'file:standardWebhooksSigningApi.svg',
    dark: 'file:standardWebhooksSigningApi.dark.svg',
  } as const;

  documentationUrl = 'https://github.com/lead-delivery/n8n-nodes-lead-delivery#readme';

  properties: INodeProperties[] = [
    {
      displayName: 'Secret',
      name: 'secret',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      placeholder: 'whsec_...',
      description:
        'The endpoint signing secret. Must start with "whsec_" followed by the base64 key (24–64 bytes), as Standard Webhooks defines it.',
      required: true,
    },
    {
      displayName: 'Previous Secret',
      name: 'previousSecret',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      placeholder: 'whsec_...',
      description:
        'Optional. The secret being rotated out, kept during rotation: signatures made with it are still accepted, and outgoing requests carry a signature for each secret. Also starts with "whsec_".',
    },
  ];
}
