// The fault suite: a workload of completed documents backed up by real WordPress (two web nodes on one
// database, each with its own sidecar) into real storage (ministack) through a fault-injecting proxy,
// while storage, the sidecars, PHP and MariaDB fail. Then every document is checked in the bucket.
// Over 400 lines: the workload, the fault schedule and the counting are one run; the proxy is its own file.
// Started by tests/faults/run.sh (which brings the harness up); see docs/OPERATIONS.md, "Fault suite".
//
// Counts (printed at the end, exit 1 unless lost = 0, duplicated = 0 and completed = documents):
//   completed   documents whose job is done, whose backup row names an object that exists in the
//               bucket with the document's exact bytes (sha256 of the object = sha256 of the PDF)
//   lost        documents (all of which were completed by the host) that are not "completed" above
//   duplicated  documents stored as more than one object (objects carrying the document's id in their
//               wps3-document-id metadata, or any object under the prefix that no backup row names), or
//               stored more than once under their key (more than one acknowledged final write, i.e.
//               PutObject or CompleteMultipartUpload answered 2xx, counted at the proxy: on a versioned
//               bucket that is a second version), or recorded or announced more than once (backup rows;
//               wps_s3_uploaded calls in hooks.log)
// Then a self-check plants one loss (an object deleted) and one duplicate (a copy under another key) and
// requires the same counters to report exactly lost = 1 and duplicated = 1.
//
// Environment: E2E_DIR (harness), FAULTS_DOCS (small documents, default 40), FAULTS_QUICK=1 (short run:
// 12 documents, shorter outages; the lease takeover after a killed PHP request still waits for the lease).
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProxy } from './proxy.mjs';
import { s3Action } from '../../php-bridge/sidecar/s3client.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const DIR = process.env.E2E_DIR;
if (!DIR || !fs.existsSync(path.join(DIR, 'env.json'))) {
  console.error('E2E_DIR must name a running harness (bash tests/faults/run.sh starts one)');
  process.exit(2);
}
const env = JSON.parse(fs.readFileSync(path.join(DIR, 'env.json'), 'utf8'));
const QUICK = process.env.FAULTS_QUICK === '1';
const SMALL = Number(process.env.FAULTS_DOCS) || (QUICK ? 12 : 40);
const KEY = process.env.WPS3_FAULTS_KEY;
const PREFIX = 'wpsigner/';
const T0 = Date.now();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(`[faults ${((Date.now() - T0) / 1000).toFixed(1)}s]`, ...a);
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

const faults = {}; // kind -> times injected
const injected = (kind, n = 1) => (faults[kind] = (faults[kind] || 0) + n);

// ---------------------------------------------------------------- storage, direct (not through the proxy)
// Loopback storage: the core's SSRF rule refuses it unless allowed, as WPS3_ALLOW_PRIVATE_ENDPOINTS does for the site.
const realStorage = { provider: 'custom', region: env.S3_REGION, bucket: env.S3_BUCKET, endpoint: env.S3_ENDPOINT, addressingStyle: 'path', allowPrivateEndpoints: true };
const credentials = { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY };
const s3 = (action, args, extra = {}) => s3Action({ storage: realStorage, credentials, action, args, ...extra });

async function listAll(prefix) {
  const out = [];
  let token;
  do {
    const { result } = await s3('list_objects_v2', { prefix, continuationToken: token });
    out.push(...result.contents);
    token = result.isTruncated ? result.nextContinuationToken : undefined;
  } while (token);
  return out;
}

// ---------------------------------------------------------------- database and PHP
// Asynchronous, so the node loops keep running while a query waits; a slow one is reported with what
// the server was doing then.
const execFileP = promisify(execFile);
async function sql(query, { timeoutMs = 30_000 } = {}) {
  const args = ['--no-defaults', `--socket=${env.DB_SOCKET}`, '-uroot', '-N', '-B', '-e', query, 'wordpress'];
  const t = Date.now();
  const slow = setTimeout(async () => {
    try {
      const { stdout } = await execFileP('mariadb', [...args.slice(0, -3), '-e', 'SHOW FULL PROCESSLIST'], { timeout: 5000 });
      log(`slow query (${query.slice(0, 60)}...), server processes:\n${stdout}`);
    } catch {
      /* the server is down */
    }
  }, 5000);
  try {
    const { stdout } = await execFileP('mariadb', args, { encoding: 'utf8', timeout: timeoutMs });
    return stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
  } finally {
    clearTimeout(slow);
    if (Date.now() - t > 5000) log(`query took ${Date.now() - t} ms: ${query.slice(0, 80)}`);
  }
}
async function dbUp() {
  try {
    await execFileP('mariadb-admin', ['--no-defaults', `--socket=${env.DB_SOCKET}`, 'ping'], { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

function wpPhp(args, { defines = {}, extraEnv = {} } = {}) {
  return spawn('php', [path.join(ROOT, 'tests/e2e/bin/wp.php'), ...args], {
    env: { ...process.env, WPS3_E2E_DIR: DIR, WPS3_E2E_DEFINE: JSON.stringify(defines), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
const done = (child) =>
  new Promise((resolve) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });

// ---------------------------------------------------------------- documents
const uploads = path.join(env.WP_DIR, 'wp-content/uploads/wps3-faults');
fs.mkdirSync(uploads, { recursive: true });
const docs = []; // { id, title, path, sha256, size }
function makeDoc(i, bytes) {
  const id = String(70000 + i);
  const title = `Fault Contract ${i}`;
  let body;
  if (bytes) {
    body = Buffer.concat([Buffer.from('%PDF-1.4\n% multipart-size fault document\n'), randomBytes(bytes)]);
  } else {
    // A small valid-looking PDF whose size varies (a few hundred bytes up to ~40 KiB).
    const filler = randomBytes(200 + ((i * 7919) % 40000)).toString('base64');
    body = Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% ${title}\n% ${filler}\ntrailer << /Root 1 0 R >>\n%%EOF\n`);
  }
  const file = path.join(uploads, `doc-${id}.pdf`);
  fs.writeFileSync(file, body);
  const d = { id, title, path: file, sha256: sha256(body), size: body.length };
  docs.push(d);
  return d;
}

async function enqueue(list) {
  const php = `foreach ( json_decode( getenv( 'FAULTS_DOCS_JSON' ), true ) as $d ) { $r = wps3_backup_document( $d + array( 'status' => 'completed' ) ); echo is_wp_error( $r ) ? 'ERR ' . $r->get_error_message() : $r, "\\n"; }`;
  const payload = list.map((d) => ({ id: d.id, title: d.title, path: d.path }));
  for (let attempt = 1; ; attempt++) {
    const r = await done(wpPhp(['eval', php], { defines: { DISABLE_WP_CRON: true }, extraEnv: { FAULTS_DOCS_JSON: JSON.stringify(payload) } }));
    const lines = r.out.trim().split('\n');
    if (r.code === 0 && lines.length === list.length && lines.every((l) => /^\d+$/.test(l))) return;
    if (attempt >= 5) throw new Error(`enqueue failed: ${r.out}${r.err}`);
    await sleep(1000);
  }
}

// ---------------------------------------------------------------- web nodes
const nodes = [
  { name: 'A', url: env.SITE_URL, runtime: path.join(DIR, 'sc'), runs: 0, errors: 0, stats: { claimed: 0, done: 0, retry: 0, failed: 0 } },
  { name: 'B', url: process.env.FAULTS_NODE_B_URL, runtime: path.join(DIR, 'scB'), runs: 0, errors: 0, stats: { claimed: 0, done: 0, retry: 0, failed: 0 } },
];
let stopping = false;
let paused = new Set(); // node names whose loops are paused
async function nodeLoop(node) {
  let lastCron = 0;
  while (!stopping) {
    if (paused.has(node.name)) {
      await sleep(100);
      continue;
    }
    node.busy = true;
    try {
      // Every few seconds the real WP-Cron path (its own lock), otherwise a direct queue run on this node.
      const cron = Date.now() - lastCron > 4000;
      const url = cron ? `${node.url}/wp-cron.php` : `${node.url}/?wps3_faults_run=${KEY}`;
      if (cron) lastCron = Date.now();
      const r = await fetch(url, { signal: AbortSignal.timeout(120_000) });
      const text = await r.text();
      if (!cron) {
        const s = JSON.parse(text);
        for (const k of Object.keys(node.stats)) node.stats[k] += s[k] || 0;
      } else if (r.status !== 200) throw new Error(`wp-cron ${r.status}`);
      node.runs++;
    } catch {
      node.errors++; // e.g. a 500 while MariaDB is down
    }
    node.busy = false;
    await sleep(300);
  }
}

// Pauses the loops of these nodes (names) and waits until their request in flight, if any, has ended.
async function pause(names) {
  paused = new Set(names);
  const end = Date.now() + 150_000;
  while (nodes.some((x) => paused.has(x.name) && x.busy) && Date.now() < end) await sleep(100);
}

const sidecarPid = (node) => {
  try {
    return Number(fs.readFileSync(path.join(node.runtime, 'sidecar.pid'), 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
};
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

// ---------------------------------------------------------------- progress
async function jobCounts() {
  const out = { pending: 0, running: 0, done: 0, failed: 0 };
  try {
    for (const [status, n] of await sql('SELECT status, COUNT(*) FROM wp_wps3_jobs GROUP BY status')) out[status] = Number(n);
  } catch {
    return null; // MariaDB restarting
  }
  return out;
}
async function waitDone(ids, seconds) {
  const end = Date.now() + seconds * 1000;
  const list = ids.map((id) => `'${id}'`).join(',');
  while (Date.now() < end) {
    try {
      const [[n]] = await sql(`SELECT COUNT(*) FROM wp_wps3_jobs WHERE status = 'done' AND document_id IN (${list})`);
      if (Number(n) === ids.length) return true;
    } catch {
      /* MariaDB restarting */
    }
    await sleep(1000);
  }
  return false;
}

// ---------------------------------------------------------------- the run
const target = new URL(env.S3_ENDPOINT);
const proxy = await startProxy({ targetHost: target.hostname, targetPort: Number(target.port) });
fs.writeFileSync(path.join(DIR, 'faults-proxy.port'), String(proxy.port));
const proxyUrl = `http://127.0.0.1:${proxy.port}`;
{
  // The site's storage goes through the proxy from now on.
  const r = await done(
    spawn('php', [path.join(ROOT, 'tests/e2e/bin/install.php'), 'storage'], {
      env: { ...process.env, WP_DIR_INSTALL: env.WP_DIR, SITE_URL_INSTALL: env.SITE_URL, S3_ENDPOINT: proxyUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  if (r.code !== 0) throw new Error(`could not point the site at the proxy: ${r.out}${r.err}`);
}
log(`proxy ${proxyUrl} -> ${env.S3_ENDPOINT}; nodes ${nodes.map((n) => `${n.name} ${n.url}`).join(', ')}`);

let n = 0;
const wave = (count, bytes) => Array.from({ length: count }, () => makeDoc(++n, bytes));
const per = (k) => Math.max(2, Math.round((SMALL * k) / 40));
const loops = nodes.map(nodeLoop);
const phases = [];
async function phase(name, fn) {
  const t = Date.now();
  log(`phase ${name}`);
  await fn();
  phases.push(`${name} ${((Date.now() - t) / 1000).toFixed(1)}s`);
}

// Whoever sends the next request of `kind` gets `act` run once (a hook on the proxy).
function onNext(kind, act) {
  return new Promise((resolve) => {
    proxy.onRequest = (req) => {
      if (req.kind !== kind) return;
      proxy.onRequest = null;
      Promise.resolve(act(req)).then(resolve, resolve);
    };
  });
}

await phase('baseline, both nodes', async () => {
  const w = wave(per(4));
  await enqueue(w);
  await waitDone(w.map((d) => d.id), 60);
});

await phase('storage down', async () => {
  const w = wave(per(6));
  await enqueue(w);
  proxy.down(QUICK ? 4000 : 8000);
  injected('storage down (port closed, connections dropped)');
  await sleep(QUICK ? 4000 : 8000);
});

await phase('500/503/SlowDown bursts', async () => {
  const w = wave(per(6));
  proxy.answer(QUICK ? 3 : 6, 503, 'SlowDown');
  proxy.answer(QUICK ? 3 : 6, 500, 'InternalError');
  proxy.answer(QUICK ? 3 : 6, 503, 'ServiceUnavailable');
  await enqueue(w);
  const end = Date.now() + 40_000;
  while (proxy.pending() && Date.now() < end) await sleep(200);
});

await phase('connections cut mid-upload', async () => {
  const w = [...wave(per(4)), ...wave(1, 11 * 1024 * 1024)];
  proxy.cut(QUICK ? 3 : 6, 300); // small PDFs and 5 MiB parts alike: cut after 300 body bytes
  await enqueue(w);
  const end = Date.now() + 40_000;
  while (proxy.pending() && Date.now() < end) await sleep(200);
});

await phase('sidecar SIGKILL mid-job', async () => {
  for (const node of nodes) {
    // Only this node works, so the part on the wire is its sidecar's.
    await pause(nodes.filter((x) => x !== node).map((x) => x.name));
    const w = wave(1, 12 * 1024 * 1024);
    proxy.delay(2, 1500); // hold the first part on the wire long enough to kill its sender
    const killed = onNext('part', async () => {
      await sleep(300);
      const pid = sidecarPid(node);
      if (pid && alive(pid)) {
        process.kill(pid, 'SIGKILL');
        injected('sidecar SIGKILL mid-upload');
        log(`killed sidecar ${node.name} (pid ${pid}) with a part on the wire`);
      }
    });
    await enqueue(w);
    await Promise.race([killed, sleep(60_000)]);
    proxy.onRequest = null;
    await waitDone(w.map((d) => d.id), 60);
  }
  paused = new Set();
});

await phase('PHP request killed (time limit)', async () => {
  // As PHP-FPM's request_terminate_timeout does: the worker running the queue gets SIGTERM mid-upload. Its
  // job stays leased until the lease (WPS3_JOB_LEASE = 60 s here) runs out, then another worker takes it.
  await pause(nodes.map((x) => x.name));
  const w = wave(2);
  await enqueue(w);
  proxy.delay(1, 3000);
  // DISABLE_WP_CRON: its page load must not spawn a WP-Cron run on node A, which would race it for the job.
  const worker = wpPhp(['run-queue'], { defines: { DISABLE_WP_CRON: true } });
  const result = done(worker);
  await Promise.race([onNext('put', () => sleep(500)), sleep(30_000)]);
  proxy.onRequest = null;
  if (worker.exitCode === null) {
    const leased = await sql("SELECT document_id, locked_until - UNIX_TIMESTAMP() FROM wp_wps3_jobs WHERE status = 'running'");
    worker.kill('SIGTERM');
    injected('PHP request killed mid-upload (SIGTERM)');
    log(`killed the queue worker holding ${leased.map(([id, s]) => `${id} (lease ${s} s left)`).join(', ') || 'no lease'}`);
  }
  const r = await result;
  await sleep(1000);
  log(`killed worker: exit ${r.code} signal ${r.signal}; running jobs 1 s later: ${JSON.stringify(await sql("SELECT document_id, locked_until - UNIX_TIMESTAMP(), attempts FROM wp_wps3_jobs WHERE status = 'running'"))}`);
  paused = new Set();
});

await phase('MariaDB restarted mid-run', async () => {
  const w = wave(per(6));
  await enqueue(w);
  proxy.delay(3, 1500); // uploads in flight while the database goes away: "stored but not recorded"
  await Promise.race([
    onNext('put', async () => {
      const pid = Number(fs.readFileSync(path.join(DIR, 'mariadb.pid'), 'utf8').trim());
      process.kill(pid, 'SIGTERM');
      const end = Date.now() + 30_000;
      while (alive(pid) && Date.now() < end) await sleep(100);
      injected('MariaDB restarted mid-run');
      log(`MariaDB ${pid} stopped`);
      // Longer than wpdb's reconnect attempts (about 5 s): the PHP requests running then die (dead_db()),
      // some with an upload stored and not recorded, their jobs leased until the lease runs out.
      await sleep(QUICK ? 3000 : 8000);
      const db = spawn(
        'mariadbd',
        ['--no-defaults', `--datadir=${DIR}/mysql`, `--socket=${env.DB_SOCKET}`, '--skip-networking', '--user=root',
          `--pid-file=${DIR}/mariadb.pid`, `--log-error=${DIR}/mariadb.log`, '--innodb-buffer-pool-size=64M',
          '--innodb-log-file-size=48M', '--skip-name-resolve'],
        { detached: true, stdio: 'ignore' },
      );
      db.unref();
      fs.writeFileSync(path.join(DIR, 'pids/mariadb'), String(db.pid)); // e2e_down kills this group
      const up = Date.now() + 60_000;
      while (!(await dbUp()) && Date.now() < up) await sleep(200);
      log(`MariaDB back (pid ${db.pid})`);
    }),
    sleep(60_000),
  ]);
  proxy.onRequest = null;
});

await phase('clock skew (node B signs 20 min ahead)', async () => {
  // Node B's sidecar runs with WPS3_CLOCK_OFFSET_SECONDS=1200 (run.sh): storage answers
  // RequestTimeTooSkewed with its time, the core's verdict is after-clock-fix, the sidecar corrects its
  // clock and sends again. A fresh B sidecar (as after the SIGKILL) starts skewed again.
  await pause(['A']);
  const pid = sidecarPid(nodes[1]);
  if (pid && alive(pid)) process.kill(pid, 'SIGTERM'); // a fresh, skewed sidecar for this wave
  const w = wave(per(4));
  await enqueue(w);
  await waitDone(w.map((d) => d.id), 60);
  paused = new Set();
});

await phase('two nodes, one burst', async () => {
  const w = wave(Math.max(2, SMALL - docs.filter((d) => d.size < 6 * 1024 * 1024).length));
  await enqueue(w);
});

// ---------------------------------------------------------------- drain
proxy.clear();
proxy.onRequest = null;
await phase('drain (no faults)', async () => {
  const ok = await waitDone(docs.map((d) => d.id), QUICK ? 150 : 240);
  if (!ok) log('drain timed out; counting what is there');
});
stopping = true;
await Promise.all(loops);
faults['clock skew: requests refused as RequestTimeTooSkewed, then corrected'] = proxy.stats().skewRejected;
const pstats = proxy.stats();
for (const [label, count] of Object.entries(pstats.answered)) injected(`HTTP ${label} answered by the proxy`, count);
if (pstats.cut) injected('connection cut mid-upload', pstats.cut);
if (pstats.refusedWhileDown) injected('connection refused while storage was down', pstats.refusedWhileDown);
proxy.close();

// ---------------------------------------------------------------- verification
async function verify(acked) {
  const jobs = new Map((await sql('SELECT document_id, status, attempts, COALESCE(last_error_code, \'\') FROM wp_wps3_jobs')).map(([id, status, attempts, code]) => [id, { status, attempts: Number(attempts), code }]));
  const rows = new Map();
  const rowCount = new Map();
  for (const [id, key, size] of await sql('SELECT document_id, object_key, size FROM wp_wps3_backups')) {
    rows.set(id, { key, size: Number(size) });
    rowCount.set(id, (rowCount.get(id) || 0) + 1);
  }
  const hooks = new Map();
  for (const line of fs.readFileSync(path.join(DIR, 'hooks.log'), 'utf8').split('\n').filter(Boolean)) {
    const id = line.split('\t')[0];
    hooks.set(id, (hooks.get(id) || 0) + 1);
  }
  const objects = await listAll(PREFIX);
  const byDoc = new Map(); // document id -> keys of objects carrying it
  const named = new Set([...rows.values()].map((r) => r.key));
  const orphans = [];
  for (const o of objects) {
    const { result } = await s3('head_object', { key: o.key });
    const id = decodeURIComponent(result.metadata?.['wps3-document-id'] ?? '');
    if (!byDoc.has(id)) byDoc.set(id, []);
    byDoc.get(id).push(o.key);
    if (!named.has(o.key)) orphans.push(o.key);
  }
  let completed = 0;
  const lost = [];
  const duplicated = [];
  for (const d of docs) {
    const job = jobs.get(d.id);
    const row = rows.get(d.id);
    let why = '';
    if (!job) why = 'no job';
    else if (job.status !== 'done') why = `job ${job.status} (${job.code}, ${job.attempts} attempts)`;
    else if (!row) why = 'no backup row';
    else {
      try {
        const { res } = await s3('get_object', { key: row.key }, { responseLimit: 64 * 1024 * 1024 });
        const got = sha256(res.body);
        if (res.status !== 200) why = `object answers ${res.status}`;
        else if (got !== d.sha256) why = `object bytes differ (${res.body.length} bytes, sha256 ${got.slice(0, 12)})`;
      } catch (e) {
        why = `object missing (${e.code || e.message})`;
      }
    }
    if (why) lost.push(`${d.id}: ${why}`);
    else completed++;
    const copies = (byDoc.get(d.id) || []).length;
    const dupWhy = [];
    if (copies > 1) dupWhy.push(`${copies} objects: ${byDoc.get(d.id).join(', ')}`);
    if ((rowCount.get(d.id) || 0) > 1) dupWhy.push(`${rowCount.get(d.id)} backup rows`);
    if ((hooks.get(d.id) || 0) > 1) dupWhy.push(`wps_s3_uploaded fired ${hooks.get(d.id)} times`);
    if (row && (acked.get(row.key) || 0) > 1) dupWhy.push(`stored ${acked.get(row.key)} times under ${row.key}`);
    if (dupWhy.length) duplicated.push(`${d.id}: ${dupWhy.join('; ')}`);
  }
  for (const k of orphans) if (!duplicated.some((x) => x.includes(k))) duplicated.push(`object no backup row names: ${k}`);
  return { completed, lost, duplicated, objects: objects.length };
}

const acked = proxy.acked();
const result = await verify(acked);
const writes = [...acked.values()].reduce((a, b) => a + b, 0);
let open = [];
try {
  const { listMultipartUploads } = await import('../support/storage.mjs');
  open = await listMultipartUploads({ endpoint: env.S3_ENDPOINT, region: env.S3_REGION, accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY }, env.S3_BUCKET, PREFIX);
} catch (e) {
  open = [`(could not list: ${e.message.split('\n')[0]})`];
}

// Self-check: the counters must see a planted loss and a planted duplicate.
let selfCheck = 'skipped (nothing completed)';
const victim = docs.find((d) => !result.lost.some((l) => l.startsWith(`${d.id}:`)));
if (victim) {
  const [[key]] = await sql(`SELECT object_key FROM wp_wps3_backups WHERE document_id = '${victim.id}'`);
  const { res } = await s3('get_object', { key }, { responseLimit: 64 * 1024 * 1024 });
  const other = docs.find((d) => d !== victim && !result.lost.some((l) => l.startsWith(`${d.id}:`)));
  await s3('delete_object', { key });
  let planted;
  if (other) {
    const [[okey]] = await sql(`SELECT object_key FROM wp_wps3_backups WHERE document_id = '${other.id}'`);
    const { res: ores } = await s3('get_object', { key: okey }, { responseLimit: 64 * 1024 * 1024 });
    planted = `${PREFIX}planted-copy-${other.id}.pdf`;
    await s3('put_object', { key: planted, contentType: 'application/pdf', metadata: { 'wps3-document-id': other.id }, payloadHash: sha256(ores.body) }, { body: ores.body, contentLength: ores.body.length });
  }
  const again = await verify(acked);
  const ok = again.lost.length === result.lost.length + 1 && again.duplicated.length === result.duplicated.length + (other ? 1 : 0);
  selfCheck = `${ok ? 'ok' : 'FAILED'}: planted 1 loss (deleted ${key}) and ${other ? 1 : 0} duplicate -> lost ${again.lost.length}, duplicated ${again.duplicated.length}`;
  // Put things back as they were.
  await s3('put_object', { key, contentType: 'application/pdf', metadata: { 'wps3-document-id': victim.id }, payloadHash: sha256(res.body) }, { body: res.body, contentLength: res.body.length });
  if (planted) await s3('delete_object', { key: planted });
  if (!ok) result.selfCheckFailed = true;
}

const counts = (await jobCounts()) || {};
const attempts = (await sql('SELECT attempts, COUNT(*) FROM wp_wps3_jobs GROUP BY attempts ORDER BY attempts')).map(([a, c]) => `${c}x${a}`).join(' ');
const seconds = Math.round((Date.now() - T0) / 1000);
const lines = [
  '',
  '=== fault suite',
  `phases: ${phases.join(' | ')}`,
  `web nodes: ${nodes.map((x) => `${x.name} ${x.runs} runs (${x.errors} failed requests), claimed ${x.stats.claimed}, done ${x.stats.done}, retry ${x.stats.retry}, failed ${x.stats.failed}`).join('; ')}`,
  `jobs: ${JSON.stringify(counts)}; attempts per job (jobs x attempts): ${attempts}; objects under ${PREFIX}: ${result.objects}`,
  'faults injected:',
  ...Object.entries(faults).map(([k, v]) => `  ${String(v).padStart(4)}  ${k}`),
  `storage answers seen at the proxy: ${JSON.stringify(pstats.upstreamStatus)}`,
  `acknowledged final writes (PutObject / CompleteMultipartUpload 2xx) at the proxy: ${writes} for ${acked.size} keys`,
  `open multipart uploads left on storage: ${open.length}${open.length ? ' — ' + JSON.stringify(open).slice(0, 300) : ''}`,
  `self-check: ${selfCheck}`,
  ...result.lost.map((l) => `LOST ${l}`),
  ...result.duplicated.map((l) => `DUPLICATED ${l}`),
  `documents: ${docs.length}`,
  `faults injected: ${Object.values(faults).reduce((a, b) => a + b, 0)}`,
  `completed: ${result.completed}`,
  `lost: ${result.lost.length}`,
  `duplicated: ${result.duplicated.length}`,
  `time: ${seconds}s`,
];
console.log(lines.join('\n'));
fs.writeFileSync(path.join(DIR, 'faults-result.json'), JSON.stringify({ documents: docs.length, faults, completed: result.completed, lost: result.lost, duplicated: result.duplicated, writes, open, seconds }, null, 2));
// Every kind of fault must really have happened, or the run proved less than it says.
const KINDS = [/storage down/, /SlowDown/, /InternalError/, /ServiceUnavailable/, /cut mid-upload/, /sidecar SIGKILL/, /PHP request killed/, /MariaDB restarted/, /clock skew/];
const missing = KINDS.filter((re) => !Object.entries(faults).some(([k, v]) => re.test(k) && v > 0));
if (missing.length) console.log(`FAULT KINDS NOT INJECTED: ${missing.map(String).join(' ')}`);
const ok = result.lost.length === 0 && result.duplicated.length === 0 && result.completed === docs.length && !result.selfCheckFailed && !missing.length;
process.exit(ok ? 0 : 1);
