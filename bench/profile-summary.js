// Where the time goes per request: reads a V8 .cpuprofile (from `bench/throughput.js
// --cpu-prof`) and attributes every sample's self time to one stage of an exchange, by
// the function and file it was taken in, then divides by the requests served.
//
//   node bench/profile-summary.js bench/profiles/CPU.…cpuprofile --requests 37832
//   node bench/profile-summary.js FILE --top 25        # also the 25 heaviest functions
//
// Stages (first rule that matches the sampled frame wins):
//   GC         V8's garbage collector
//   parse      reading the client's request: Node's HTTP server parser and request objects
//   route      Switchyard's decisions: checks, access list, router, path mapping
//   headers    header work: ours (hop-by-hop, X-Forwarded, reverse) and undici's validation
//   upstream   the backend side: undici's client, pool and parser
//   respond    writing the response to the client: Node's ServerResponse and outgoing
//   capture    the traffic log (recorder, ring buffer)
//   forwarder  Switchyard's forwarder glue (exchange handler, WebExchange, transport)
//   sockets    streams, net, timers, and the native side of socket I/O
//   other      everything else that ran; idle time is not counted
import { readFileSync } from 'node:fs';

const RULES = [
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['capture', (f) => /\/capture\//.test(f.url)],
  [
    'route',
    (f) => /\/engine\/(router|paths|request-checks|access|client-timeouts)\.js$/.test(f.url),
  ],
  ['headers', (f) => /\/engine\/(headers|reverse)\.js$/.test(f.url)],
  [
    'headers',
    (f) =>
      /undici\/lib\/core\/(request|util)\.js$/.test(f.url) &&
      /Header|header|isValid|parseHeaders|processHeader/.test(f.functionName),
  ],
  ['upstream', (f) => /node_modules\/undici\//.test(f.url)],
  [
    'forwarder',
    (f) => /\/engine\/(forwarder\/|exchange-handler|balancing\/|body-replay)/.test(f.url),
  ],
  [
    'parse',
    (f) =>
      /node:_http_(server|common|incoming)$/.test(f.url) &&
      !/write|Write|end$|_finish|resOnFinish/.test(f.functionName),
  ],
  ['respond', (f) => /node:_http_(outgoing|server)$/.test(f.url)],
  [
    'sockets',
    (f) =>
      /node:(net|stream|internal\/streams|internal\/timers|timers|internal\/stream_base_commons|events|internal\/process\/task_queues)/.test(
        f.url,
      ) || /^\((program)\)$/.test(f.functionName),
  ],
  ['sockets', (f) => f.url === '' && f.functionName !== '(idle)' && f.functionName !== '(root)'],
];

function stageOf(frame) {
  for (const [stage, test] of RULES) if (test(frame)) return stage;
  return 'other';
}

function main() {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
  const at = (name) => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : Number(args[i + 1]);
  };
  if (!file) {
    console.error('usage: node bench/profile-summary.js FILE.cpuprofile [--requests N] [--top N]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Sample intervals: timeDeltas[i] is the time before sample i.
  const selfUs = new Map();
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  });
  const stages = new Map();
  const functions = new Map();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    busy += us;
    const stage = stageOf(frame);
    stages.set(stage, (stages.get(stage) ?? 0) + us);
    const key = `${stage.padEnd(9)} ${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(node_modules|out\/cli)\//, '$1/')}:${frame.lineNumber + 1}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  const requests = at('--requests');
  const rows = [...stages].sort((a, b) => b[1] - a[1]);
  console.log(`profile: ${file}`);
  console.log(
    `busy:    ${(busy / 1e6).toFixed(2)} s of samples${requests ? `, ${requests.toLocaleString('en-US')} requests` : ''}`,
  );
  console.log('');
  console.log(`stage       share${requests ? '   µs/request' : ''}`);
  for (const [stage, us] of rows) {
    const share = `${((us / busy) * 100).toFixed(1)}%`.padStart(6);
    const per = requests ? `   ${(us / requests).toFixed(1).padStart(7)}` : '';
    console.log(`${stage.padEnd(10)} ${share}${per}`);
  }
  if (requests)
    console.log(`${'total'.padEnd(10)} 100.0%   ${(busy / requests).toFixed(1).padStart(7)}`);
  const top = at('--top');
  if (top) {
    console.log('');
    console.log(`heaviest ${top} functions (self time):`);
    for (const [key, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${`${((us / busy) * 100).toFixed(1)}%`.padStart(6)}  ${key}`);
    }
  }
}

main();
