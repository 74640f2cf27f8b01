// Cold start: sidecar spawn (node php-bridge/sidecar/server.mjs --socket …) to its first answer,
// N times each, interleaved: to GET /v1/health, and to a real op (a presign as the first request:
// the figure a start that answered health before its core could sign would not improve); `node -e 0`
// for the floor; and the gzipped size of the browser wasm (pkg/web).
//
//   node bench/coldstart.mjs [--n=15] [--json]
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync, spawn } from 'node:child_process';
import { ROOT } from './lib/php-run.mjs';
import { quantile, median } from './lib/timing.mjs';

const arg = (name, def) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : def;
};
const N = arg('n', 15);
const JSON_OUT = process.argv.includes('--json');
const say = (...a) => (JSON_OUT ? process.stderr : process.stdout).write(a.join(' ') + '\n');
const SERVER = path.join(ROOT, 'php-bridge', 'sidecar', 'server.mjs');

const PRESIGN = JSON.stringify({
  storage: { provider: 'aws', region: 'us-east-1', bucket: 'examplebucket' },
  credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  method: 'GET', key: 'uploads/42/a1b2c3d4_report final (v2).pdf', expiresIn: 900,
});

// The first answer: health, or a presign whose answer must hold a signed URL.
const ask = (socketPath, what) =>
  new Promise((resolve) => {
    const presign = what === 'presign';
    const req = http.request({
      socketPath, path: presign ? '/v1/op/presign' : '/v1/health', method: presign ? 'POST' : 'GET', timeout: 1000,
      headers: presign ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(PRESIGN) } : {},
    }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(false);
        if (presign && !/X-Amz-Signature=[0-9a-f]{64}/.test(JSON.parse(body).result?.url ?? '')) throw new Error(`first presign gave no signed URL: ${body}`);
        resolve(true);
      });
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end(presign ? PRESIGN : undefined);
  });

async function once(what) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wps3-cold-'));
  fs.chmodSync(dir, 0o700);
  const sock = path.join(dir, 'sidecar.sock');
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [SERVER, '--socket', sock], { stdio: ['ignore', 'ignore', 'ignore'] });
  let ms = null;
  // Poll every ~1 ms: the socket appears once the server listens; the answer ends the measurement.
  while (Number(process.hrtime.bigint() - t0) / 1e6 < 10_000) {
    if (fs.existsSync(sock) && (await ask(sock, what))) {
      ms = Number(process.hrtime.bigint() - t0) / 1e6;
      break;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  fs.rmSync(dir, { recursive: true, force: true });
  if (ms === null) throw new Error('the sidecar did not answer within 10 s');
  return ms;
}

// Node's own start-up (an empty script), for scale: the floor any Node sidecar pays.
async function nodeEmpty() {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const cold = [];
const presign = [];
const empty = [];
for (let i = 0; i < N; i++) {
  cold.push(await once('health'));
  presign.push(await once('presign'));
  empty.push(await nodeEmpty());
}
const wasmFile = path.join(ROOT, 'pkg', 'web', 'wps3_bg.wasm');
const wasm = fs.readFileSync(wasmFile);
const js = fs.readFileSync(path.join(ROOT, 'pkg', 'web', 'wps3.js'));
// gzip -9, as tools/build-wasm.sh and tests/wasm-bundles.test.mjs measure the budget (zlib's level 9
// comes out about 3 % larger); zlib when the gzip tool is missing.
const gzFile = (f) => {
  try {
    return execFileSync('gzip', ['-9c', f], { maxBuffer: 1 << 26 }).length;
  } catch {
    return zlib.gzipSync(fs.readFileSync(f), { level: 9 }).length;
  }
};
const gz = (b) => zlib.gzipSync(b, { level: 9 }).length;
const out = {
  suite: 'coldstart', n: N,
  coldStartP50Ms: median(cold), coldStartP99Ms: quantile(cold, 0.99), coldStartMinMs: Math.min(...cold), coldStartAllMs: cold,
  firstPresignP50Ms: median(presign), firstPresignP99Ms: quantile(presign, 0.99), firstPresignMinMs: Math.min(...presign), firstPresignAllMs: presign,
  nodeEmptyP50Ms: median(empty), nodeEmptyMinMs: Math.min(...empty), loadavg: os.loadavg(),
  webWasmBytes: wasm.length, webWasmGzipBytes: gzFile(wasmFile), webJsGzipBytes: gz(js),
};
say(`cold start, ${N} runs each, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}: spawn -> first /v1/health answer p50 ${out.coldStartP50Ms.toFixed(1)} ms (min ${out.coldStartMinMs.toFixed(1)}); spawn -> first presign answer p50 ${out.firstPresignP50Ms.toFixed(1)} ms (min ${out.firstPresignMinMs.toFixed(1)}); node -e 0 alone p50 ${out.nodeEmptyP50Ms.toFixed(1)} ms (min ${out.nodeEmptyMinMs.toFixed(1)})`);
say(`pkg/web wasm: ${(wasm.length / 1024).toFixed(1)} KiB, gzipped ${(out.webWasmGzipBytes / 1024).toFixed(1)} KiB (+ JS glue ${(out.webJsGzipBytes / 1024).toFixed(1)} KiB gzipped)`);
if (JSON_OUT) process.stdout.write(JSON.stringify(out) + '\n');
