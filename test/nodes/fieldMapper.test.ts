import { NodeOperationError } from 'n8n-workflow';

import { LEAD_FIELDS } from '../../core/catalogue';
import { STANDARD_MAPPINGS } from '../../core/mapping';
import { FieldMapper } from '../../nodes/FieldMapper/FieldMapper.node';
import { executeContext, type OutputItem } from './fakeContext';

const node = new FieldMapper();

const lead = {
  leadId: 'lead_1',
  firstName: 'Jane',
  lastName: 'Doe',
  email: 'jane@example.com',
  phone: '+1 555 010 2030',
  requestedMeetingTime: '2026-04-22T19:45:00+00:00',
  messageType: 'lead_update',
  deliveryId: 'msg_42',
};

function mappings(...pairs: Array<[string, string]>) {
  return { mapping: pairs.map(([field, output]) => ({ field, output })) };
}

async function run(parameters: Record<string, unknown>, items: object[], continueOnFail = false) {
  const { context, log } = executeContext({ parameters, items: items as never, continueOnFail });
  const [output] = (await node.execute.call(context)) as Array<OutputItem[]>;
  return { output, log };
}

describe('Field Mapper (R2, R3)', () => {
  it('lists every catalogue field (label and key) and defaults to the standard mappings', () => {
    const property = node.description.properties.find((p) => p.name === 'fieldMappings');
    expect(property?.type).toBe('fixedCollection');
    expect(property?.typeOptions).toMatchObject({ multipleValues: true, sortable: true });
    expect(property?.default).toEqual({
      mapping: STANDARD_MAPPINGS.map(({ field, output }) => ({ field, output })),
    });
    const collection = (property?.options ?? [])[0] as {
      values: Array<{ name: string; options?: unknown[] }>;
    };
    const field = collection.values.find((v) => v.name === 'field');
    expect(field?.options).toEqual(
      LEAD_FIELDS.map((f) => expect.objectContaining({ name: f.label, value: f.key })),
    );
    const validate = node.description.properties.find((p) => p.name === 'validateMapping');
    expect(validate?.default).toBe(true);
  });

  it('maps fields in order, then constants; carries messageType and deliveryId', async () => {
    const { output } = await run(
      {
        fieldMappings: mappings(
          ['email', 'contact.email'],
          ['firstName', 'first'],
          ['company', 'org'],
        ),
        constants: { constant: [{ key: 'source', value: 'top-provider' }] },
      },
      [lead],
    );
    expect(output).toEqual([
      {
        json: {
          messageType: 'lead_update',
          deliveryId: 'msg_42',
          fields: {
            'contact.email': 'jane@example.com',
            first: 'Jane',
            org: null,
            source: 'top-provider',
          },
        },
        pairedItem: { item: 0 },
      },
    ]);
    expect(Object.keys(output[0].json.fields)).toEqual(['contact.email', 'first', 'org', 'source']);
  });

  it('uses the standard mappings when the parameter is left at its default', async () => {
    const property = node.description.properties.find((p) => p.name === 'fieldMappings');
    const { output } = await run({ fieldMappings: property?.default }, [
      { ...lead, messageType: undefined },
    ]);
    expect(output[0].json).toEqual({
      messageType: 'new_lead',
      deliveryId: 'msg_42',
      fields: {
        firstName: 'Jane',
        lastName: 'Doe',
        email: 'jane@example.com',
        phone: '+1 555 010 2030',
      },
    });
  });

  it('fails with every validation problem listed', async () => {
    const { context } = executeContext({
      parameters: {
        fieldMappings: mappings(['email', 'contact'], ['phone', 'contact.phone'], ['nope', 'x']),
        constants: { constant: [{ key: 'messageType', value: 'x' }] },
        format: 'json',
      },
      items: [lead],
    });
    const error = (await node.execute.call(context).catch((e: unknown) => e)) as NodeOperationError;
    expect(error).toBeInstanceOf(NodeOperationError);
    expect(error.message).toMatch(/field mapping is invalid for the json format \(3 problems\)/);
    expect(error.message).toMatch(/Field Mappings #3 › Field: "nope" is not a lead field/);
    expect(error.message).toMatch(/Constants #1 › Key: constant key "messageType" is reserved/);
    expect(error.message).toMatch(/collides/);
    expect(error.description).toContain('\n');
  });

  it('validates for the chosen format (XML names) and can be switched off', async () => {
    const parameters = { fieldMappings: mappings(['email', 'e-mail address']), format: 'xml' };
    await expect(run(parameters, [lead])).rejects.toThrow(/not a valid XML element name/);
    const { output } = await run({ ...parameters, validateMapping: false }, [lead]);
    expect(output[0].json.fields).toEqual({ 'e-mail address': 'jane@example.com' });
  });

  it('validates once for fixed parameters, per item for expressions', async () => {
    const items = Array.from({ length: 200 }, (_, i) => ({ ...lead, leadId: `l${i}` }));
    const { output, log } = await run({ fieldMappings: mappings(['leadId', 'id']) }, items);
    expect(output.map((o) => o.json.fields.id)).toEqual(items.map((i) => i.leadId));
    expect(log.getNodeParameter.filter((c) => c.name === 'fieldMappings')).toHaveLength(1);

    const perItem = await run(
      { fieldMappings: (i: number) => mappings(['leadId', i === 1 ? 'messageType' : 'id']) },
      items.slice(0, 3),
      true,
    );
    expect(perItem.output[0].json.fields).toEqual({ id: 'l0' });
    expect(perItem.output[1].json.error).toMatch(/reserved/);
    expect(perItem.output[2].json.fields).toEqual({ id: 'l2' });
  });

  it('an invalid messageType is an item error; Continue On Fail keeps the other items', async () => {
    const items = [{ ...lead, messageType: 'lead_deleted' }, lead];
    await expect(run({}, items)).rejects.toThrow(/Unknown messageType "lead_deleted"/);
    const { output } = await run({}, items, true);
    expect(output[0]).toEqual({
      json: {
        error: expect.stringMatching(/lead_deleted/),
        messageType: 'lead_deleted',
        deliveryId: 'msg_42',
      },
      pairedItem: { item: 0 },
    });
    expect(output[1].json.fields.firstName).toBe('Jane');
  });

  it('never reads inherited properties of the lead', async () => {
    const { output } = await run({ fieldMappings: mappings(['company', 'company']) }, [
      Object.assign(Object.create({ company: 'Evil' }), lead),
    ]);
    expect(output[0].json.fields).toEqual({ company: null });
  });
});
