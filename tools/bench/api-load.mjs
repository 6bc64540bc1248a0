// The load generator of `npm run bench:api`, in its own process so its CPU time is measured apart from the
// server's: autocannon (keep-alive connections, one request in flight on each, a C-speed-enough HTTP/1.1
// client) sends for `seconds`, then this prints one JSON line: requests answered, the share that were not
// 200, the latency of every answer (ms, from autocannon's own timing, all answers, not only 2xx), and this
// process's CPU time. Plain JavaScript run by node, so no compiler's start-up or memory is in the figures.
//
// Input (argv[2], JSON): { url, path, method, headers, connections, seconds, template?, run, targets }.
// With a `template` every request carries a distinct CloudWatch alarm state change as EventBridge delivers
// it (see alarmBody), id `bench-<run>-<n>`.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');

const options = JSON.parse(process.argv[2]);

let n = 0;
// The template (test/functions/http/support.ts alarmEvent, made by the parent) with placeholders for what
// differs between requests: the id, the target, the value and the time.
const template = options.template;
/** A distinct EventBridge-delivered alarm state change for target `n % targets`. */
function alarmBody() {
  const i = n++;
  return template
    .replaceAll('@ID@', `bench-${options.run}-${i}`)
    .replaceAll('@T@', String(i % options.targets))
    .replaceAll('12345.5', String(66 + (i % 9)))
    .replaceAll('2000-01-01T00:00:00.000Z', new Date().toISOString());
}

const request = { method: options.method, path: options.path, headers: options.headers };
let decided = 0;
if (options.template) {
  request.setupRequest = (req) => ({ ...req, body: alarmBody() });
  // Every webhook must be decided anew (not answered from the idempotency record as a duplicate).
  request.onResponse = (status, body) => {
    if (status === 200 && body.includes('"status":"decided"')) decided++;
  };
}

const latencies = [];
let non200 = 0;
let firstNon200;
const cpuBefore = process.cpuUsage();
const instance = autocannon(
  {
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    duration: options.seconds,
    requests: [request],
  },
  (error, result) => {
    if (error) {
      console.error(error);
      process.exit(1);
    }
    const cpu = process.cpuUsage(cpuBefore);
    console.log(
      JSON.stringify({
        count: latencies.length,
        decided,
        non200,
        firstNon200,
        errors: result.errors,
        timeouts: result.timeouts,
        seconds: result.duration,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        latencies,
      }),
    );
  },
);
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  latencies.push(responseTime);
  if (statusCode !== 200 && non200++ === 0) firstNon200 = statusCode;
});
