// Shared helpers of the Node parts of bench/run: interleaved timing, versions, machine info.
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return null;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
export { median };

// Calls fn n times; awaits only when fn is async (sequential latency, as a request path uses a signer).
function batcher(fn) {
  let isAsync = null;
  return async (n) => {
    if (isAsync === null) {
      const r = fn();
      isAsync = r instanceof Promise;
      if (isAsync) await r;
      n--;
    }
    if (isAsync) for (let i = 0; i < n; i++) await fn();
    else for (let i = 0; i < n; i++) fn();
  };
}

async function timeOnce(run, timeMs) {
  let n = 0;
  let batch = 20;
  const t0 = process.hrtime.bigint();
  let el = 0;
  while (el < timeMs) {
    await run(batch);
    n += batch;
    el = Number(process.hrtime.bigint() - t0) / 1e6;
    if (el < timeMs / 10) batch *= 2;
  }
  return (n / el) * 1000;
}

// Every round times each candidate once, in turn (the order rotates each round), so load changes on a
// shared machine fall on all candidates alike. Returns per candidate { median, min, max, all } in ops/s.
export async function measureAll(fns, { timeMs = 300, rounds = 5, warmup = 300 } = {}) {
  const runners = fns.map(batcher);
  for (const run of runners) await run(warmup);
  const rates = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < runners.length; j++) {
      const i = (j + r) % runners.length;
      rates[i].push(await timeOnce(runners[i], timeMs));
    }
  }
  return rates.map((all) => ({ median: median(all), min: Math.min(...all), max: Math.max(...all), all }));
}

const benchModules = new URL('../node_modules/', import.meta.url);
export function versionOf(pkg) {
  try {
    return JSON.parse(fs.readFileSync(new URL(`${pkg}/package.json`, benchModules), 'utf8')).version;
  } catch {
    return '?';
  }
}

export function machine() {
  let gitRev = null;
  try {
    gitRev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: new URL('..', import.meta.url), encoding: 'utf8' }).trim();
  } catch { /* not a checkout */ }
  return {
    cpu: os.cpus()[0]?.model ?? '?', cores: os.cpus().length, memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()}`, node: process.version, loadavg: os.loadavg().map((x) => +x.toFixed(2)), gitRev,
  };
}
