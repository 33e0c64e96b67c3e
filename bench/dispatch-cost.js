// `npm run bench:dispatch`: the worker's CPU per delivery for one endpoint group's template
// execution (n8n-core's WorkflowExecute, Field Mapper, Format Payload, Webhook Deliver and the
// HTTP exchange), in groups of 1 (many endpoints, few leads each: P7's burst) and of 20, into a
// receiver inside this process (its CPU counted too). No database: for A/B work on the engine
// path. Two rounds each; the first warms up.
//
//   N=3000 node bench/dispatch-cost.js
const http = require('node:http');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { Agent } = require('undici');

// n8n-core keeps a settings file under the user folder: a throwaway one, not the home directory.
process.env.N8N_USER_FOLDER = mkdtempSync(path.join(tmpdir(), 'ld-bench-dispatch-'));
process.env.N8N_ENCRYPTION_KEY = 'bench-dispatch-cost';

const dist = path.join(__dirname, '../runner/dist');
const { dispatchToEndpoint } = require(`${dist}/runner/src/worker/dispatcher.js`);
const { warmUpDeliveryPath } = require(`${dist}/runner/src/worker/warmUp.js`);
const { sampleLead } = require(`${dist}/core/catalogue.js`);
const { standardMappings } = require(`${dist}/core/mapping.js`);
const { generateSigningSecret } = require(`${dist}/core/signing.js`);
const { setWebhookDeliverTransport } = require(`${dist}/nodes/WebhookDeliver/transport.js`);

const N = Number(process.env.N || 3000);

async function main() {
  await warmUpDeliveryPath();
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200).end('ok'));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  setWebhookDeliverTransport({ dispatcher: new Agent({ connections: 4 }) });
  const secret = generateSigningSecret();
  const endpoint = {
    id: 'bench',
    url: `http://127.0.0.1:${server.address().port}/hook`,
    format: 'json',
    headers: [],
    constants: [],
    fieldMappings: standardMappings('json'),
    timeoutMs: 5000,
  };
  for (const groupSize of [1, 20]) {
    for (let round = 1; round <= 2; round++) {
      const cpuBefore = process.cpuUsage();
      for (let i = 0; i < N / groupSize; i++) {
        const deliveries = Array.from({ length: groupSize }, (_, k) => ({
          id: `d${round}-${i}-${k}`,
          messageType: 'new_lead',
          leadSnapshot: sampleLead(),
        }));
        const [report] = await dispatchToEndpoint(endpoint, deliveries, {
          concurrency: 10,
          signingSecrets: [secret],
          executionId: 'bench',
        });
        if (!report.success) throw new Error(report.error);
      }
      const cpu = process.cpuUsage(cpuBefore);
      const perDelivery = (cpu.user + cpu.system) / N;
      console.log(
        `groups of ${groupSize}, round ${round}: ${perDelivery.toFixed(0)} µs CPU per delivery`,
      );
    }
  }
  server.close();
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
