import { sampleLead } from '../../core/catalogue';
import { generateSigningSecret, signatureHeaders } from '../../core/signing';
import { LeadTrigger } from '../../nodes/LeadTrigger/LeadTrigger.node';
import { webhookContext, type FakeOptions } from './fakeContext';

const node = new LeadTrigger();
const secret = generateSigningSecret();
const credentials = { standardWebhooksSigningApi: { secret, previousSecret: '' } };

function signed(body: unknown, options: { id?: string; at?: Date; secrets?: string[] } = {}) {
  const raw = Buffer.from(JSON.stringify(body));
  const headers = signatureHeaders({
    id: options.id ?? 'msg_2Vx',
    timestamp: options.at ?? new Date(),
    body: raw,
    secrets: options.secrets ?? [secret],
  });
  return {
    body,
    rawBody: raw as Buffer | null,
    headers: { ...headers } as Record<string, string>,
  };
}

async function call(
  request: ReturnType<typeof signed>,
  parameters: FakeOptions['parameters'] = {},
  extra: Partial<FakeOptions> = {},
) {
  const { context, response } = webhookContext(request, {
    parameters: { verifySignature: true, ...parameters },
    credentials,
    ...extra,
  });
  const result = await node.webhook.call(context);
  return { result, response };
}

const lead = {
  leadId: 'lead_1',
  leadOrderId: 'lo_1',
  firstName: 'Jane',
  lastName: 'Doe',
  email: 'jane@example.com',
  timeZone: 'America/New_York',
  requestedMeetingTime: '2026-04-22T15:45:00-04:00',
};

describe('Lead Trigger (R10): signature', () => {
  it('emits the lead of a correctly signed event and answers {received: 1, accepted: 1}', async () => {
    const { result, response } = await call(signed({ messageType: 'new_lead', lead }));
    expect(response.ended).toBe(false);
    expect(result.webhookResponse).toEqual({ received: 1, accepted: 1 });
    expect(result.workflowData).toEqual([
      [
        {
          json: {
            leadId: 'lead_1',
            leadOrderId: 'lo_1',
            firstName: 'Jane',
            lastName: 'Doe',
            email: 'jane@example.com',
            timeZone: 'America/New_York',
            requestedMeetingTime: '2026-04-22T19:45:00+00:00',
            formattedRequestedMeetingTime:
              'Wednesday, April 22, 2026 at 3:45 PM Eastern Daylight Time',
            messageType: 'new_lead',
            deliveryId: 'msg_2Vx',
          },
        },
      ],
    ]);
  });

  it.each([
    [
      'a wrong signature',
      () => signed({ messageType: 'new_lead', lead }, { secrets: [generateSigningSecret()] }),
    ],
    [
      'a stale timestamp',
      () => signed({ messageType: 'new_lead', lead }, { at: new Date(Date.now() - 600_000) }),
    ],
    [
      'a body changed after signing',
      () => ({
        ...signed({ messageType: 'new_lead', lead }),
        rawBody: Buffer.from('{"messageType":"new_lead","lead":{}}'),
      }),
    ],
    [
      'no signature headers',
      () => ({
        ...signed({ messageType: 'new_lead', lead }),
        headers: {} as Record<string, string>,
      }),
    ],
  ])('answers 401 with a JSON error and emits nothing on %s', async (_name, request) => {
    const { result, response } = await call(request());
    expect(result).toEqual({ noWebhookResponse: true });
    expect(response.statusCode).toBe(401);
    expect(response.ended).toBe(true);
    expect(response.headers?.['Content-Type']).toMatch(/application\/json/);
    expect(JSON.parse(response.body ?? '')).toEqual({
      error: { code: 'invalid_signature', message: expect.stringMatching(/^Signature rejected: /) },
    });
  });

  it('verifies the raw bytes, not a re-serialisation of the parsed body', async () => {
    const raw = Buffer.from('{ "messageType" : "new_lead", "lead": {"firstName":"Jane"} }');
    const headers = signatureHeaders({
      id: 'msg_raw',
      timestamp: new Date(),
      body: raw,
      secrets: [secret],
    });
    const { result } = await call({
      body: JSON.parse(raw.toString()),
      rawBody: raw,
      headers: { ...headers },
    });
    expect(result.workflowData?.[0]).toHaveLength(1);
  });

  it('falls back to JSON.stringify(body) when rawBody is absent', async () => {
    const request = signed({ messageType: 'new_lead', lead });
    const { result } = await call({ ...request, rawBody: null });
    expect(result.workflowData?.[0]).toHaveLength(1);
  });

  it('accepts a signature made with the previous secret during rotation', async () => {
    const previous = generateSigningSecret();
    const { context } = webhookContext(
      signed({ messageType: 'new_lead', lead }, { secrets: [previous] }),
      {
        parameters: { verifySignature: true },
        credentials: { standardWebhooksSigningApi: { secret, previousSecret: previous } },
      },
    );
    const result = await node.webhook.call(context);
    expect(result.workflowData?.[0]).toHaveLength(1);
  });

  it('answers 500 (so the sender retries) when verification is on but no credential is set', async () => {
    const { result, response } = await call(
      signed({ messageType: 'new_lead', lead }),
      {},
      { credentials: {} },
    );
    expect(result).toEqual({ noWebhookResponse: true });
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body ?? '').error.code).toBe('signing_not_configured');
  });

  it('accepts unsigned requests when Verify Signature is off', async () => {
    const request = { body: { messageType: 'lead_update', lead }, headers: {} };
    const { context, log } = webhookContext(request, { parameters: { verifySignature: false } });
    const result = await node.webhook.call(context);
    expect(log.getCredentials).toEqual([]);
    expect(result.workflowData?.[0][0].json).toMatchObject({
      messageType: 'lead_update',
      firstName: 'Jane',
    });
    expect(result.workflowData?.[0][0].json).not.toHaveProperty('deliveryId');
  });
});

describe('Lead Trigger (R10): body shapes and filters', () => {
  const events = [
    { messageType: 'new_lead', lead: { ...lead, leadId: 'a', leadOrderId: 'lo_1' } },
    { messageType: 'lead_update', lead: { ...lead, leadId: 'b', leadOrderId: 'lo_2' } },
    { messageType: 'new_lead', lead: { ...lead, leadId: 'c', leadOrderId: 'lo_3' } },
  ];

  it('accepts an array of events and suffixes deliveryId with the event index', async () => {
    const { result } = await call(signed(events, { id: 'msg_batch' }));
    expect(result.webhookResponse).toEqual({ received: 3, accepted: 3 });
    expect(result.workflowData?.[0].map((i) => [i.json.leadId, i.json.deliveryId])).toEqual([
      ['a', 'msg_batch-0'],
      ['b', 'msg_batch-1'],
      ['c', 'msg_batch-2'],
    ]);
  });

  it('accepts {events: [...]}', async () => {
    const { result } = await call(signed({ events }));
    expect(result.workflowData?.[0]).toHaveLength(3);
  });

  it('filters by message type and lead order; indexes stay those of the body', async () => {
    const { result } = await call(signed({ events }, { id: 'msg_f' }), {
      messageTypes: ['new_lead'],
      leadOrderIds: ' lo_3 , lo_2',
    });
    expect(result.webhookResponse).toEqual({ received: 3, accepted: 1 });
    expect(result.workflowData?.[0].map((i) => i.json.deliveryId)).toEqual(['msg_f-2']);
  });

  it('acknowledges but starts nothing when every event is filtered out', async () => {
    const { result, response } = await call(signed(events), { messageTypes: [], leadOrderIds: '' });
    expect(result).toEqual({ webhookResponse: { received: 3, accepted: 0 } });
    expect(response.ended).toBe(false);
  });

  it('keeps only catalogue keys, copied as own properties', async () => {
    const body = {
      messageType: 'new_lead',
      lead: { ...sampleLead(), internalScore: 99, constructor: 'x', phone: 5550100 },
    };
    const { result } = await call(signed(body));
    const json = result.workflowData?.[0][0].json ?? {};
    expect(json).not.toHaveProperty('internalScore');
    expect(Object.hasOwn(json, 'constructor')).toBe(false);
    expect(json.phone).toBe('5550100');
    expect(Object.keys(json)).toEqual([...Object.keys(sampleLead()), 'messageType', 'deliveryId']);
  });

  it.each([
    ['not an event', { hello: 'world' }, /must be a lead event/],
    [
      'a flat event with no catalogue field (outputs renamed)',
      { messageType: 'new_lead', given_name: 'Jane', mail: 'jane@example.com' },
      /^no lead field found: send the lead as "lead": \{\.\.\.\} or its fields/,
    ],
    [
      'a flat event whose field is not text',
      { messageType: 'new_lead', email: { a: 1 } },
      /^email must be a string or null$/,
    ],
    [
      'a flat event in a list with a bad meeting time',
      [{ messageType: 'lead_update', email: 'a@b.c', requestedMeetingTime: 'soon' }],
      /^events\[0\]: requestedMeetingTime/,
    ],
    [
      'an unknown messageType',
      { messageType: 'lead_deleted', lead },
      /^messageType must be one of/,
    ],
    [
      'a lead that is not an object',
      { events: [{ messageType: 'new_lead', lead: 'x' }] },
      /events\[0\]\.lead must be an object/,
    ],
    ['an empty list', [], /no events/],
    [
      'a bad meeting time',
      [
        { messageType: 'new_lead', lead },
        { messageType: 'new_lead', lead: { requestedMeetingTime: 'soon' } },
      ],
      /events\[1\]\.lead: requestedMeetingTime/,
    ],
    [
      'a nested object value',
      { messageType: 'new_lead', lead: { email: { a: 1 } } },
      /lead\.email must be a string/,
    ],
  ])('answers 400 and emits nothing for %s', async (_name, body, message) => {
    const { result, response } = await call(signed(body));
    expect(result).toEqual({ noWebhookResponse: true });
    expect(response.statusCode).toBe(400);
    const error = JSON.parse(response.body ?? '').error;
    expect(error.code).toBe('invalid_body');
    expect(error.message).toMatch(message);
  });

  it('checks the signature before looking at the body', async () => {
    const request = signed({ hello: 'world' }, { secrets: [generateSigningSecret()] });
    const { response } = await call(request);
    expect(response.statusCode).toBe(401);
  });
});

describe("Lead Trigger: the runner's default JSON body (flat fields next to messageType)", () => {
  // What the runner sends with its default JSON mapping (firstName, lastName, email, phone).
  const flat = {
    messageType: 'lead_update',
    firstName: 'Jane',
    lastName: 'Doe',
    email: 'jane@example.com',
    phone: null,
    requestedMeetingTime: '2026-04-22T19:45:00+00:00',
    timeZone: 'America/New_York',
    unmapped: 'ignored',
  };

  it('is accepted as one event, keeping only catalogue fields', async () => {
    const { result, response } = await call(signed(flat, { id: 'msg_flat' }));
    expect(response.ended).toBe(false);
    expect(result.webhookResponse).toEqual({ received: 1, accepted: 1 });
    expect(result.workflowData).toEqual([
      [
        {
          json: {
            firstName: 'Jane',
            lastName: 'Doe',
            email: 'jane@example.com',
            phone: null,
            timeZone: 'America/New_York',
            requestedMeetingTime: '2026-04-22T19:45:00+00:00',
            formattedRequestedMeetingTime:
              'Wednesday, April 22, 2026 at 3:45 PM Eastern Daylight Time',
            messageType: 'lead_update',
            deliveryId: 'msg_flat',
          },
        },
      ],
    ]);
  });

  it("keeps the sender's formatted meeting time when the body carries no timeZone", async () => {
    const { timeZone, ...withoutZone } = flat;
    void timeZone;
    const { result } = await call(
      signed({
        ...withoutZone,
        formattedRequestedMeetingTime: 'Wednesday, April 22, 2026 at 3:45 PM Eastern Daylight Time',
      }),
    );
    expect(result.workflowData?.[0][0].json).toMatchObject({
      requestedMeetingTime: '2026-04-22T19:45:00+00:00',
      formattedRequestedMeetingTime: 'Wednesday, April 22, 2026 at 3:45 PM Eastern Daylight Time',
    });
    // Without one it is computed (in UTC, there being no zone).
    const computed = await call(signed(withoutZone));
    expect(computed.result.workflowData?.[0][0].json.formattedRequestedMeetingTime).toBe(
      'Wednesday, April 22, 2026 at 7:45 PM Coordinated Universal Time',
    );
  });

  it('is the same lead as the {messageType, lead} shape', async () => {
    const { messageType, ...fields } = flat;
    const nested = await call(signed({ messageType, lead: fields }, { id: 'msg_same' }));
    const flatCall = await call(signed(flat, { id: 'msg_same' }));
    expect(flatCall.result.workflowData).toEqual(nested.result.workflowData);
  });

  it('may be listed, mixed with nested events', async () => {
    const { result } = await call(
      signed([flat, { messageType: 'new_lead', lead: { email: 'x@example.com' } }], { id: 'm' }),
    );
    expect(result.workflowData?.[0].map((i) => [i.json.email, i.json.deliveryId])).toEqual([
      ['jane@example.com', 'm-0'],
      ['x@example.com', 'm-1'],
    ]);
  });

  it('refuses a lead key that is not an object rather than reading the body flat', async () => {
    const { response } = await call(signed({ ...flat, lead: 'x' }));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '').error.message).toBe('lead must be an object');
  });
});

describe('Lead Trigger (R10): description', () => {
  it('is a POST webhook trigger on lead-events answering after delivery unless told otherwise', () => {
    const { description } = node;
    expect(description.group).toEqual(['trigger']);
    expect(description.inputs).toEqual([]);
    expect(description.webhooks).toEqual([
      {
        name: 'default',
        httpMethod: 'POST',
        responseMode:
          '={{$parameter["respond"] === "whenReceived" ? "onReceived" : "responseNode"}}',
        // Set, and empty: n8n 2.41 sends the text 'firstEntryJson' when it is left out.
        responseData: '',
        path: 'lead-events',
      },
    ]);
    const respond = description.properties.find((p) => p.name === 'respond');
    expect(respond?.default).toBe('afterDelivery');
    expect(respond?.options?.map((o) => ('value' in o ? o.value : undefined))).toEqual([
      'afterDelivery',
      'whenReceived',
    ]);
    expect(description.credentials).toEqual([
      expect.objectContaining({
        name: 'standardWebhooksSigningApi',
        displayOptions: { show: { verifySignature: [true] } },
      }),
    ]);
    const messageTypes = description.properties.find((p) => p.name === 'messageTypes');
    expect(messageTypes?.default).toEqual(['new_lead', 'lead_update']);
  });

  it('has a no-op webhook lifecycle (the sender is configured by hand)', async () => {
    const methods = node.webhookMethods.default;
    const hook = {} as never;
    await expect(methods.checkExists.call(hook)).resolves.toBe(true);
    await expect(methods.create.call(hook)).resolves.toBe(true);
    await expect(methods.delete.call(hook)).resolves.toBe(true);
  });
});
