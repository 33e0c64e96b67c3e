import type {
  IAuthenticateGeneric,
  ICredentialTestRequest,
  ICredentialType,
  INodeProperties,
} from 'n8n-workflow';

/** The hosted Lead Delivery runner's API (spec R8): its base URL and a seller's API key. */
export class LeadDeliveryApi implements ICredentialType {
  name = 'leadDeliveryApi';

  displayName = 'Lead Delivery API';

  icon = {
    light: 'file:leadDeliveryApi.svg',
    dark: 'file:leadDeliveryApi.dark.svg',
  } as const;

  documentationUrl = 'https://github.com/lead-delivery/n8n-nodes-lead-delivery#readme';

  properties: INodeProperties[] = [
    {
      displayName: 'Base URL',
      name: 'baseUrl',
      type: 'string',
      default: 'http://localhost:3000',
      placeholder: 'https://leads.example.com',
      description: 'Where the Lead Delivery runner listens, without a trailing /v1',
      required: true,
    },
    {
      displayName: 'API Key',
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      description:
        'The seller API key the runner printed (or returned) when the seller was created',
      required: true,
    },
  ];

  authenticate: IAuthenticateGeneric = {
    type: 'generic',
    properties: {
      headers: {
        Authorization: '=Bearer {{$credentials.apiKey}}',
      },
    },
  };

  test: ICredentialTestRequest = {
    request: {
      baseURL: '={{$credentials.baseUrl}}',
      url: '/v1/fields',
      method: 'GET',
    },
  };
}
