// The machine's floor for P7: a process that hears each delivery row's commit (a trigger's
// NOTIFY, benchmark database only) and posts it to the receiver at once, with no fetch, claim,
// template or record. What it measures is what any worker design would pay on this machine under
// the same burst: the notification, a wake-up of a process, one HTTP request.
const http = require('node:http');
const pg = require('pg');

const [databaseUrl, target] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

async function main() {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  client.on('notification', ({ payload }) => {
    const request = http.request(target, {
      method: 'POST',
      agent,
      headers: { 'webhook-id': `floor:${payload}`, 'content-length': '2' },
    });
    request.on('response', (response) => response.resume());
    request.on('error', () => {});
    request.end('{}');
  });
  await client.query('LISTEN bench_floor');
  process.send({ type: 'ready' });
  process.on('message', async (message) => {
    if (message.type === 'stop') {
      await client.end();
      process.exit(0);
    }
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
