import { NodeOperationError } from 'n8n-workflow';

import { RouteByMessageType } from '../../nodes/RouteByMessageType/RouteByMessageType.node';
import { executeContext } from './fakeContext';

const node = new RouteByMessageType();

const items = [
  { messageType: 'new_lead', leadId: 'a', deliveryId: 'msg_a' },
  { messageType: 'lead_update', leadId: 'b' },
  { messageType: 'new_lead', leadId: 'c' },
];

describe('Route by messageType (R10)', () => {
  it('declares three outputs, New Lead / Lead Update / Other, with unknown types failing by default', () => {
    expect(node.description.outputs).toEqual(['main', 'main', 'main']);
    expect(node.description.outputNames).toEqual(['New Lead', 'Lead Update', 'Other']);
    const unknownTypes = node.description.properties.find((p) => p.name === 'unknownTypes');
    expect(unknownTypes?.default).toBe('error');
  });

  it('sends new_lead to output 1 and lead_update to output 2, unchanged, with pairedItem', async () => {
    const { context } = executeContext({ items, parameters: {} });
    const [newLeads, updates, other] = (await node.execute.call(context)) as never[][];
    expect(newLeads).toEqual([
      { json: items[0], pairedItem: { item: 0 } },
      { json: items[2], pairedItem: { item: 2 } },
    ]);
    expect(updates).toEqual([{ json: items[1], pairedItem: { item: 1 } }]);
    expect(other).toEqual([]);
  });

  it('fails on an unknown messageType, naming the type and the item', async () => {
    const { context } = executeContext({
      items: [...items, { messageType: 'lead_deleted' }],
      parameters: { unknownTypes: 'error' },
    });
    const run = node.execute.call(context);
    await expect(run).rejects.toBeInstanceOf(NodeOperationError);
    await expect(run).rejects.toThrow(/Item 3 has an unknown messageType \("lead_deleted"\)/);
  });

  it('fails on an item without messageType', async () => {
    const { context } = executeContext({ items: [{ leadId: 'x' }] });
    await expect(node.execute.call(context)).rejects.toThrow(/unknown messageType \(none\)/);
  });

  it('with Continue On Fail, puts the error item of an unknown type on the Other output', async () => {
    const { context } = executeContext({
      items: [{ messageType: 'weird', leadId: 'x' }, items[0]],
      continueOnFail: true,
    });
    const [newLeads, updates, other] = (await node.execute.call(context)) as never[][];
    expect(newLeads).toHaveLength(1);
    expect(updates).toHaveLength(0);
    expect(other).toEqual([
      {
        json: {
          messageType: 'weird',
          leadId: 'x',
          error: expect.stringContaining('unknown messageType ("weird")'),
        },
        pairedItem: { item: 0 },
      },
    ]);
  });

  it('routes unknown types to Other when "Unknown Types" is output', async () => {
    const { context } = executeContext({
      items: [{ messageType: 'weird' }, {}, items[1]],
      parameters: { unknownTypes: 'output' },
    });
    const [newLeads, updates, other] = (await node.execute.call(context)) as never[][];
    expect(newLeads).toEqual([]);
    expect(updates).toEqual([{ json: items[1], pairedItem: { item: 2 } }]);
    expect(other).toEqual([
      { json: { messageType: 'weird' }, pairedItem: { item: 0 } },
      { json: {}, pairedItem: { item: 1 } },
    ]);
  });

  it('keeps binary data and reads the parameter once for many items', async () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ json: { messageType: 'x', i } }));
    const { context, log } = executeContext({
      items: many,
      parameters: { unknownTypes: 'output' },
    });
    const [, , other] = (await node.execute.call(context)) as never[][];
    expect(other).toHaveLength(500);
    expect(log.getNodeParameter.filter((c) => c.name === 'unknownTypes')).toHaveLength(1);
  });
});
