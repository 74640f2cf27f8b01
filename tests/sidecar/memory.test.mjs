// Memory stays flat whatever the file size: a 256 MiB multipart upload must
// peak well under the file size.
//
// Bound: 200 MB. Node 20 idles at ~55 MB RSS with the wasm core loaded;
// 4 senders x two reused 512 KiB send buffers add 4 MiB, each hashing
// thread ~11 MB (its own isolate and wasm core), plus GC slack. Measured:
// ~77 MB with one hashing thread, for 128 MiB as for 1 GiB (bench/upload.mjs
// reports it against the idle RSS). A sidecar that buffered the file would
// exceed 256 MB here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { need } from './helpers.mjs';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'big-upload.mjs');
const BOUND_MB = 200;

test('256 MiB upload through the sidecar: peak RSS under 200 MB', async (t) => {
  if (!need(t, ['core', 'garage'])) return;
  const r = spawnSync(process.execPath, [SCRIPT, '256', '--storage', 'garage', '--json'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout.trim().split('\n').pop());
  t.diagnostic(`256 MiB: ${res.seconds} s, ${res.mbPerSec} MB/s, peak RSS ${res.peakRssMB} MB (baseline ${res.baselineRssMB} MB)`);
  assert.equal(res.verified, true);
  assert.equal(res.parts, 32);
  assert.ok(res.peakRssMB < BOUND_MB, `peak RSS ${res.peakRssMB} MB >= ${BOUND_MB} MB`);
  assert.ok(res.peakRssMB - res.baselineRssMB < 128, `growth ${res.peakRssMB - res.baselineRssMB} MB`);
});
