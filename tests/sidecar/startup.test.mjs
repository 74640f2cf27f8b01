// Start-up (issue 9, cold start): the wasm core compiles while the server
// listens, and the storage ops' modules load on first use. Neither may be
// observable: the first request answers from a fully loaded core, a core
// that cannot load is a clear error and exit, and a presign-only sidecar
// never loads the upload/TLS/worker machinery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { SERVER, ROOT, need, tmpDir } from './helpers.mjs';

const PRESIGN = {
  storage: { provider: 'aws', region: 'us-east-1', bucket: 'examplebucket' },
  credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  method: 'GET', key: 'uploads/42/report.pdf', expiresIn: 900, now: 1_795_000_000,
};

function pkgDir() {
  const bundled = path.join(ROOT, 'php-bridge', 'sidecar', 'wasm');
  return process.env.WPS3_PKG_DIR || (fs.existsSync(path.join(bundled, 'wps3.js')) ? bundled : path.join(ROOT, 'pkg', 'node'));
}

const post = (socketPath, p, body) => new Promise((resolve, reject) => {
  const data = JSON.stringify(body);
  const req = http.request({ socketPath, path: p, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
    let s = '';
    res.on('data', (c) => { s += c; });
    res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(s) }));
  });
  req.on('error', reject);
  req.end(data);
});

function spawnSidecar(dir, env = {}) {
  const sock = path.join(dir, 'run', 'sidecar.sock');
  const child = spawn(process.execPath, [SERVER, '--socket', sock], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c) => { out.stdout += c; });
  child.stderr.on('data', (c) => { out.stderr += c; });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  return { sock, child, out, exited };
}

test('the first request, sent the moment the socket exists, is answered by the loaded core', async (t) => {
  if (!need(t, ['core'])) return;
  const dir = tmpDir();
  const sc = spawnSidecar(dir);
  t.after(async () => {
    sc.child.kill('SIGKILL');
    await sc.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  // Poll for the socket file only, not for "ready": the request may well
  // arrive while the core is still compiling.
  for (let i = 0; i < 5000 && !fs.existsSync(sc.sock); i++) await new Promise((r) => setTimeout(r, 1));
  const r = await post(sc.sock, '/v1/op/presign', PRESIGN);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.ok, true);
  assert.match(r.json.result.url, /^https:\/\/examplebucket\.s3\.amazonaws\.com\/uploads\/42\/report\.pdf\?.*X-Amz-Signature=[0-9a-f]{64}/);
  const h = await new Promise((resolve, reject) => http.get({ socketPath: sc.sock, path: '/v1/health' }, (res) => {
    let s = '';
    res.on('data', (c) => { s += c; });
    res.on('end', () => resolve(JSON.parse(s)));
  }).on('error', reject));
  assert.equal(typeof h.coreVersion, 'string');
  assert.ok(h.coreVersion.length > 0);
});

test('a wasm core that cannot be compiled: a clear message and exit 2, no stack trace', async (t) => {
  if (!need(t, ['core'])) return;
  const dir = tmpDir();
  const broken = path.join(dir, 'pkg');
  fs.mkdirSync(broken);
  for (const f of ['wps3.js', 'package.json']) fs.copyFileSync(path.join(pkgDir(), f), path.join(broken, f));
  // A truncated module, as a half-copied plugin update would leave it.
  fs.writeFileSync(path.join(broken, 'wps3_bg.wasm'), fs.readFileSync(path.join(pkgDir(), 'wps3_bg.wasm')).subarray(0, 4096));
  const sc = spawnSidecar(dir, { WPS3_PKG_DIR: broken });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const timer = setTimeout(() => sc.child.kill('SIGKILL'), 15_000);
  const code = await sc.exited;
  clearTimeout(timer);
  assert.equal(code, 2, sc.out.stderr);
  assert.match(sc.out.stderr, /wps3-sidecar: wasm core at .*wps3_bg\.wasm could not be compiled: /);
  assert.doesNotMatch(sc.out.stderr, /\n\s+at /, 'no stack trace');
  assert.doesNotMatch(sc.out.stdout, /"ready"/, 'never announced ready');
  assert.equal(fs.existsSync(sc.sock), false, 'its socket is removed');
});

test('a missing wasm core: the same clear message as before, exit 2', async (t) => {
  const dir = tmpDir();
  const sc = spawnSidecar(dir, { WPS3_PKG_DIR: path.join(dir, 'nowhere') });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const code = await sc.exited;
  assert.equal(code, 2, sc.out.stderr);
  assert.match(sc.out.stderr, /wps3-sidecar: wasm core not found at .*nowhere.*wps3\.js/);
  assert.doesNotMatch(sc.out.stdout, /"ready"/);
});

test('a sidecar that only signs never loads the storage client, TLS or the hashing threads', async (t) => {
  if (!need(t, ['core'])) return;
  // In a child process, so this test file's own imports do not count.
  const script = `
    const { startCore } = await import(${JSON.stringify(path.join(ROOT, 'php-bridge/sidecar/core.mjs'))});
    const { createProtocol, loadedIo } = await import(${JSON.stringify(path.join(ROOT, 'php-bridge/sidecar/protocol.mjs'))});
    await startCore();
    const p = createProtocol({ startedAt: Date.now(), inFlight: 0 });
    const r = await p.runOp('presign', ${JSON.stringify(PRESIGN)});
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    const before = { https: process.moduleLoadList.some((m) => /^NativeModule (https|tls|worker_threads)$/.test(m)), io: loadedIo.upload !== null || loadedIo.s3client !== null };
    // The first storage op loads them (it fails here on purpose: bad arguments).
    const u = await p.runOp('upload-file', {});
    process.stdout.write(JSON.stringify({ before, uploadOk: u.ok, code: u.error?.code, after: loadedIo.upload !== null && loadedIo.s3client !== null }));`;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
  assert.deepEqual(out.before, { https: false, io: false });
  assert.equal(out.uploadOk, false);
  assert.equal(out.code, 'BAD_REQUEST');
  assert.equal(out.after, true);
});
