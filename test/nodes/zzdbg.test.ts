import { WebhookDeliver } from '../../nodes/WebhookDeliver/WebhookDeliver.node';
import { executeContext } from './fakeContext';
it('dbg', async () => {
  const nock = (await import('nock')).default;
  nock('https://r.example.com').post('/x').reply(function (this: any, uri: string, body: unknown) {
    console.log('ctx keys', Object.keys(this), this.req && Object.keys(this.req), typeof body, body);
    return [202, 'ok'];
  });
  const { context } = executeContext({ items: [{ body: 'hello', contentType: 'text/plain' }], parameters: { url: 'https://r.example.com/x' } });
  const out = await new WebhookDeliver().execute.call(context);
  console.log(JSON.stringify(out));
});
