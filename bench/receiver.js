// A minimal webhook sink in its own process: answers 200 at once and remembers when each
// webhook-id arrived (wall clock in fractional ms), for the benchmark's latency figures.
const http = require('node:http');

const arrivals = new Map();
let count = 0;
const now = () => performance.timeOrigin + performance.now();

const server = http.createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    count += 1;
    const id = request.headers['webhook-id'];
    if (id && !arrivals.has(id)) arrivals.set(id, now());
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    response.end('ok');
  });
});
server.keepAliveTimeout = 60_000;

process.on('message', (message) => {
  if (message.type === 'count') process.send({ type: 'count', count });
  if (message.type === 'reset') {
    arrivals.clear();
    count = 0;
    process.send({ type: 'reset' });
  }
  if (message.type === 'arrivals') {
    process.send({ type: 'arrivals', arrivals: Object.fromEntries(arrivals) });
  }
  if (message.type === 'stop') server.close(() => process.exit(0));
});

server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
