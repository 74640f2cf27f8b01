// Where the time goes, for the goals bench/run reports as not met (bench/README.md quotes it).
//
//   node bench/profile.mjs [--n=3000] [--json]
//
// 1. The sidecar's presign op (protocol.mjs runOp, sealed secret, as PHP sends it), CPU-profiled
//    (V8's sampling profiler through node:inspector, after a warm-up) in a child process: self
//    time by area and per function.
// 2. A page of 100 through the sidecar's HTTP handler (`POST /v1/batch` body parsing included), in
//    the batch envelope PHP sends (storage and credentials once), profiled the same way: the
//    sidecar's share of a PHP page.
//    Also per-call times of the same op with a plain secret and of the decrypt op alone (the parts).
//    And the same page over the sidecar's real HTTP server, from Node: the page without PHP.
//    The same page as one `presign-page` op (keys and file names as arrays, URLs back), profiled
//    and over HTTP the same way, alternated with the batch.
// 3. Cold start in phases: Node itself, importing the sidecar's modules (those a presign needs; the
//    storage ops' load on first use), compiling and instantiating the wasm core, its first presign.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const arg = (name, def) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : def;
};
const N = arg('n', 3000);
const JSON_OUT = process.argv.includes('--json');
const say = (...a) => (JSON_OUT ? process.stderr : process.stdout).write(a.join(' ') + '\n');

// The child: runs one workload, nothing else, so the profile holds only it.
if (process.argv[2] === '--child') {
  const what = process.argv[3];
  const W = await import('./lib/workload.mjs');
  const { createProtocol } = await import('../php-bridge/sidecar/protocol.mjs');
  const p = createProtocol({ startedAt: Date.now(), inFlight: 0 });
  const keyMaterial = 'bench-auth-salt|bench-secure-auth-salt';
  const context = 'site:1|field:secret_access_key';
  const env = await p.runOp('encrypt', { keyMaterial, context, plaintext: W.CREDS.secretAccessKey });
  const credentials = { accessKeyId: W.CREDS.accessKeyId, sealedSecret: { envelope: env.result.envelope, keyMaterial, context } };
  const args = (key) => ({
    storage: { ...W.STORAGE }, credentials, now: W.NOW_SECONDS, method: 'GET', key, expiresIn: W.GET_EXPIRES,
    query: [], headers: [], responseContentDisposition: W.CONTENT_DISPOSITION,
  });
  const n = Number(process.argv[4]);
  // Profile only the loop: start-up and module loading stay out (warm-up first, then the profiler).
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  const run = async (count) => {
  if (what === 'decrypt') {
    for (let i = 0; i < count; i++) await p.runOp('decrypt', { keyMaterial, context, envelope: env.result.envelope });
  } else if (what === 'plain') {
    for (let i = 0; i < count; i++) await p.runOp('presign', { ...args(W.KEY), credentials: { ...W.CREDS } });
  } else if (what === 'op') {
    for (let i = 0; i < count; i++) {
      const r = await p.runOp('presign', args(W.KEY));
      if (!r.ok) throw new Error(JSON.stringify(r.error));
    }
  } else if (what === 'page') {
    // The page as PHP sends it now (Client::presign_page): one presign-page op, keys and file names as arrays.
    const body = Buffer.from(JSON.stringify(pageArgs(W, credentials)));
    for (let i = 0; i < count / 100; i++) {
      const r = await p.handle('POST', '/v1/op/presign-page', body);
      if (!r.json.ok) throw new Error(JSON.stringify(r.json.error));
      JSON.stringify(r.json);
    }
  } else {
    // The page as PHP sends it (Client::batch with the envelope): storage and credentials once.
    const fields = (key) => {
      const { storage: _s, credentials: _c, ...rest } = args(key);
      return rest;
    };
    const body = Buffer.from(JSON.stringify({
      op: 'batch', storage: { ...W.STORAGE }, credentials,
      ops: Array.from({ length: 100 }, (_, i) => ({ op: 'presign', args: fields(W.KEY.replace('/42/', `/${42 + i}/`)) })),
    }));
    for (let i = 0; i < count / 100; i++) {
      const r = await p.handle('POST', '/v1/batch', body);
      JSON.stringify(r.json); // the server serialises the answer too
    }
  }
  };
  await run(Math.max(100, n / 10));
  await session.post('Profiler.start');
  const t0 = process.hrtime.bigint();
  await run(n);
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / n;
  const { profile } = await session.post('Profiler.stop');
  fs.writeFileSync(process.argv[5], JSON.stringify(profile));
  process.stdout.write(JSON.stringify({ usPerPresign: us }) + '\n');
  process.exit(0);
}

// presign-page's args for a page of 100 (the workload's key, numbered), as Client::presign_page() sends them.
function pageArgs(W, credentials) {
  const keys = Array.from({ length: 100 }, (_, i) => W.KEY.replace('/42/', `/${42 + i}/`));
  return {
    storage: { ...W.STORAGE }, credentials, keys, now: W.NOW_SECONDS, expiresIn: W.GET_EXPIRES,
    filenames: keys.map((k) => k.slice(k.lastIndexOf('/') + 1)),
  };
}

function summarize(file, top = 12) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const self = new Map();
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const dt = new Map();
  for (let i = 0; i < prof.samples.length; i++) dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
  let total = 0;
  for (const [id, t] of dt) {
    const n = byId.get(id);
    const f = n.callFrame;
    const where = f.url ? `${f.url.startsWith('node:') ? f.url : path.basename(f.url)}:${f.lineNumber + 1}` : '';
    const name = `${f.functionName || '(anonymous)'} ${where}`.trim();
    self.set(name, (self.get(name) ?? 0) + t);
    total += t;
  }
  const cat = new Map();
  for (const [name, t] of self) {
    const c = /^wasm-function|wasm-to-js|js-to-wasm/.test(name) ? 'wasm core (Rust)'
      : / wps3\.js:/.test(name) ? 'wasm-bindgen glue (wps3.js: strings/objects across the boundary)'
      : / (protocol|core|errors|log|server|objects|upload)\.mjs:/.test(name) ? 'sidecar JS (protocol.mjs, core.mjs)'
      : /garbage collector/.test(name) ? 'garbage collector'
      : / profile\.mjs:/.test(name) ? 'the benchmark loop itself'
      : 'Node internals / other (JSON, TextDecoder, module loading)';
    cat.set(c, (cat.get(c) ?? 0) + t);
  }
  return {
    categories: [...cat.entries()].sort((a, b) => b[1] - a[1]).map(([name, t]) => ({ name, share: t / total })),
    top: [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, t]) => ({ name, share: t / total, ms: t / 1e3 })),
  };
}

function profile(what) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wps3-prof-'));
  const file = path.join(dir, 'loop.cpuprofile');
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', what, String(N), file], { cwd: ROOT, encoding: 'utf8' });
  const res = { ...JSON.parse(out.trim().split('\n').pop()), ...summarize(file) };
  fs.rmSync(dir, { recursive: true, force: true });
  return res;
}

// A page of 100 over the sidecar's real HTTP server (unix socket, keep-alive), from Node: the page's
// cost without PHP. Same envelope as the batch profile.
async function httpPage(rounds = 30) {
  const http = await import('node:http');
  const { spawn } = await import('node:child_process');
  const W = await import('./lib/workload.mjs');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wps3-prof-http-'));
  fs.chmodSync(dir, 0o700);
  const sock = path.join(dir, 'sidecar.sock');
  const child = spawn(process.execPath, [path.join(ROOT, 'php-bridge/sidecar/server.mjs'), '--socket', sock], { stdio: 'ignore' });
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const post = (p, body) => new Promise((resolve, reject) => {
      const req = http.request({ socketPath: sock, path: p, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        let d = '';
        res.on('data', (c) => (d += c));
        res.on('end', () => resolve(JSON.parse(d)));
      });
      req.on('error', reject);
      req.end(body);
    });
    for (let i = 0; i < 500 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    const keyMaterial = 'bench-auth-salt|bench-secure-auth-salt';
    const context = 'site:1|field:secret_access_key';
    const env = await post('/v1/op/encrypt', JSON.stringify({ keyMaterial, context, plaintext: W.CREDS.secretAccessKey }));
    const body = JSON.stringify({
      op: 'batch', storage: { ...W.STORAGE }, credentials: { accessKeyId: W.CREDS.accessKeyId, sealedSecret: { envelope: env.result.envelope, keyMaterial, context } },
      ops: Array.from({ length: 100 }, (_, i) => ({ op: 'presign', args: { now: W.NOW_SECONDS, method: 'GET', key: W.KEY.replace('/42/', `/${42 + i}/`), expiresIn: W.GET_EXPIRES, query: [], headers: [], responseContentDisposition: W.CONTENT_DISPOSITION } })),
    });
    const page = JSON.stringify(pageArgs(W, { accessKeyId: W.CREDS.accessKeyId, sealedSecret: { envelope: env.result.envelope, keyMaterial, context } }));
    // The two shapes alternate, so both see the same load.
    const ms = { batch: [], page: [] };
    const bytes = { batch: 0, page: 0 };
    for (let i = 0; i < rounds + 20; i++) {
      for (const kind of i % 2 ? ['page', 'batch'] : ['batch', 'page']) {
        const t0 = process.hrtime.bigint();
        const r = kind === 'batch' ? await post('/v1/batch', body) : await post('/v1/op/presign-page', page);
        const t = Number(process.hrtime.bigint() - t0) / 1e6;
        if (kind === 'batch' ? !r.results?.every((x) => x.ok) : !(r.ok && r.result.urls.every((u) => typeof u === 'string'))) throw new Error(`${kind} failed`);
        bytes[kind] = JSON.stringify(r).length;
        if (i >= 20) ms[kind].push(t);
      }
    }
    agent.destroy();
    const p50 = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return {
      pageP50Ms: p50(ms.batch), requestBytes: body.length, replyBytes: bytes.batch,
      presignPageP50Ms: p50(ms.page), presignPageRequestBytes: page.length, presignPageReplyBytes: bytes.page,
    };
  } finally {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function coldPhases() {
  const script = `
    const t = [performance.now()];
    await import(${JSON.stringify(path.join(ROOT, 'php-bridge/sidecar/protocol.mjs'))});
    t.push(performance.now());
    const core = await import(${JSON.stringify(path.join(ROOT, 'php-bridge/sidecar/core.mjs'))});
    await core.startCore(); // as server.mjs: compiled off the main thread, then instantiated
    t.push(performance.now());
    const b = new (core.getCore().Bucket)({ provider: 'aws', region: 'us-east-1', bucket: 'examplebucket' }, { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
    b.presignSimple('GET', 'a/b.pdf', 900, 1795000000);
    t.push(performance.now());
    process.stdout.write(JSON.stringify({ bootMs: t[0], importMs: t[1] - t[0], wasmMs: t[2] - t[1], firstSignMs: t[3] - t[2] }));`;
  const runs = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    const o = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    runs.push({ ...o, totalMs: Number(process.hrtime.bigint() - t0) / 1e6 });
  }
  const med = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[2];
  return { nodeBootMs: med('bootMs'), importModulesMs: med('importMs'), wasmInstantiateMs: med('wasmMs'), firstSignMs: med('firstSignMs'), processTotalMs: med('totalMs') };
}

const result = { op: profile('op'), plain: profile('plain'), decrypt: profile('decrypt'), batch: profile('batch'), page: profile('page'), http: await httpPage(), cold: coldPhases(), loadavg: os.loadavg()[0] };
say(`per call: presign op with the sealed secret ${result.op.usPerPresign.toFixed(1)} µs, with a plain secret ${result.plain.usPerPresign.toFixed(1)} µs, the decrypt op alone ${result.decrypt.usPerPresign.toFixed(1)} µs; in a batch of 100 ${result.batch.usPerPresign.toFixed(1)} µs per presign; in one presign-page op ${result.page.usPerPresign.toFixed(1)} µs per link`);
for (const [k, title] of [['op', 'sidecar presign op (runOp, sealed secret)'], ['batch', 'sidecar POST /v1/batch, pages of 100'], ['page', 'sidecar POST /v1/op/presign-page, pages of 100']]) {
  say(`\n== ${title}: ${result[k].usPerPresign.toFixed(1)} µs per presign; self time by area:`);
  for (const t of result[k].categories) say(`  ${(t.share * 100).toFixed(1).padStart(5)}%  ${t.name}`);
  say('  top functions:');
  for (const t of result[k].top) say(`  ${(t.share * 100).toFixed(1).padStart(5)}%  ${t.name}`);
}
const h = result.http;
say(`\n== a page of 100 over the sidecar's HTTP server from Node (unix socket, keep-alive, no PHP), alternated: batch of 100 presign ops p50 ${h.pageP50Ms.toFixed(2)} ms (request ${h.requestBytes} B, reply ${h.replyBytes} B); one presign-page op p50 ${h.presignPageP50Ms.toFixed(2)} ms (request ${h.presignPageRequestBytes} B, reply ${h.presignPageReplyBytes} B)`);
const c = result.cold;
say(`\n== cold start phases (median of 5): node boot ${c.nodeBootMs.toFixed(0)} ms, import sidecar modules ${c.importModulesMs.toFixed(0)} ms, wasm compile + instantiate ${c.wasmInstantiateMs.toFixed(0)} ms, first presign in wasm ${c.firstSignMs.toFixed(0)} ms, process total ${c.processTotalMs.toFixed(0)} ms (load ${result.loadavg.toFixed(1)})`);
if (JSON_OUT) process.stdout.write(JSON.stringify(result) + '\n');
