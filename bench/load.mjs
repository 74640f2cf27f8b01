// Concurrency run (bench/run item 7, and issue 10's load suite through tests/load/run.sh):
// W PHP workers, each requesting pages of 100 presigned links through the plugin's sidecar client
// (one Client::presign_page per page) for S seconds, against one sidecar the plugin's Supervisor started.
//
//   node bench/load.mjs [--workers=8] [--seconds=30] [--warmup-seconds=10] [--rss-bound-mib=32] [--json]
//
// Prints URLs/s, page p50/p99, failed pages and the sidecar's RSS at start (after a warm-up) and end.
// Exits 1 if any page failed or the sidecar's RSS grew by more than the bound.
import fs from 'node:fs';
import path from 'node:path';
import { makeRunDir, php, phpAsync, rssMiB, cleanup } from './lib/php-run.mjs';
import { quantile, machine } from './lib/timing.mjs';

const arg = (name, def) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : def;
};
const WORKERS = arg('workers', 8);
const SECONDS = arg('seconds', 30);
const BOUND = arg('rss-bound-mib', 32);
const WARMUP = arg('warmup-seconds', 10);
const JSON_OUT = process.argv.includes('--json');
const say = (...a) => (JSON_OUT ? process.stderr : process.stdout).write(a.join(' ') + '\n');

const dir = makeRunDir();
let rc = 0;
try {
  const setup = php(dir, ['setup']);
  if (!setup.checks.every((c) => c.agree)) throw new Error(`setup checks failed: ${JSON.stringify(setup.checks)}`);
  const pid = Number(fs.readFileSync(path.join(dir, 'sidecar.pid'), 'utf8').trim());
  // Warm-up at full concurrency: the sidecar's V8 heap, JIT and caches reach their working size under
  // this load (its RSS climbs for several seconds, then levels); only growth after that counts.
  const warm = [];
  const warmSampler = setInterval(() => warm.push(+(rssMiB(pid)?.rss ?? 0).toFixed(1)), 1000);
  await Promise.all(Array.from({ length: WORKERS }, () => phpAsync(dir, ['load', String(WARMUP)])));
  clearInterval(warmSampler);
  const start = rssMiB(pid);
  let peak = start.rss;
  const samples = [];
  let ticks = 0;
  const sampler = setInterval(() => {
    const r = rssMiB(pid);
    if (r) peak = Math.max(peak, r.rss);
    if (r && ++ticks % 4 === 0) samples.push(+r.rss.toFixed(1));
  }, 250);
  const t0 = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: WORKERS }, () => phpAsync(dir, ['load', String(SECONDS)])));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(sampler);
  const end = rssMiB(pid);
  const lat = results.flatMap((r) => r.latencyMs);
  const urls = results.reduce((a, r) => a + r.urls, 0);
  const failures = results.reduce((a, r) => a + r.failures, 0);
  const errors = results.flatMap((r) => r.errors).slice(0, 5);
  const growth = end.rss - start.rss;
  const out = {
    suite: 'load', workers: WORKERS, seconds: SECONDS, wallSeconds: wall, pages: lat.length, urls, urlsPerSec: urls / wall,
    pageP50Ms: quantile(lat, 0.5), pageP99Ms: quantile(lat, 0.99), failures, errors,
    sidecarRssStartMiB: start.rss, sidecarRssEndMiB: end.rss, sidecarRssPeakMiB: peak, sidecarRssGrowthMiB: growth,
    rssBoundMiB: BOUND, warmupSeconds: WARMUP, warmupRssMiB: warm, rssEverySecondMiB: samples, phpPeakMiB: Math.max(...results.map((r) => r.phpPeakMiB)), machine: machine(),
  };
  say(`load: ${WORKERS} PHP workers x ${SECONDS} s, pages of 100 presigned links (one presign-page call each)`);
  say(`  ${Math.round(out.urlsPerSec).toLocaleString('en-US')} URLs/s, ${out.pages} pages, page p50 ${out.pageP50Ms.toFixed(1)} ms, p99 ${out.pageP99Ms.toFixed(1)} ms`);
  say(`  sidecar RSS each second during the warm-up: ${warm.join(' ')}; during the run: ${samples.join(' ')}`);
  say(`  failed pages: ${failures}${errors.length ? ` (${errors.join('; ')})` : ''}`);
  say(`  sidecar RSS: start ${start.rss.toFixed(1)} MiB (after a ${WARMUP} s warm-up), end ${end.rss.toFixed(1)} MiB, peak ${peak.toFixed(1)} MiB, growth ${growth.toFixed(1)} MiB (bound ${BOUND} MiB)`);
  out.ok = failures === 0 && growth <= BOUND && out.pages > 0;
  if (!out.ok) {
    say(`  FAIL: ${failures ? `${failures} failed page(s)` : ''}${growth > BOUND ? ` sidecar RSS grew ${growth.toFixed(1)} MiB > ${BOUND} MiB` : ''}${out.pages ? '' : ' no page completed'}`);
    rc = 1;
  } else say('  PASS');
  if (JSON_OUT) process.stdout.write(JSON.stringify(out) + '\n');
} catch (e) {
  say(`load: ERROR ${e.message}`);
  rc = 1;
} finally {
  cleanup(dir);
}
process.exitCode = rc;
