// The webhook sink of the receiver scenarios (P7–P9), in its own process. Real receivers differ,
// so the request path chooses how this one answers: `/now` at once, `/delay/<ms>` after that many
// milliseconds, `/hang` never (the socket stays open until the runner gives up on it), `/floor` at
// once, counted apart (bench/latency-floor.js's posts, beside the worker's). Like
// bench/receiver.js it remembers when each webhook-id first arrived (wall clock, fractional ms);
// it also counts the ids that came again, and the requests open at once, per class.
const http = require('node:http');

const now = () => performance.timeOrigin + performance.now();
const CLASSES = ['now', 'delay', 'hang', 'floor'];
/** Thousands of runner connections may open at the same moment (P9); the kernel caps it anyway. */
const LISTEN_BACKLOG = 4096;

const arrivals = new Map();
const hanging = new Set();
let stats = freshStats();
let open = 0;
let peakOpen = 0;

function freshStats() {
  return Object.fromEntries(
    CLASSES.map((name) => [name, { requests: 0, distinct: 0, duplicates: 0 }]),
  );
}

/** `/delay/200` → { name: 'delay', delayMs: 200 }; any other path answers at once. */
function behaviourOf(url) {
  if (url.startsWith('/hang')) return { name: 'hang' };
  if (url.startsWith('/floor')) return { name: 'floor' };
  const delay = /^\/delay\/(\d+)/.exec(url);
  if (delay) return { name: 'delay', delayMs: Number(delay[1]) };
  return { name: 'now' };
}

function noteArrival(name, id) {
  const counts = stats[name];
  counts.requests += 1;
  if (!id) return;
  if (arrivals.has(id)) counts.duplicates += 1;
  else {
    arrivals.set(id, now());
    counts.distinct += 1;
  }
}

function answer(response) {
  response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
  response.end('ok');
}

const server = http.createServer(
  // A hanging request is received in full and then left unanswered for as long as the runner
  // waits (10 s): node's per-request timers must not end it first.
  { requestTimeout: 0, keepAliveTimeout: 60_000 },
  (request, response) => {
    const behaviour = behaviourOf(request.url);
    open += 1;
    peakOpen = Math.max(peakOpen, open);
    response.once('close', () => {
      open -= 1;
      hanging.delete(response);
    });
    request.resume();
    request.on('end', () => {
      noteArrival(behaviour.name, request.headers['webhook-id']);
      if (behaviour.name === 'hang') hanging.add(response);
      else if (behaviour.name === 'delay') setTimeout(answer, behaviour.delayMs, response);
      else answer(response);
    });
  },
);

/** Forgets everything, and drops the connections of requests still hanging from a previous run. */
function reset() {
  for (const response of hanging) response.socket?.destroy();
  hanging.clear();
  arrivals.clear();
  stats = freshStats();
  peakOpen = 0;
}

process.on('message', (message) => {
  if (message.type === 'counts') process.send({ type: 'counts', classes: stats, open, peakOpen });
  if (message.type === 'count') {
    const count = CLASSES.reduce((sum, name) => sum + stats[name].requests, 0);
    process.send({ type: 'count', count });
  }
  if (message.type === 'arrivals') {
    process.send({ type: 'arrivals', arrivals: Object.fromEntries(arrivals) });
  }
  if (message.type === 'reset') {
    reset();
    process.send({ type: 'reset' });
  }
  if (message.type === 'stop') {
    reset();
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});

server.listen(0, '127.0.0.1', LISTEN_BACKLOG, () =>
  process.send({ type: 'ready', port: server.address().port }),
);
