// Throwaway S3-compatible servers that really verify SigV4, for tests and the demo.
// Over 400 lines: each server's start-up quirks (ministack IAM users, Garage layout and keys, s3s-fs)
// live here so no test repeats them.
//
//   import { startStorage } from './tests/support/storage.mjs';
//   const s3 = await startStorage('ministack');   // or 'garage'
//   // s3 = { kind, endpoint, region, bucket, accessKeyId, secretAccessKey, provider: 'custom',
//   //        storage: {...wasm storage shape}, credentials: {...}, stop() }
//   await s3.stop();
//
// CLI:  node tests/support/storage.mjs [ministack|garage]
//   prints S3_ENDPOINT=… S3_REGION=… S3_BUCKET=… S3_ACCESS_KEY_ID=… S3_SECRET_ACCESS_KEY=…
//   and runs until SIGINT/SIGTERM.
//
// ministack: started with AUTH=true and a random root key; an IAM user with an s3:* policy
// gets an access key and THAT key is returned (ministack accepts any secret for its root
// key). Garage: single node, sqlite, its own key imported and allowed on the bucket.
// Both: bucket created, CORS allows GET/PUT/POST/HEAD from any origin and exposes ETag.
//
// Servers run in their own process group, bound to 127.0.0.1 on free ports, with all
// state in a temp dir. stop() kills the group and removes the dir. If this process
// exits, is signalled or is killed, the servers die too (exit handlers, a watchdog,
// and PR_SET_PDEATHSIG via setpriv).
//
// ministack handles also carry rootAccessKeyId/rootSecretAccessKey (the CLI prints them as
// S3_ROOT_*), for tests that create narrower IAM users (createIamUser) or more buckets.
//
// Options (second argument): { bucket, region, port (ministack), verbose (server logs to
//   stderr), logLevel, ministackVenv, garageBin, startTimeoutMs }.
// Environment: WPS3_CACHE (ministack venv at $WPS3_CACHE/ministack-venv), GARAGE_BIN.

import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const HELPER = path.join(HERE, 'ministack_setup.py');

const cacheDir = () => process.env.WPS3_CACHE || path.join(os.homedir(), '.cache', 'wps3');
export const ministackVenv = (opts = {}) =>
  opts.ministackVenv || path.join(cacheDir(), 'ministack-venv');
export const helperPython = (opts = {}) => path.join(ministackVenv(opts), 'bin', 'python');

/** Path of the garage binary, or null. */
export function findGarage(opts = {}) {
  const candidates = [
    opts.garageBin,
    process.env.GARAGE_BIN,
    ...(process.env.PATH || '').split(':').map((d) => d && path.join(d, 'garage')),
    path.join(process.env.CARGO_HOME || path.join(os.homedir(), '.cargo'), 'bin', 'garage'),
  ].filter(Boolean);
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return c;
    } catch {}
  }
  return null;
}

// ---------------------------------------------------------------- cleanup --
const live = new Set(); // { pgid, watchdogPid, dir }

function killGroup(pid, sig) {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {}
}

function cleanupSync() {
  for (const s of live) {
    killGroup(s.watchdogPid, 'SIGKILL');
    killGroup(s.pgid, 'SIGKILL');
    try {
      fs.rmSync(s.dir, { recursive: true, force: true });
    } catch {}
  }
  live.clear();
}

let handlersInstalled = false;
function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const onSignal = () => {
      cleanupSync();
      // Keep the default behaviour (terminate) unless someone else handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.once(sig, onSignal);
  }
}

const haveSetpriv = fs.existsSync('/usr/bin/setpriv');

/** Spawn a server in its own process group; it gets SIGKILL if we die (pdeathsig). */
function spawnServer(cmd, args, { env, cwd, logFile }) {
  const out = fs.openSync(logFile, 'a');
  const [c, a] = haveSetpriv ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', cmd, ...args]] : [cmd, args];
  const child = spawn(c, a, { env, cwd, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  return child;
}

/** A tiny detached shell that kills the server group and removes dir once we are gone. */
function spawnWatchdog(pgid, dir) {
  const script =
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -KILL -- "-$2" 2>/dev/null; rm -rf -- "$3"';
  const w = spawn('/bin/sh', ['-c', script, 'wps3-storage-watchdog', String(process.pid), String(pgid), dir], {
    detached: true,
    stdio: 'ignore',
  });
  w.unref();
  return w.pid;
}

// ---------------------------------------------------------------- helpers --
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function run(cmd, args, { env, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) {
        err.message += `\n$ ${cmd} ${args.join(' ')}\n${stdout}${stderr}`;
        err.stdout = stdout;
        err.stderr = stderr;
        reject(err);
      } else resolve({ stdout, stderr });
    });
  });
}

/** Run the botocore helper (ministack venv python). Resolves with its JSON output. */
export async function runHelper(cmd, arg, opts = {}) {
  const py = helperPython(opts);
  if (!fs.existsSync(py)) throw new Error(`${py} missing; run: bash tools/setup.sh storage`);
  let stdout;
  try {
    ({ stdout } = await run(py, [HELPER, cmd, JSON.stringify(arg)], { timeoutMs: 60000 }));
  } catch (e) {
    const out = (e.stdout || '').trim();
    let msg = e.message;
    try {
      msg = JSON.parse(out.split('\n').pop()).error || msg;
    } catch {}
    throw new Error(`ministack_setup.py ${cmd} failed: ${msg}`);
  }
  return JSON.parse(stdout.trim().split('\n').pop());
}

/**
 * Sign a ListObjectsV2 with botocore twice: with the right secret and with a wrong one.
 * Resolves { good: {status, code}, bad: {status, code}, rejected: boolean }.
 */
export function checkAuth(server, opts = {}) {
  const { endpoint, region, bucket, accessKeyId, secretAccessKey } = server;
  return runHelper('check-auth', { endpoint, region, bucket, accessKeyId, secretAccessKey }, opts);
}

const tail = (file, n = 40) => {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
};

async function waitFor(what, fn, { timeoutMs, child, logFile }) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`${what}: server exited with code ${child.exitCode}\n${tail(logFile)}`);
    }
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    await sleep(100);
  }
  throw new Error(`${what}: timed out after ${timeoutMs} ms${lastErr ? `: ${lastErr.message}` : ''}\n${tail(logFile)}`);
}

function makeHandle(base, { child, dir, watchdogPid, logFile, verbose }) {
  const rec = { pgid: child.pid, watchdogPid, dir };
  live.add(rec);
  let stopped = null;
  let tailer = null;
  if (verbose) {
    tailer = spawn('tail', [`--pid=${process.pid}`, '-n', '+1', '-F', logFile], { stdio: ['ignore', process.stderr, 'ignore'] });
    tailer.unref();
  }
  const stop = () => {
    stopped ??= (async () => {
      killGroup(watchdogPid, 'SIGKILL');
      if (tailer) tailer.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        killGroup(child.pid, 'SIGTERM');
        const t = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      killGroup(child.pid, 'SIGKILL'); // stragglers in the group
      fs.rmSync(dir, { recursive: true, force: true });
      live.delete(rec);
    })();
    return stopped;
  };
  const storage = {
    provider: 'custom',
    region: base.region,
    bucket: base.bucket,
    endpoint: base.endpoint,
    addressingStyle: 'path',
    // The servers listen on 127.0.0.1: the core's SSRF guard refuses that unless allowed.
    allowPrivateEndpoints: true,
  };
  const credentials = { accessKeyId: base.accessKeyId, secretAccessKey: base.secretAccessKey };
  return { ...base, provider: 'custom', storage, credentials, pid: child.pid, dir, logFile, stop };
}

const randHex = (n) => randomBytes(n).toString('hex');
const randAlnum = (n) => {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return Array.from(randomBytes(n), (b) => abc[b & 31]).join('');
};

// -------------------------------------------------------------- ministack --
async function startMinistack(opts) {
  const venv = ministackVenv(opts);
  const bin = path.join(venv, 'bin', 'ministack');
  if (!fs.existsSync(bin)) throw new Error(`${bin} missing; run: bash tools/setup.sh storage`);
  const region = opts.region || 'us-east-1';
  const bucket = opts.bucket || 'wps3-test';
  const port = opts.port || (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wps3-ministack-'));
  const logFile = path.join(dir, 'server.log');
  const rootKey = `AKIA${randAlnum(16)}`;
  const rootSecret = randomBytes(30).toString('base64').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 40);
  const env = {
    ...process.env,
    AUTH: 'true',
    SERVICES: 's3,iam,sts',
    BIND_HOST: '127.0.0.1',
    GATEWAY_PORT: String(port),
    AWS_ACCESS_KEY_ID: rootKey,
    AWS_SECRET_ACCESS_KEY: rootSecret,
    MINISTACK_REGION: region,
    LOG_LEVEL: opts.logLevel || 'WARNING',
    TMPDIR: dir,
    S3_DATA_DIR: path.join(dir, 's3'),
    STATE_DIR: path.join(dir, 'state'),
  };
  delete env.AWS_SESSION_TOKEN;
  const child = spawnServer(bin, [], { env, cwd: dir, logFile });
  const watchdogPid = spawnWatchdog(child.pid, dir);
  installExitHandlers();
  const pending = { pgid: child.pid, watchdogPid, dir };
  live.add(pending);
  try {
    const timeoutMs = opts.startTimeoutMs || 30000;
    await waitFor('ministack start', () => canConnect(port), { timeoutMs, child, logFile });
    const endpoint = `http://127.0.0.1:${port}`;
    const res = await runHelper(
      'setup',
      {
        endpoint,
        region,
        bucket,
        iam: true,
        user: opts.user || 'wps3-test',
        rootAccessKeyId: rootKey,
        rootSecretAccessKey: rootSecret,
      },
      opts,
    );
    live.delete(pending);
    return makeHandle(
      {
        kind: 'ministack', endpoint, region, bucket, accessKeyId: res.accessKeyId, secretAccessKey: res.secretAccessKey,
        rootAccessKeyId: rootKey, rootSecretAccessKey: rootSecret,
      },
      { child, dir, watchdogPid, logFile, verbose: opts.verbose },
    );
  } catch (e) {
    live.delete(pending);
    const log = tail(logFile);
    killGroup(watchdogPid, 'SIGKILL');
    killGroup(child.pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    if (!e.message.includes(log)) e.message += `\n--- ministack log ---\n${log}`;
    throw e;
  }
}

// ----------------------------------------------------------------- garage --
async function startGarage(opts) {
  const bin = findGarage(opts);
  if (!bin) throw new Error('garage binary not found; run: bash tools/setup.sh storage');
  const region = opts.region || 'garage';
  const bucket = opts.bucket || 'wps3-test';
  const [s3Port, rpcPort] = [await freePort(), await freePort()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wps3-garage-'));
  const logFile = path.join(dir, 'server.log');
  const config = path.join(dir, 'garage.toml');
  fs.writeFileSync(
    config,
    `metadata_dir = "${dir}/meta"
data_dir = "${dir}/data"
db_engine = "sqlite"
metadata_fsync = false
data_fsync = false
replication_factor = 1
rpc_bind_addr = "127.0.0.1:${rpcPort}"
rpc_public_addr = "127.0.0.1:${rpcPort}"
rpc_secret = "${randHex(32)}"

[s3_api]
s3_region = "${region}"
api_bind_addr = "127.0.0.1:${s3Port}"
root_domain = ".s3.garage.localhost"
`,
    { mode: 0o600 },
  );
  const env = { ...process.env, RUST_LOG: opts.logLevel || 'garage=warn', GARAGE_CONFIG_FILE: config };
  const child = spawnServer(bin, ['-c', config, 'server'], { env, cwd: dir, logFile });
  const watchdogPid = spawnWatchdog(child.pid, dir);
  installExitHandlers();
  const pending = { pgid: child.pid, watchdogPid, dir };
  live.add(pending);
  const g = (...args) => run(bin, ['-c', config, ...args], { env });
  try {
    const timeoutMs = opts.startTimeoutMs || 60000;
    const common = { timeoutMs, child, logFile };
    const nodeId = await waitFor(
      'garage node id',
      async () => (await g('node', 'id', '-q')).stdout.trim().split('@')[0],
      common,
    );
    // `node id` reads the key file and can answer before the RPC port listens, so the first
    // layout call may be refused: retry it until the server takes it.
    await waitFor('garage layout assign', async () => {
      await g('layout', 'assign', '-z', 'dc1', '-c', '1G', nodeId);
      return true;
    }, common);
    await g('layout', 'apply', '--version', '1');
    const keyName = 'wps3-test';
    const accessKeyId = `GK${randHex(12)}`;
    const secretAccessKey = randHex(32);
    await waitFor(
      'garage key import',
      async () => (await g('key', 'import', '--yes', '-n', keyName, accessKeyId, secretAccessKey), true),
      common,
    );
    await waitFor('garage bucket create', async () => (await g('bucket', 'create', bucket), true), common);
    await g('bucket', 'allow', '--read', '--write', '--owner', bucket, '--key', keyName);
    await waitFor('garage s3 api', () => canConnect(s3Port), common);
    const endpoint = `http://127.0.0.1:${s3Port}`;
    await runHelper(
      'setup',
      { endpoint, region, bucket, accessKeyId, secretAccessKey, iam: false, createBucket: false },
      opts,
    );
    live.delete(pending);
    return makeHandle(
      { kind: 'garage', endpoint, region, bucket, accessKeyId, secretAccessKey },
      { child, dir, watchdogPid, logFile, verbose: opts.verbose },
    );
  } catch (e) {
    live.delete(pending);
    const log = tail(logFile);
    killGroup(watchdogPid, 'SIGKILL');
    killGroup(child.pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    if (!e.message.includes(log)) e.message += `\n--- garage log ---\n${log}`;
    throw e;
  }
}

// ------------------------------------------------------------------ entry --
export async function startStorage(kind = 'ministack', opts = {}) {
  switch (kind) {
    case 'ministack':
      return startMinistack(opts);
    case 'garage':
      return startGarage(opts);
    default:
      throw new Error(`unknown storage kind '${kind}' (ministack | garage)`);
  }
}

/**
 * A ministack IAM user with exactly `policy` (an IAM policy document). Resolves
 * { accessKeyId, secretAccessKey }. `server`: a handle or { endpoint, region, rootAccessKeyId, rootSecretAccessKey }.
 */
export function createIamUser(server, user, policy, opts = {}) {
  const { endpoint, region, rootAccessKeyId, rootSecretAccessKey } = server;
  if (!rootAccessKeyId) throw new Error('createIamUser needs a ministack handle (root key)');
  return runHelper('create-user', { endpoint, region, rootAccessKeyId, rootSecretAccessKey, user, policy }, opts);
}

/** Another bucket, created in `region` (its LocationConstraint), with optional CORS rules. */
export function createBucket(server, bucket, region, { corsRules, ...opts } = {}) {
  const { endpoint, accessKeyId, secretAccessKey } = server;
  return runHelper('create-bucket', { endpoint, region, bucket, accessKeyId, secretAccessKey, corsRules }, opts);
}

/** Replaces a bucket's CORS rules (e.g. with the page's generated rule). */
export function putCors(server, bucket, corsRules, opts = {}) {
  const { endpoint, region, accessKeyId, secretAccessKey } = server;
  return runHelper('put-cors', { endpoint, region, bucket, accessKeyId, secretAccessKey, corsRules }, opts);
}

/** Open multipart uploads of a bucket: [{ key, uploadId }] (keys under `prefix` only, when given). */
export async function listMultipartUploads(server, bucket, prefix = '', opts = {}) {
  const { endpoint, region, accessKeyId, secretAccessKey } = server;
  return (await runHelper('list-uploads', { endpoint, region, bucket, accessKeyId, secretAccessKey, prefix }, opts)).uploads;
}

export function envLines(s) {
  return [
    `S3_ENDPOINT=${s.endpoint}`,
    `S3_REGION=${s.region}`,
    `S3_BUCKET=${s.bucket}`,
    `S3_ACCESS_KEY_ID=${s.accessKeyId}`,
    `S3_SECRET_ACCESS_KEY=${s.secretAccessKey}`,
    ...(s.rootAccessKeyId ? [`S3_ROOT_ACCESS_KEY_ID=${s.rootAccessKeyId}`, `S3_ROOT_SECRET_ACCESS_KEY=${s.rootSecretAccessKey}`] : []),
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const kind = process.argv[2] || 'ministack';
  const verbose = process.argv.includes('--verbose');
  let s;
  try {
    s = await startStorage(kind, { verbose });
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
  console.log(envLines(s));
  console.error(`[storage] ${kind} running (pid ${s.pid}, dir ${s.dir}); Ctrl-C or SIGTERM to stop`);
  const shutdown = async (sig) => {
    await s.stop();
    console.error(`[storage] ${kind} stopped (${sig})`);
    process.exit(0);
  };
  // Registered after startStorage, so these run alongside the library's cleanup handlers.
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  setInterval(() => {}, 1 << 30);
}
