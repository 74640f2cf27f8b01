// Runs every part of bench/run, in turn, and writes bench/results.json and the table in
// bench/README.md. Called by bench/run after the competitors are installed; see bench/README.md.
//
//   node bench/collect.mjs [--quick] [--only=node,botocore,rust,php,upload,coldstart,load] [--no-readme]
//
// Every part checks its competitors' outputs against ours before timing and interleaves ours with
// theirs inside the part. A part that cannot run is recorded under `missing` with the reason, never
// silently dropped; a disagreement makes the whole run exit 1.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { BENCH, ROOT, makeRunDir, php, cleanup } from './lib/php-run.mjs';
import { machine, median } from './lib/timing.mjs';

const QUICK = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const ONLY = onlyArg ? new Set(onlyArg.slice(7).split(',')) : null;
const want = (part) => !ONLY || ONLY.has(part);
const P = QUICK
  ? { nodeTime: 100, nodeRounds: 3, rustTime: 100, rustRounds: 3, pySingle: 100, pyRounds: 3, phpSingle: 300, phpLoop: 1000, phpBatch: 20, phpFresh: 6, cold: 5, loadSeconds: 5 }
  : { nodeTime: 300, nodeRounds: 7, rustTime: 300, rustRounds: 7, pySingle: 300, pyRounds: 5, phpSingle: 2000, phpLoop: 10000, phpBatch: 200, phpFresh: 30, cold: 15, loadSeconds: 30 };

const t0 = Date.now();
const log = (...a) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${a.join(' ')}\n`);
const records = [];
const checks = [];
const missing = [];
const extra = {};
let disagreements = 0;

// Runs a part that prints one JSON object on its last stdout line; stderr passes through.
function part(name, cmd, args, { input, env } = {}) {
  log(`${name}: ${[cmd, ...args].map((a) => path.relative(ROOT, a) || a).join(' ')}`);
  const r = spawnSync(cmd, args, {
    cwd: ROOT, input, encoding: 'utf8', maxBuffer: 256 * 2 ** 20,
    env: { ...process.env, NODE_NO_WARNINGS: '1', ...env }, stdio: ['pipe', 'pipe', 'inherit'],
  });
  const last = (r.stdout ?? '').trim().split('\n').pop();
  let out = null;
  try {
    out = JSON.parse(last);
  } catch {
    /* reported below */
  }
  if (!out) {
    missing.push({ part: name, reason: `exited ${r.status}${r.error ? ` (${r.error.message})` : ''} without a JSON result` });
    return null;
  }
  for (const c of out.checks ?? []) checks.push({ suite: out.suite ?? name, ...c });
  disagreements += out.disagreements ?? 0;
  for (const rec of out.records ?? []) records.push(rec);
  return out;
}

const expected = JSON.parse(execFileSync(process.execPath, [path.join(BENCH, 'lib', 'ours.mjs')], { encoding: 'utf8' }));
const expectedJson = JSON.stringify(expected);

// ---- 1 Node libraries
if (want('node')) part('node', process.execPath, [path.join(BENCH, 'node.mjs'), '--json', `--time=${P.nodeTime}`, `--rounds=${P.nodeRounds}`, `--warmup=${QUICK ? 50 : 300}`]);

// ---- 3 botocore
if (want('botocore')) {
  const py = path.join(BENCH, '.venv', 'bin', 'python');
  if (fs.existsSync(py)) {
    part('botocore', py, [path.join(BENCH, 'botocore_bench.py'), '--time-ms', String(P.nodeTime), '--rounds', String(P.pyRounds)], { input: expectedJson });
  } else missing.push({ part: 'botocore', reason: 'bench/.venv missing (bench/run creates it)' });
}

// ---- 4 native Rust
if (want('rust')) {
  const bin = path.join(BENCH, 'rust', 'target', 'release', 'wps3-bench-native');
  if (fs.existsSync(bin)) part('rust', bin, ['--time-ms', String(P.rustTime), '--rounds', String(P.rustRounds)], { input: expectedJson });
  else missing.push({ part: 'rust', reason: 'bench/rust not built (bench/run builds it)' });
}

// ---- 2 PHP through the bridge vs php-async-aws-core
if (want('php')) {
  const dir = makeRunDir();
  try {
    log('php: setup (seal the secret, store settings, start the sidecar through the Supervisor, check URLs)');
    const setup = php(dir, ['setup']);
    for (const c of setup.checks) {
      checks.push({ suite: 'php', ...c });
      if (!c.agree) disagreements++;
    }
    extra.phpVersions = setup.versions;
    if (setup.checks.every((c) => c.agree)) {
      const v = setup.versions;
      const oursV = `wps3 ${v.wps3} WPS3\\Sidecar\\Client -> sidecar ${v.sidecar}, PHP ${v.php}`;
      const theirsV = `php-async-aws-core ${v['async-aws']} (Debian) SignerV4, PHP ${v.php}`;
      log(`php: single presign vs no-op op on one socket, ${P.phpSingle} each, alternated`);
      const single = php(dir, ['single', String(P.phpSingle)]);
      records.push(
        { suite: 'php', system: 'ours (Client::call presign)', operation: 'A single call, warm process', p50Us: single.presign.p50Us, p99Us: single.presign.p99Us, opsPerSec: 1e6 / single.presign.p50Us, phpPeakMiB: single.phpPeakMiB, version: oursV },
        { suite: 'php', system: 'ours (Client::call health, no-op)', operation: 'no-op round trip, same socket', p50Us: single.noop.p50Us, p99Us: single.noop.p99Us, opsPerSec: 1e6 / single.noop.p50Us, version: oursV },
      );
      log(`php: ${P.phpLoop} presigns each in one process, ours and theirs in alternating blocks of 500`);
      const loop = php(dir, ['loop', String(P.phpLoop)]);
      for (const who of ['ours', 'theirs']) {
        const x = loop[who];
        records.push({
          suite: 'php', system: who === 'ours' ? 'ours (Client::call presign)' : 'php-async-aws-core SignerV4',
          operation: `A x${P.phpLoop} in one process`, seconds: x.seconds, opsPerSec: x.opsPerSec, p50Us: x.p50Us, p99Us: x.p99Us,
          phpPeakMiB: loop.phpPeakMiB, version: who === 'ours' ? oursV : theirsV,
        });
      }
      log(`php: page of 100, one presign-page call vs one batch vs 100 in process, ${P.phpBatch} rounds rotated`);
      const batch = php(dir, ['batch', String(P.phpBatch)]);
      // PHP's share of a page per shape: building and encoding the request, decoding the answer.
      extra.phpPage = batch.php ?? { batch: { phpBuildEncodeMs: batch.phpBuildEncodeMs, phpDecodeMs: batch.phpDecodeMs, requestBytes: batch.requestBytes, replyBytes: batch.replyBytes } };
      if (batch.page) {
        records.push({ suite: 'php', system: 'ours (one Client::presign_page of 100)', operation: 'A page of 100', p50Ms: batch.page.p50Ms, p99Ms: batch.page.p99Ms, opsPerSec: 100e3 / batch.page.p50Ms, phpPeakMiB: batch.phpPeakMiB, version: oursV, ...extra.phpPage.page });
      }
      records.push(
        { suite: 'php', system: 'ours (one Client::batch of 100 presigns)', operation: 'A page of 100', p50Ms: batch.ours.p50Ms, p99Ms: batch.ours.p99Ms, opsPerSec: 100e3 / batch.ours.p50Ms, phpPeakMiB: batch.phpPeakMiB, version: oursV, ...extra.phpPage.batch },
        { suite: 'php', system: 'php-async-aws-core SignerV4', operation: 'A page of 100', p50Ms: batch.theirs.p50Ms, p99Ms: batch.theirs.p99Ms, opsPerSec: 100e3 / batch.theirs.p50Ms, phpPeakMiB: batch.phpPeakMiB, version: theirsV },
      );
      if (fs.existsSync(path.join(ROOT, 'php-bridge', 'includes', 'Backup', 'BackupLinks.php'))) {
        log(`php: the plugin's page path, BackupLinks::download_urls() of 100 backups vs 100 in process, ${P.phpBatch} pages alternated`);
        const bl = php(dir, ['backuplinks', String(P.phpBatch)]);
        records.push({ suite: 'php', system: "ours (BackupLinks::download_urls: the plugin's page, live clock)", operation: 'A page of 100 (plugin path)', p50Ms: bl.p50Ms, p99Ms: bl.p99Ms, opsPerSec: 100e3 / bl.p50Ms, phpPeakMiB: bl.phpPeakMiB, version: oursV });
        if (bl.theirs) {
          records.push({ suite: 'php', system: 'php-async-aws-core SignerV4', operation: 'A page of 100 (plugin path)', p50Ms: bl.theirs.p50Ms, p99Ms: bl.theirs.p99Ms, opsPerSec: 100e3 / bl.theirs.p50Ms, phpPeakMiB: bl.phpPeakMiB, version: theirsV });
        }
      }
      log(`php: one call per fresh PHP process, ${P.phpFresh} each, alternated with an empty PHP process`);
      const fresh = php(dir, ['fresh', String(P.phpFresh)]);
      records.push(
        { suite: 'php', system: 'ours (Client::call presign)', operation: 'A one call per fresh PHP process', p50Ms: fresh.ours.p50Ms, p99Ms: fresh.ours.p99Ms, version: oursV },
        { suite: 'php', system: 'php-async-aws-core SignerV4', operation: 'A one call per fresh PHP process', p50Ms: fresh.theirs.p50Ms, p99Ms: fresh.theirs.p99Ms, version: theirsV },
        { suite: 'php', system: 'empty PHP process (php -r exit)', operation: 'A one call per fresh PHP process', p50Ms: fresh.empty.p50Ms, p99Ms: fresh.empty.p99Ms, version: `PHP ${v.php}` },
      );
    }
  } catch (e) {
    missing.push({ part: 'php', reason: e.message.slice(0, 400) });
  } finally {
    cleanup(dir);
  }
}

// ---- 5 upload (perf-upload's script)
if (want('upload')) {
  const script = path.join(BENCH, 'upload.mjs');
  if (fs.existsSync(script)) {
    // perf-upload's script: 1 GiB over http and https, interleaved with curl, plus the PHP memory
    // check through a throwaway WordPress; --quick: 64 MiB, no PHP.
    const out = part('upload', process.execPath, [script, '--json', ...(QUICK ? ['--size', '64', '--no-php'] : [])]);
    if (out) {
      extra.upload = { php: out.php ?? null, sizeMiB: out.sizeMiB ?? null, goals: out.goals ?? [] };
      for (const x of out.php?.runs ?? []) {
        records.push({
          suite: 'upload', system: 'ours (PHP: WordPress cron -> Runner -> sidecar upload-file)', operation: `PHP peak memory, ${(x.bytes / 2 ** 20).toFixed(0)} MiB file`,
          phpPeakMiB: x.phpPeakDuringUploadMB, seconds: x.seconds, sidecarPeakRssMiB: x.sidecarVmHWMMB, error: x.error,
        });
      }
      for (const r of records) {
        if (r.suite || !r.transport) continue;
        Object.assign(r, {
          suite: 'upload', operation: `upload ${out.sizeMiB ?? (QUICK ? 64 : 1024)} MiB over ${r.transport}${r.payload ? ` (${r.payload})` : ''}`,
          opsPerSec: undefined, peakRssMiB: r.peakRssMB,
        });
      }
    }
  } else missing.push({ part: 'upload', reason: 'bench/upload.mjs (perf-upload) is not on this branch yet' });
}

// ---- 6 cold start + web wasm size
if (want('coldstart')) {
  const out = part('coldstart', process.execPath, [path.join(BENCH, 'coldstart.mjs'), '--json', `--n=${P.cold}`]);
  if (out) {
    extra.coldstart = out;
    records.push(
      { suite: 'coldstart', system: 'ours (sidecar)', operation: 'spawn to first /v1/health answer', p50Ms: out.coldStartP50Ms, p99Ms: out.coldStartP99Ms, minMs: out.coldStartMinMs },
      { suite: 'coldstart', system: 'ours (sidecar)', operation: 'spawn to first presign answer (a real op as the first request)', p50Ms: out.firstPresignP50Ms, p99Ms: out.firstPresignP99Ms, minMs: out.firstPresignMinMs },
      { suite: 'coldstart', system: 'node -e 0', operation: 'Node start-up alone (floor)', p50Ms: out.nodeEmptyP50Ms },
      { suite: 'size', system: 'ours (pkg/web)', operation: 'browser wasm (pkg/web), gzip -9', bytes: out.webWasmGzipBytes, rawBytes: out.webWasmBytes, jsGzipBytes: out.webJsGzipBytes },
    );
  }
}

// ---- 7 concurrency
if (want('load')) {
  const out = part('load', process.execPath, [path.join(BENCH, 'load.mjs'), '--json', '--workers=8', `--seconds=${P.loadSeconds}`]);
  if (out) {
    extra.load = out;
    records.push({
      suite: 'load', system: 'ours (8 PHP workers, Client::presign_page pages of 100)', operation: `A pages of 100 for ${out.seconds} s`,
      opsPerSec: out.urlsPerSec, p50Ms: out.pageP50Ms, p99Ms: out.pageP99Ms, failures: out.failures,
      sidecarRssStartMiB: out.sidecarRssStartMiB, sidecarRssEndMiB: out.sidecarRssEndMiB, sidecarRssPeakMiB: out.sidecarRssPeakMiB, phpPeakMiB: out.phpPeakMiB,
    });
  }
}

// ---------------------------------------------------------------- goals --
const find = (suite, system, operation) => records.find((r) => r.suite === suite && r.system === system && (operation === undefined || r.operation === operation));
const goal = (name, ours, theirs, ratioOf, target, met, unit, note) => {
  if (ours == null || theirs == null) return { name, ours: ours ?? null, theirs: theirs ?? null, ratio: null, target, met: null, unit, ...(note ? { note } : {}) };
  const ratio = ratioOf(ours, theirs);
  return { name, ours, theirs, ratio, target, met: met(ratio), unit, ...(note ? { note } : {}) };
};
const OUR_NODE = 'ours (sidecar op, sealed secret)';
const nOurs = find('node', OUR_NODE, 'A')?.opsPerSec;
const goals = [
  goal('Node presign (sidecar call shape) vs aws4', nOurs, find('node', 'aws4', 'A')?.opsPerSec, (o, t) => o / t, '>= 3x', (r) => r >= 3, 'ops/s'),
  goal('Node presign (sidecar call shape) vs @smithy/signature-v4', nOurs, find('node', 'smithy (hash-node)', 'A')?.opsPerSec, (o, t) => o / t, '>= 4x', (r) => r >= 4, 'ops/s'),
  goal('PHP single presign p50 vs no-op round trip on the same socket', find('php', 'ours (Client::call presign)', 'A single call, warm process')?.p50Us,
    find('php', 'ours (Client::call health, no-op)')?.p50Us, (o, t) => o / t, '<= 1.5x', (r) => r <= 1.5, 'µs p50'),
  goal('PHP page of 100: one presign-page call vs 100 in-process php-async-aws-core', find('php', 'ours (one Client::presign_page of 100)', 'A page of 100')?.p50Ms,
    find('php', 'php-async-aws-core SignerV4', 'A page of 100')?.p50Ms, (o, t) => t / o, '>= 2x faster', (r) => r >= 2, 'ms p50 per page'),
  // The page a user sees: the plugin's own path (settings, sealed secret, one presign-page per storage, host check).
  goal('PHP page of 100, the plugin\'s path (BackupLinks::download_urls) vs 100 in-process php-async-aws-core', find('php', "ours (BackupLinks::download_urls: the plugin's page, live clock)", 'A page of 100 (plugin path)')?.p50Ms,
    find('php', 'php-async-aws-core SignerV4', 'A page of 100 (plugin path)')?.p50Ms, (o, t) => t / o, '>= 2x faster', (r) => r >= 2, 'ms p50 per page'),
];
const up = extra.upload;
const upGoal = (up?.goals ?? []).filter((g) => g && g.name);
// perf-upload's goals, as they are; a ratio they leave out is computed from their ours and theirs.
const ratioOf = (g) => (g.ratio == null && typeof g.ours === 'number' && typeof g.theirs === 'number' && g.theirs ? g.ours / g.theirs : g.ratio);
if (upGoal.length) goals.push(...upGoal.map((g) => ({ ...g, ratio: ratioOf(g), target: typeof g.target === 'number' ? `${g.name.includes('RSS') ? '<=' : '>='} ${g.target}x` : g.target, source: 'bench/upload.mjs' })));
else {
  goals.push(
    goal('Upload 1 GiB through the sidecar vs curl -T --aws-sigv4 (http)', null, null, null, '>= 0.8x', null, 'MB/s', up ? 'bench/upload.mjs gave no goals' : 'bench/upload.mjs missing'),
    goal('Upload: sidecar peak RSS <= idle + 32 MiB', null, null, null, '<= 1.0x of the bound', null, 'MiB', up ? 'bench/upload.mjs gave no goals' : 'bench/upload.mjs missing'),
    goal('Upload: PHP peak memory unchanged by file size', null, null, null, '<= 1.0x', null, 'MiB', up ? 'bench/upload.mjs gave no goals' : 'bench/upload.mjs missing'),
  );
}
const cold = extra.coldstart;
// The slower of the two first answers (health, a presign): neither may be bought with the other.
const coldFirst = cold ? Math.max(cold.coldStartP50Ms, cold.firstPresignP50Ms ?? 0) : null;
goals.push(goal('Cold start: sidecar spawn to first answer, health or presign (theirs = the 150 ms bound)', coldFirst, cold ? 150 : null, (o, t) => o / t, '<= 1.0x (150 ms)', (r) => r <= 1, 'ms p50',
  cold?.nodeEmptyP50Ms ? `node -e 0 alone took ${Math.round(cold.nodeEmptyP50Ms)} ms p50 in the same run` : undefined));
goals.push(goal('Browser wasm, gzip -9 (theirs = the 100 KiB budget of docs/CONTRACTS.md)', cold?.webWasmGzipBytes, cold ? 102_400 : null, (o, t) => o / t, '<= 1.0x (100 KiB)', (r) => r <= 1, 'bytes'));

// ---------------------------------------------------------------- output --
const results = {
  generated: new Date().toISOString(), quick: QUICK, durationSeconds: Math.round((Date.now() - t0) / 1000),
  machine: machine(), workload: expected.workload, goals, records, checks, disagreements, missing, extra,
};
const fmt = (x, d = 2) => (x == null ? '—' : typeof x === 'number' ? (Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(d)) : String(x));
const lines = [];
lines.push(`Run ${results.generated}${QUICK ? ' (--quick)' : ''}, ${results.machine.cpu} x${results.machine.cores}, load ${results.machine.loadavg.join(' ')}, git ${results.machine.gitRev ?? '?'}, ${results.durationSeconds} s`);
lines.push('');
lines.push('| goal | ours | theirs | ratio | target | met |');
lines.push('|---|---:|---:|---:|---|---|');
for (const g of goals) lines.push(`| ${g.name} | ${fmt(g.ours)} ${g.unit ?? ''} | ${fmt(g.theirs)} | ${g.ratio == null ? '—' : `${g.ratio.toFixed(2)}x`} | ${g.target} | ${g.met == null ? `not measured${g.note ? ` (${g.note})` : ''}` : g.met ? 'yes' : '**no**'} |`);
lines.push('');
lines.push('| part | operation | system | ops/s | p50 | p99 | ours/theirs |');
lines.push('|---|---|---|---:|---:|---:|---:|');
const oursOf = (r) => {
  if (r.suite === 'node') return find('node', OUR_NODE, r.operation);
  if (r.suite === 'rust') return find('rust', 'ours (native, reused key cache)', r.operation);
  if (r.suite === 'botocore') return find('node', OUR_NODE, r.operation);
  if (r.suite === 'php' && !r.system.startsWith('ours')) return records.find((x) => x.suite === 'php' && x.operation === r.operation && x.system.startsWith('ours'));
  if (r.suite === 'upload' && r.transport && r.system === 'curl') return records.find((x) => x.suite === 'upload' && x.transport === r.transport && x !== r && x.mbPerSec != null);
  return null;
};
for (const r of records) {
  const o = oursOf(r);
  const ratio = o && o !== r && o.opsPerSec && r.opsPerSec ? `${(o.opsPerSec / r.opsPerSec).toFixed(2)}x`
    : o && o !== r && o.p50Ms && r.p50Ms ? `${(r.p50Ms / o.p50Ms).toFixed(2)}x`
      : o && o !== r && o.mbPerSec && r.mbPerSec ? `${(o.mbPerSec / r.mbPerSec).toFixed(2)}x` : '';
  const p50 = r.p50Ms != null ? `${fmt(r.p50Ms)} ms` : r.p50Us != null ? `${fmt(r.p50Us)} µs` : r.bytes != null ? `${fmt(r.bytes)} B`
    : r.mbPerSec != null ? `${fmt(r.mbPerSec)} MB/s, ${fmt(r.seconds)} s, CPU ${fmt(r.cpuSeconds)} s, peak RSS ${fmt(r.peakRssMB)} MB${r.idleRssMB ? ` (idle ${fmt(r.idleRssMB)})` : ''}`
    : r.phpPeakMiB != null && r.suite === 'upload' ? `PHP peak ${fmt(r.phpPeakMiB)} MiB` : '';
  const p99 = r.p99Ms != null ? `${fmt(r.p99Ms)} ms` : r.p99Us != null ? `${fmt(r.p99Us)} µs` : '';
  lines.push(`| ${r.suite} | ${r.operation} | ${r.system} | ${r.opsPerSec != null ? fmt(r.opsPerSec) : ''} | ${p50} | ${p99} | ${ratio} |`);
}
if (missing.length) {
  lines.push('');
  for (const m of missing) lines.push(`- not run: **${m.part}**: ${m.reason}`);
}
const bad = checks.filter((c) => !c.agree);
lines.push('');
lines.push(`Checks before timing: ${checks.length - bad.length} of ${checks.length} agree with ours${bad.length ? `; DISAGREE: ${bad.map((c) => `${c.suite}/${c.operation}/${c.system}: ${c.detail}`).join('; ')}` : ''}.`);
const table = lines.join('\n');
process.stdout.write(`\n${table}\n`);

fs.writeFileSync(path.join(BENCH, 'results.json'), JSON.stringify(results, null, 2) + '\n');
log('wrote bench/results.json');
if (!process.argv.includes('--no-readme') && !QUICK && !ONLY) {
  const readme = path.join(BENCH, 'README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const re = /(<!-- results:start -->\n)[\s\S]*?(<!-- results:end -->)/;
  if (re.test(text)) {
    fs.writeFileSync(readme, text.replace(re, `$1${table}\n$2`));
    log('updated the table in bench/README.md');
  }
}
process.exitCode = disagreements || bad.length ? 1 : 0;
