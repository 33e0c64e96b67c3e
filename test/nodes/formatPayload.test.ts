import { NodeOperationError } from 'n8n-workflow';

import { FormatPayload } from '../../nodes/FormatPayload/FormatPayload.node';
import { executeContext, type OutputItem } from './fakeContext';

const node = new FormatPayload();

const mapperItem = {
  messageType: 'new_lead',
  deliveryId: 'msg_1',
  fields: { firstName: 'Jane', 'contact.email': 'jane@example.com', phone: null, source: 'tp' },
};

async function run(parameters: Record<string, unknown>, items: object[], continueOnFail = false) {
  const { context, log } = executeContext({ parameters, items: items as never, continueOnFail });
  const [output] = (await node.execute.call(context)) as Array<OutputItem[]>;
  return { output, log };
}

describe('Format Payload (R3)', () => {
  it('JSON: nested by dots, messageType on top, deliveryId carried', async () => {
    const { output } = await run({ format: 'json' }, [mapperItem]);
    expect(output).toHaveLength(1);
    const { json, pairedItem } = output[0];
    expect(pairedItem).toEqual({ item: 0 });
    expect(json.messageType).toBe('new_lead');
    expect(json.deliveryId).toBe('msg_1');
    expect(json.format).toBe('json');
    expect(json.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(json.body)).toEqual({
      messageType: 'new_lead',
      firstName: 'Jane',
      contact: { email: 'jane@example.com' },
      phone: null,
      source: 'tp',
    });
    expect(json.payload).toEqual(JSON.parse(json.body));
  });

  it('XML and form bodies with their content types', async () => {
    const flat = { messageType: 'lead_update', fields: { firstName: 'Jane', email: 'j@x.io' } };
    const xml = (await run({ format: 'xml' }, [flat])).output[0].json;
    expect(xml.contentType).toMatch(/^application\/xml/);
    expect(xml.body).toContain('<?xml version="1.0" encoding="UTF-8"?>');
    expect(xml.body).toContain('<messageType>lead_update</messageType>');
    expect(xml).not.toHaveProperty('deliveryId');
    const form = (await run({ format: 'form' }, [flat])).output[0].json;
    expect(form.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(new URLSearchParams(form.body).get('messageType')).toBe('lead_update');
    expect(new URLSearchParams(form.body).get('email')).toBe('j@x.io');
  });

  it('HubSpot: fields list and WEBHOOKURL from the Endpoint URL, no messageType', async () => {
    const url = 'https://api.hsforms.com/submissions/v3/integration/submit/1/abc';
    const { output } = await run({ format: 'hubspot', endpointUrl: url }, [mapperItem]);
    const payload = JSON.parse(output[0].json.body);
    expect(payload).toEqual({
      fields: [
        { name: 'firstName', value: 'Jane', objectTypeId: '0-1' },
        { name: 'contact.email', value: 'jane@example.com', objectTypeId: '0-1' },
        { name: 'source', value: 'tp', objectTypeId: '0-1' },
      ],
      WEBHOOKURL: url,
    });
  });

  it('HubSpot without an Endpoint URL is an error', async () => {
    await expect(run({ format: 'hubspot', endpointUrl: '' }, [mapperItem])).rejects.toThrow(
      /Endpoint URL/,
    );
  });

  it('an item without fields fails with NodeOperationError and its item index', async () => {
    const { context } = executeContext({
      parameters: { format: 'json' },
      items: [mapperItem, { messageType: 'new_lead', firstName: 'Jane' }],
    });
    const error = await node.execute.call(context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeOperationError);
    expect((error as NodeOperationError).message).toMatch(/Item 1 has no "fields" object/);
    expect((error as NodeOperationError).context.itemIndex).toBe(1);
  });

  it('with Continue On Fail: error items keep messageType/deliveryId and pairedItem; others go through', async () => {
    const { output } = await run(
      { format: 'json' },
      [
        { messageType: 'new_lead', deliveryId: 'msg_9', fields: 'nope' },
        mapperItem,
        { messageType: 'bogus', fields: {} },
        { messageType: 'new_lead', fields: { 'a..b': 'x' } },
      ],
      true,
    );
    expect(output).toHaveLength(4);
    expect(output[0]).toEqual({
      json: {
        error: expect.stringMatching(/no "fields"/),
        messageType: 'new_lead',
        deliveryId: 'msg_9',
      },
      pairedItem: { item: 0 },
    });
    expect(output[1].json.body).toBeDefined();
    expect(output[2].json.error).toMatch(/messageType/);
    expect(output[2].pairedItem).toEqual({ item: 2 });
    expect(output[3].json.error).toMatch(/empty segment|a\.\.b/);
  });

  it('a missing messageType defaults to new_lead', async () => {
    const { output } = await run({ format: 'json' }, [{ fields: { a: '1' } }]);
    expect(output[0].json.messageType).toBe('new_lead');
    expect(JSON.parse(output[0].json.body)).toEqual({ messageType: 'new_lead', a: '1' });
  });

  it('reads fixed parameters once, expression parameters per item', async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({
      messageType: 'new_lead',
      fields: { n: String(i) },
      format: i % 2 === 0 ? 'json' : 'form',
    }));
    const fixed = await run({ format: 'json' }, items);
    expect(fixed.log.getNodeParameter.filter((c) => c.name === 'format')).toHaveLength(1);
    const perItem = await run(
      { format: (_i: number, json: { format: string }) => json.format },
      items,
    );
    expect(perItem.log.getNodeParameter.filter((c) => c.name === 'format')).toHaveLength(50);
    expect(perItem.output[1].json.format).toBe('form');
    expect(perItem.output[2].json.format).toBe('json');
  });
});
