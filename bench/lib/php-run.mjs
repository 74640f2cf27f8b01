// A private run directory for the PHP benchmarks: expected outputs, the plugin's settings with the
// sealed secret (bench/php/bench.php setup), and the sidecar the plugin's Supervisor started there.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BENCH = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const ROOT = path.dirname(BENCH);
export const PHP_BENCH = path.join(BENCH, 'php', 'bench.php');

export function makeRunDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wps3-bench-'));
  fs.chmodSync(dir, 0o700);
  fs.writeFileSync(path.join(dir, 'expected.json'), execFileSync(process.execPath, [path.join(BENCH, 'lib', 'ours.mjs')]));
  return dir;
}

export function php(dir, args, { timeoutMs = 600_000 } = {}) {
  const out = execFileSync('php', [PHP_BENCH, ...args], {
    env: { ...process.env, WPS3_BENCH_RUN: dir }, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 2 ** 20,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

export function phpAsync(dir, args) {
  return new Promise((resolve, reject) => {
    const child = spawn('php', [PHP_BENCH, ...args], { env: { ...process.env, WPS3_BENCH_RUN: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`php ${args.join(' ')} exited ${code}: ${err.slice(0, 500)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch (e) {
        reject(new Error(`php ${args.join(' ')}: ${e.message}: ${out.slice(0, 200)}`));
      }
    });
  });
}

export function rssMiB(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

// Stops the sidecar the plugin started in the run directory (its pid file), then removes the dir.
export function cleanup(dir) {
  try {
    const pid = Number(fs.readFileSync(path.join(dir, 'sidecar.pid'), 'utf8').trim());
    if (pid > 0) process.kill(pid, 'SIGTERM');
  } catch { /* not started */ }
  fs.rmSync(dir, { recursive: true, force: true });
}
