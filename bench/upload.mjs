#!/usr/bin/env node
// Upload throughput: the sidecar's `upload-file` against `curl -T --aws-sigv4`,
// one file, the same local Garage, over http and over https (a local TLS
// relay, bench/tls-proxy.mjs, in front of Garage, which speaks only http).
//
//   node bench/upload.mjs [--size MIB=1024] [--json] [--transports http,https]
//        [--runs N=1] [--no-php] [--php-small MIB=96] [--verify]
//        [--part-size MIB=16] [--concurrency N] [--hash-workers N]
//
// The sidecar gets the arguments the plugin's backup runner passes
// (multipart above 64 MiB, 16 MiB parts); --php-small must stay above 64 MiB
// so both PHP runs are multipart (LargeUploadTest checks the ETag form).
//
// What is compared: curl sends UNSIGNED-PAYLOAD on both transports (Garage
// needs the header: docs in /work/shared/TOOLCHAIN.md); the sidecar sends
// UNSIGNED-PAYLOAD over https but over plain http signs every part's SHA-256
// (the core's rule), so over http it hashes 1 GiB and curl does not.
// Runs are interleaved (curl, ours, curl, ours, ...); with --runs N the
// median run by seconds is reported.
//
// Figures per record: MB/s (10^6 bytes), seconds, CPU seconds of the client
// process (user+system, all threads), its peak RSS (VmHWM for the sidecar,
// a fresh process per run so the peak is this upload's; GNU time's maxrss
// for curl), the sidecar's idle RSS before the upload, and the server's
// (and relay's) CPU seconds for context. PHP: the plugin's real path
// (bench/upload-php.sh, a throwaway WordPress) at --php-small and --size,
// peak memory during the upload. --json prints one JSON object on stdout;
// progress goes to stderr.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSidecar, startStorage, tmpDir, makeFile, sha256File, downloadSha256, selfSigned, MiB } from '../tests/sidecar/helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const KEY = 'bench/upload.bin';

function parse(argv) {
  const o = { sizeMiB: 1024, json: false, transports: ['http', 'https'], runs: 1, php: true, phpSmallMiB: 96, verify: false, partSizeMiB: 16, concurrency: null, hashWorkers: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === '--size') o.sizeMiB = num();
    else if (a === '--json') o.json = true;
    else if (a === '--transports') o.transports = String(argv[++i]).split(',');
    else if (a === '--runs') o.runs = Math.round(num());
    else if (a === '--no-php') o.php = false;
    else if (a === '--php-small') o.phpSmallMiB = num();
    else if (a === '--verify') o.verify = true;
    else if (a === '--part-size') o.partSizeMiB = num();
    else if (a === '--concurrency') o.concurrency = Math.round(num());
    else if (a === '--hash-workers') o.hashWorkers = Math.round(Number(argv[++i]));
    else throw new Error(`unknown argument ${a} (see the header of bench/upload.mjs)`);
  }
  for (const t of o.transports) if (t !== 'http' && t !== 'https') throw new Error(`unknown transport ${t}`);
  return o;
}

const say = (msg) => process.stderr.write(`[bench/upload] ${msg}\n`);
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const mbps = (bytes, s) => round(bytes / 1e6 / s);

// CPU seconds (user+system, every thread) of a live process.
const TICK = 100; // USER_HZ on Linux
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return NaN;
  }
}
function memory(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0) * 1024;
  return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
}
// Garage's own pid (the storage handle's child is its process group leader).
const serverPids = (s3) => [s3.pid];
const sumCpu = (pids) => pids.reduce((a, p) => a + (cpuSeconds(p) || 0), 0);

async function startRelay(dir, backendPort) {
  const { key, cert } = selfSigned(dir);
  const child = spawn(process.execPath, [path.join(HERE, 'tls-proxy.mjs'), '--key', key, '--cert', cert, '--to', String(backendPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = /"port":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`tls-proxy exited with ${code}`)));
  });
  return { port, cert, pid: child.pid, stop: () => child.kill('SIGTERM') };
}

const curlVersion = () => /^curl (\S+)/.exec(spawnSync('curl', ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? null;

function curlUpload(file, bytes, t) {
  const url = `${t.endpoint}/${t.s3.bucket}/${KEY}`;
  const args = ['-f', '%e %U %S %M', 'curl', '-sS', '--fail-with-body', '-o', '/dev/null', '-T', file,
    '--aws-sigv4', `aws:amz:${t.s3.region}:s3`, '--user', `${t.s3.credentials.accessKeyId}:${t.s3.credentials.secretAccessKey}`,
    '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', ...(t.cert ? ['--cacert', t.cert] : []), url];
  return new Promise((resolve, reject) => {
    const server0 = sumCpu(t.serverPids);
    const child = spawn('/usr/bin/time', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => { err += c; });
    child.once('exit', (code) => {
      const last = err.trim().split('\n').pop();
      const m = /^([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/.exec(last);
      if (code !== 0 || !m) return reject(new Error(`curl failed (${code}): ${err.trim()}`));
      const seconds = Number(m[1]);
      resolve({
        system: 'curl', version: curlVersion(), transport: t.name, payload: 'UNSIGNED-PAYLOAD',
        mbPerSec: mbps(bytes, seconds), seconds, cpuSeconds: round(Number(m[2]) + Number(m[3]), 2),
        peakRssMB: round(Number(m[4]) / 1024), serverCpuSeconds: round(sumCpu(t.serverPids) - server0, 2),
      });
    });
  });
}

async function sidecarUpload(file, bytes, t, o) {
  const env = { ...(t.cert ? { NODE_EXTRA_CA_CERTS: t.cert } : {}), ...(o.hashWorkers !== null ? { WPS3_HASH_WORKERS: String(o.hashWorkers) } : {}) };
  const sc = await startSidecar({ env });
  try {
    await new Promise((r) => setTimeout(r, 300)); // let start-up garbage settle before "idle"
    const { rss: idle, hwm: idleHwm } = memory(sc.pid);
    const storage = { ...t.s3.storage, endpoint: t.endpoint, allowPrivateEndpoints: true };
    // The arguments the plugin's backup runner passes (php-bridge/includes/Backup/Runner.php).
    const args = { storage, credentials: t.s3.credentials, key: KEY, path: file, multipartThreshold: 64 * MiB, partSize: o.partSizeMiB * MiB };
    if (o.concurrency) args.concurrency = o.concurrency;
    const cpu0 = cpuSeconds(sc.pid);
    const server0 = sumCpu(t.serverPids);
    let sampled = idle;
    const sampler = setInterval(() => { try { sampled = Math.max(sampled, memory(sc.pid).rss); } catch { /* gone */ } }, 50);
    const t0 = process.hrtime.bigint();
    const r = await sc.op('upload-file', args);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    clearInterval(sampler);
    const cpu = cpuSeconds(sc.pid) - cpu0;
    const mem = memory(sc.pid);
    if (!r?.ok) throw new Error(`upload-file failed: ${JSON.stringify(r?.error ?? r)}`);
    if (r.result.size !== bytes) throw new Error(`upload-file reported ${r.result.size} bytes, the file has ${bytes}`);
    let verified = null;
    if (o.verify) {
      const s3 = { ...t.s3, storage: { ...t.s3.storage, allowPrivateEndpoints: true } }; // download over plain http
      const [dl, local] = await Promise.all([downloadSha256(sc, s3, KEY), sha256File(file)]);
      verified = dl.sha256 === local && dl.size === bytes;
      if (!verified) throw new Error('the stored object differs from the file');
    }
    return {
      system: 'wps3-sidecar', transport: t.name,
      payload: t.name === 'http' ? 'SHA-256 per part (wasm core, worker threads)' : 'UNSIGNED-PAYLOAD',
      mbPerSec: mbps(bytes, seconds), seconds: round(seconds, 2), cpuSeconds: round(cpu, 2),
      peakRssMB: round(mem.hwm / MiB), idleRssMB: round(idle / MiB), idleHwmMB: round(idleHwm / MiB), sampledMaxRssMB: round(sampled / MiB),
      rssGrowthMB: round((mem.hwm - idle) / MiB), parts: r.result.parts,
      serverCpuSeconds: round(sumCpu(t.serverPids) - server0, 2), verified,
    };
  } finally {
    await sc.stop();
  }
}

const median = (runs) => [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor((runs.length - 1) / 2)];

function phpFigures(o) {
  const sizes = [Math.round(o.phpSmallMiB * MiB), Math.round(o.sizeMiB * MiB)];
  say(`PHP: the plugin's upload path at ${sizes.map((b) => `${round(b / MiB)} MiB`).join(' and ')} (bench/upload-php.sh)`);
  const r = spawnSync('bash', [path.join(HERE, 'upload-php.sh'), ...sizes.map(String)], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 1800_000 });
  const line = (r.stdout || '').trim().split('\n').pop();
  let runs;
  try {
    runs = JSON.parse(line);
  } catch {
    return { error: `bench/upload-php.sh gave no figures (exit ${r.status})` };
  }
  return {
    path: 'WordPress cron job -> WPS3 Runner -> sidecar upload-file (tests/php/LargeUploadTest)',
    runs: runs.map((x) => ({
      bytes: x.bytes, phpPeakDuringUploadMB: x.phpPeakDuringUploadMB, phpPeakUsageMB: x.phpPeakUsageMB,
      phpPeakRealUsageMB: x.phpPeakRealUsageMB, seconds: x.uploadSeconds, sidecarVmHWMMB: x.sidecarVmHWMMB,
      sidecarVmHWMIdleMB: x.sidecarVmHWMIdleMB, phpunitExit: x.phpunitExit, error: x.error,
    })),
  };
}

async function main() {
  const o = parse(process.argv.slice(2));
  const bytes = Math.round(o.sizeMiB * MiB);
  const dir = tmpDir('wps3-bench-upload-');
  let s3 = null;
  let relay = null;
  try {
    say(`starting Garage; writing a ${round(o.sizeMiB)} MiB file`);
    s3 = await startStorage('garage');
    const file = makeFile(path.join(dir, 'upload.bin'), bytes, 7);
    const transports = [];
    if (o.transports.includes('http')) transports.push({ name: 'http', endpoint: s3.storage.endpoint, s3, serverPids: serverPids(s3) });
    if (o.transports.includes('https')) {
      relay = await startRelay(dir, Number(new URL(s3.storage.endpoint).port));
      transports.push({ name: 'https', endpoint: `https://127.0.0.1:${relay.port}`, cert: relay.cert, s3, serverPids: [...serverPids(s3), relay.pid] });
    }
    const records = [];
    const goals = [];
    for (const t of transports) {
      const curlRuns = [];
      const ourRuns = [];
      for (let i = 0; i < o.runs; i++) {
        say(`${t.name} run ${i + 1}/${o.runs}: curl`);
        curlRuns.push(await curlUpload(file, bytes, t));
        say(`  curl ${curlRuns.at(-1).mbPerSec} MB/s; sidecar`);
        ourRuns.push(await sidecarUpload(file, bytes, t, o));
        say(`  sidecar ${ourRuns.at(-1).mbPerSec} MB/s, RSS ${ourRuns.at(-1).idleRssMB} -> ${ourRuns.at(-1).peakRssMB} MB`);
      }
      const curl = { ...median(curlRuns), runs: curlRuns.map((r) => r.mbPerSec) };
      const ours = { ...median(ourRuns), runs: ourRuns.map((r) => r.mbPerSec) };
      records.push(curl, ours);
      const ratio = round(ours.mbPerSec / curl.mbPerSec, 3);
      goals.push({ name: `upload throughput over ${t.name} (ours / curl)`, ours: ours.mbPerSec, theirs: curl.mbPerSec, unit: 'MB/s', ratio, target: 0.8, met: ratio >= 0.8 });
      goals.push({ name: `sidecar peak RSS over ${t.name} <= idle + 32 MiB`, ours: ours.peakRssMB, theirs: round(ours.idleRssMB + 32), unit: 'MiB', ratio: round(ours.peakRssMB / (ours.idleRssMB + 32), 3), target: 1, met: ours.peakRssMB <= ours.idleRssMB + 32 });
    }
    const php = o.php ? phpFigures(o) : null;
    if (php?.runs?.length === 2 && php.runs.every((r) => typeof r.phpPeakDuringUploadMB === 'number')) {
      const [small, big] = php.runs;
      // "Unchanged by file size": within 1 MiB of the small file's peak.
      goals.push({ name: 'PHP peak memory unchanged by file size', ours: big.phpPeakDuringUploadMB, theirs: small.phpPeakDuringUploadMB, unit: 'MiB', ratio: null, target: 'within 1 MiB', met: Math.abs(big.phpPeakDuringUploadMB - small.phpPeakDuringUploadMB) <= 1 });
    }
    const out = {
      bench: 'upload', sizeBytes: bytes, sizeMiB: round(o.sizeMiB, 2), storage: 'garage (local, http; https through bench/tls-proxy.mjs)',
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg().map((x) => round(x, 2)), node: process.version },
      records, php, goals,
    };
    if (o.json) process.stdout.write(JSON.stringify(out) + '\n');
    else {
      for (const r of records) process.stdout.write(`${r.transport.padEnd(5)} ${r.system.padEnd(12)} ${String(r.mbPerSec).padStart(6)} MB/s  ${r.seconds} s  cpu ${r.cpuSeconds} s  peak RSS ${r.peakRssMB} MB${r.idleRssMB ? ` (idle ${r.idleRssMB})` : ''}  [${r.payload}]\n`);
      process.stdout.write(`load average at the end: ${out.machine.loadavg.join(' ')} (${out.machine.cpus} cores)\n`);
      for (const g of goals) process.stdout.write(`${g.met ? 'met    ' : 'NOT met'} ${g.name}: ${g.ours} vs ${g.theirs} ${g.unit}${g.ratio !== null ? ` (ratio ${g.ratio}, target ${g.target})` : ''}\n`);
      if (php) process.stdout.write(`php: ${JSON.stringify(php)}\n`);
    }
  } finally {
    relay?.stop();
    await s3?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench/upload: ${e.stack || e}\n`);
  process.exit(1);
});
