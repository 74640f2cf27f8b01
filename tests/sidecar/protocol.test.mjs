// The sidecar protocol (docs/CONTRACTS.md section 2) and its robustness:
// every bad input gets a stable JSON error and the server keeps answering.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startSidecar, need, tmpDir, SERVER, ROOT, rawRequest } from './helpers.mjs';

const storage = { provider: 'custom', region: 'us-east-1', bucket: 'wps3-test', endpoint: 'http://127.0.0.1:9', addressingStyle: 'path', allowPrivateEndpoints: true };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const NOW = 1_700_000_000;

let sc;
before(async (t) => {
  if (!need(t, ['core'])) return;
  sc = await startSidecar({ env: { WPS3_HEADERS_TIMEOUT_MS: '1500', WPS3_BODY_TIMEOUT_MS: '2000' } });
});
after(async () => sc?.stop());

const noStack = (text) => assert.doesNotMatch(text, /\n\s+at |\.mjs:\d+|\.js:\d+/, 'no stack traces in responses');

async function stillAlive() {
  const h = await sc.request({ path: '/v1/health' });
  assert.equal(h.status, 200);
  assert.equal(h.json.ok, true);
}

test('GET /v1/health and the health op', async (t) => {
  if (!sc) return t.skip('no core');
  const h = await sc.request({ path: '/v1/health' });
  assert.equal(h.status, 200);
  assert.equal(h.headers['content-type'], 'application/json');
  assert.equal(h.json.ok, true);
  assert.equal(h.json.pid, sc.pid);
  assert.match(h.json.version, /^\d+\.\d+\.\d+/);
  assert.equal(typeof h.json.uptimeSeconds, 'number');
  assert.equal(h.json.inFlight, 0);
  const op = await sc.op('health', {});
  assert.equal(op.ok, true);
  assert.equal(op.result.version, h.json.version);
});

test('health reports the sidecar version (the plugin header) and the core version', async (t) => {
  if (!sc) return t.skip('no core');
  const header = /^[ \t/*#@]*Version:[ \t]*(\S+)/m.exec(fs.readFileSync(path.join(ROOT, 'php-bridge', 'wps3.php'), 'utf8'))[1];
  const h = (await sc.request({ path: '/v1/health' })).json;
  assert.equal(h.sidecarVersion, header, 'PHP compares this with its own version to restart a stale sidecar');
  assert.match(h.coreVersion, /^\d+\.\d+\.\d+/);
  assert.equal(h.coreVersion, h.version);
  assert.deepEqual(Object.keys((await sc.op('health', {})).result).sort(), Object.keys(h).sort());
  // The fallback (a sidecar deployed without wps3.php next to it) is kept in step.
  const { FALLBACK_VERSION, readPluginVersion } = await import(path.join(ROOT, 'php-bridge', 'sidecar', 'version.mjs'));
  assert.equal(FALLBACK_VERSION, header, 'bump FALLBACK_VERSION in php-bridge/sidecar/version.mjs with the plugin version');
  assert.equal(readPluginVersion('/nonexistent/wps3.php'), null);
});

test('keys we create get the core\'s strict check: INVALID_KEY before any file or storage is touched', async (t) => {
  if (!sc) return t.skip('no core');
  // storage is 127.0.0.1:9 (nothing there) and the file does not exist:
  // reaching either would give NETWORK_ERROR or FILE_NOT_FOUND instead.
  for (const key of ['a/../b.pdf', './x.pdf', 'docs/./x.pdf', '..', 'x/..', 'tab\there.pdf', 'nul\u0000.pdf', 'del\u007f.pdf']) {
    const r = await sc.request({ method: 'POST', path: '/v1/op/upload-file', body: { storage, credentials, key, path: '/nonexistent/wps3.pdf' } });
    assert.equal(r.status, 400, `${JSON.stringify(key)}: ${r.text}`);
    assert.equal(r.json.error.code, 'INVALID_KEY', JSON.stringify(key));
    assert.equal(r.json.error.retryable, false);
  }
  const ok = await sc.op('upload-file', { storage, credentials, key: 'a/b..c/.hidden/x.pdf', path: '/nonexistent/wps3.pdf' });
  assert.equal(ok.error.code, 'FILE_NOT_FOUND', 'dots inside a segment are fine');
  // Other ops that create objects: PUT/POST signatures and POST policies.
  const base = { storage, credentials, expiresIn: 60, now: NOW };
  const bad = 'a/../b.pdf';
  for (const [op, args] of [
    ['presign', { ...base, method: 'PUT', key: bad }],
    ['post-policy', { ...base, key: bad }],
    ['sign', { storage, credentials, now: NOW, method: 'PUT', key: bad, query: [], headers: [], payloadHash: 'UNSIGNED-PAYLOAD' }],
    ['sign', { storage, credentials, now: NOW, method: 'POST', key: bad, query: [['uploads', '']], headers: [], payloadHash: 'UNSIGNED-PAYLOAD' }],
  ]) {
    const r = await sc.op(op, args);
    assert.equal(r.error?.code, 'INVALID_KEY', `${op} ${args.method ?? ''}: ${JSON.stringify(r)}`);
  }
  // Reading or deleting an existing object with such a key stays possible.
  assert.equal((await sc.op('presign', { ...base, method: 'GET', key: bad })).ok, true);
  assert.equal((await sc.op('sign', { storage, credentials, now: NOW, method: 'DELETE', key: bad, query: [], headers: [], payloadHash: 'UNSIGNED-PAYLOAD' })).ok, true);
  assert.equal((await sc.op('post-policy', { ...base, key: 'uploads/${filename}' })).ok, true);
});

test('batch: mixed ok and failed ops, results in order', async (t) => {
  if (!sc) return t.skip('no core');
  const env = await sc.op('encrypt', { keyMaterial: 'k'.repeat(32), context: 'site-1', plaintext: credentials.secretAccessKey });
  assert.equal(env.ok, true, JSON.stringify(env));
  assert.match(env.result.envelope, /^wps3:v1:/);
  const sealed = { accessKeyId: credentials.accessKeyId, sealedSecret: { envelope: env.result.envelope, keyMaterial: 'k'.repeat(32), context: 'site-1' } };
  const presign = { storage, method: 'GET', key: 'a/b c.pdf', expiresIn: 300, now: NOW };
  const r = await sc.request({
    method: 'POST', path: '/v1/batch', body: {
      ops: [
        { op: 'presign', args: { ...presign, credentials } },
        { op: 'presign', args: { ...presign, credentials: sealed } },
        { op: 'presign', args: { ...presign, credentials, storage: { ...storage, bucket: 'Bad_Bucket!' } } },
        { op: 'no-such-op', args: {} },
        42,
        { op: 'render-key', args: { title: 'Quarterly Report', documentId: 'd1', now: NOW } },
        { op: 'content-disposition', args: { filename: 'résumé.pdf' } },
        { op: 'decrypt', args: { keyMaterial: 'x'.repeat(32), context: 'site-1', envelope: env.result.envelope } },
        { op: 'decrypt', args: { keyMaterial: 'k'.repeat(32), context: 'site-1', envelope: env.result.envelope } },
        { op: 'presign', args: { ...presign, credentials: { accessKeyId: 'A', sealedSecret: { ...sealed.sealedSecret, context: 'other-site' } } } },
        { op: 'presign', args: { storage, method: 'GET', key: 'x', expiresIn: 60, credentials } },
        { op: 'health' },
      ],
    },
  });
  assert.equal(r.status, 200);
  const res = r.json.results;
  assert.equal(res.length, 12);
  assert.equal(res[0].ok, true);
  assert.match(res[0].result.url, /X-Amz-Signature=[0-9a-f]{64}/);
  assert.deepEqual(res[1], res[0], 'a sealed secret signs exactly like the plain one');
  assert.deepEqual([res[2].ok, res[2].error.code], [false, 'INVALID_BUCKET']);
  assert.deepEqual([res[3].ok, res[3].error.code], [false, 'UNKNOWN_OP']);
  assert.deepEqual([res[4].ok, res[4].error.code], [false, 'BAD_REQUEST']);
  assert.equal(res[5].ok, true);
  assert.match(res[5].result.key, /Quarterly.*d1\.pdf$/);
  assert.equal(res[6].ok, true);
  assert.match(res[6].result.value, /^attachment; filename=/);
  assert.deepEqual([res[7].ok, res[7].error.code], [false, 'DECRYPT_FAILED']);
  assert.deepEqual(res[8], { ok: true, result: { plaintext: credentials.secretAccessKey } });
  assert.deepEqual([res[9].ok, res[9].error.code], [false, 'DECRYPT_FAILED']);
  assert.equal(res[10].ok, true, 'presign without now uses the sidecar clock');
  const amzDate = new URL(res[10].result.url).searchParams.get('X-Amz-Date');
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
  assert.ok(Math.abs(signedAt - Date.now()) < 60_000, `X-Amz-Date ${amzDate} is now`);
  assert.equal(res[11].ok, true);
  for (const x of res) if (!x.ok) assert.equal(typeof x.error.message, 'string');
  const others = res.filter((_, i) => i !== 8);
  assert.doesNotMatch(JSON.stringify(others), /wJalrXUtnFEMI/, 'the secret never comes back except from decrypt');
});

test('malformed requests get stable codes and the server keeps answering', async (t) => {
  if (!sc) return t.skip('no core');
  const cases = [
    [{ method: 'POST', path: '/v1/op/health', body: '{not json' }, 400, 'BAD_REQUEST'],
    [{ method: 'POST', path: '/v1/op/presign', body: '[1,2]' }, 400, 'BAD_REQUEST'],
    [{ method: 'POST', path: '/v1/op/presign', body: 'null' }, 400, undefined],
    [{ method: 'POST', path: '/v1/batch', body: '{"ops": "nope"}' }, 400, 'BAD_REQUEST'],
    [{ method: 'POST', path: '/v1/batch', body: '' }, 400, 'BAD_REQUEST'],
    [{ method: 'POST', path: '/v1/op/frobnicate', body: '{}' }, 404, 'UNKNOWN_OP'],
    [{ method: 'POST', path: '/v1/op/%E0%A4%A', body: '{}' }, 404, 'UNKNOWN_OP'],
    [{ method: 'POST', path: '/v1/op/__proto__', body: '{}' }, 404, 'UNKNOWN_OP'],
    [{ method: 'POST', path: '/v1/op/toString', body: '{}' }, 404, 'UNKNOWN_OP'],
    [{ method: 'GET', path: '/v1/batch' }, 405, 'METHOD_NOT_ALLOWED'],
    [{ method: 'GET', path: '/etc/passwd' }, 404, 'NOT_FOUND'],
    [{ method: 'POST', path: '/v1/op/presign', body: { storage, credentials, method: 'GET', key: 'k', expiresIn: 'soon', now: NOW } }, 400, undefined],
    [{ method: 'POST', path: '/v1/op/presign', body: { storage, credentials, method: 'GET', key: 'k', expiresIn: 999999999, now: NOW } }, 400, 'INVALID_EXPIRES'],
    [{ method: 'POST', path: '/v1/op/presign', body: { storage: 'nope', credentials, key: 'k' } }, 400, undefined],
    [{ method: 'POST', path: '/v1/op/sign', body: { storage, credentials: { accessKeyId: 7 } } }, 400, 'BAD_REQUEST'],
    [{ method: 'POST', path: '/v1/op/upload-file', body: { storage, credentials, key: 'k', path: 42 } }, 400, 'BAD_REQUEST'],
    [{ method: 'POST', path: '/v1/op/upload-file', body: { storage, credentials, key: 'k', path: 'relative/file' } }, 400, 'BAD_REQUEST'],
    [{ method: 'POST', path: '/v1/op/upload-file', body: { storage, credentials, key: 'k', path: '/nonexistent/wps3-file' } }, 422, 'FILE_NOT_FOUND'],
    [{ method: 'POST', path: '/v1/op/upload-file', body: { storage, credentials, key: 'k', path: '/tmp' } }, 422, 'FILE_UNREADABLE'],
    [{ method: 'POST', path: '/v1/op/upload-file', body: { storage, credentials, key: 'k', path: '/etc/hostname', partSize: 1 } }, 400, 'BAD_REQUEST'],
    [{ method: 'POST', path: '/v1/op/content-disposition', body: { filename: { a: 1 } } }, 400, 'BAD_REQUEST'],
    [{ method: 'POST', path: '/v1/op/parse-error', body: { status: 'x' } }, 400, undefined],
    [{ method: 'POST', path: '/v1/op/head-object', body: { storage, credentials } }, 400, 'BAD_REQUEST'],
    [{ method: 'POST', path: '/v1/op/health', body: '['.repeat(200_000) + ']'.repeat(200_000) }, 400, 'BAD_REQUEST'],
    [{ method: 'POST', path: '/v1/op/presign', body: `{"storage":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}` }, 400, undefined],
  ];
  for (const [req, status, code] of cases) {
    const r = await sc.request(req);
    const label = `${req.method} ${req.path} ${String(typeof req.body === 'string' ? req.body : JSON.stringify(req.body ?? '')).slice(0, 60)}`;
    assert.equal(r.status, status, `${label}: ${r.text.slice(0, 300)}`);
    assert.equal(r.json?.ok, false, label);
    assert.match(r.json.error.code, /^[A-Z][A-Z_]+$/, label);
    assert.equal(r.json.error.retryable, false, `${label}: every error says whether a retry may help`);
    if (code) assert.equal(r.json.error.code, code, `${label}: ${r.text.slice(0, 300)}`);
    noStack(r.text);
  }
  await stillAlive();
});

test('oversized bodies are refused with 413 before being read', async (t) => {
  if (!sc) return t.skip('no core');
  const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
  const r = await sc.request({ method: 'POST', path: '/v1/batch', body: big });
  assert.equal(r.status, 413);
  assert.equal(r.json.error.code, 'PAYLOAD_TOO_LARGE');
  // Chunked (no Content-Length) over the limit.
  const r2 = await new Promise((resolve, reject) => {
    const s = net.connect(sc.socket);
    let out = '';
    s.on('data', (c) => { out += c; });
    s.on('close', () => resolve(out));
    s.on('error', reject);
    s.write('POST /v1/batch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    let n = 0;
    const pump = () => {
      while (n < 8 && s.writable) { n++; if (!s.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)) return s.once('drain', pump); }
      if (s.writable) s.write('0\r\n\r\n');
    };
    pump();
    s.on('error', () => {});
  });
  assert.match(r2, /^HTTP\/1\.1 413/);
  assert.match(r2, /PAYLOAD_TOO_LARGE/);
  await stillAlive();
});

function rawExchange(socketPath, bytes, { end = false, waitMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    let out = '';
    const t0 = Date.now();
    const timer = setTimeout(() => { s.destroy(); resolve({ out, closed: false, ms: Date.now() - t0 }); }, waitMs);
    s.on('data', (c) => { out += c; });
    s.on('close', () => { clearTimeout(timer); resolve({ out, closed: true, ms: Date.now() - t0 }); });
    s.on('error', () => {});
    s.on('connect', () => { if (bytes) s.write(bytes); if (end) s.end(); });
  });
}

test('garbage, truncated and idle connections never hurt the server', async (t) => {
  if (!sc) return t.skip('no core');
  const garbage = await rawExchange(sc.socket, Buffer.from('\x00\x01\x02 GARBAGE \xff\r\n\r\n', 'latin1'));
  assert.match(garbage.out, /^HTTP\/1\.1 400/);
  assert.match(garbage.out, /"code":"BAD_REQUEST"/);
  const hugeHeader = await rawExchange(sc.socket, `GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
  assert.match(hugeHeader.out, /^HTTP\/1\.1 431/);
  // Truncated: the client hangs up mid-body.
  const trunc = await rawExchange(sc.socket, 'POST /v1/op/health HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"a":', { end: true });
  assert.equal(trunc.closed, true);
  // Slowloris: idle sockets and half-sent requests are closed by timeouts.
  const [idle, partialHead, partialBody] = await Promise.all([
    rawExchange(sc.socket, null, { waitMs: 8000 }),
    rawExchange(sc.socket, 'POST /v1/op/health HTTP/1.1\r\nHost: x\r\n', { waitMs: 8000 }),
    rawExchange(sc.socket, 'POST /v1/op/health HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{', { waitMs: 8000 }),
  ]);
  for (const [name, r] of Object.entries({ idle, partialHead, partialBody })) {
    assert.equal(r.closed, true, `${name} connection closed by the server`);
    assert.ok(r.ms < 6000, `${name} closed after ${r.ms} ms`);
  }
  assert.match(partialBody.out, /REQUEST_TIMEOUT/);
  assert.match(partialBody.out, /"retryable":true/);
  await stillAlive();
  assert.equal(sc.child.exitCode, null);
});

test('socket file is 0600 in a 0700 directory; pid file written', async (t) => {
  if (!sc) return t.skip('no core');
  const st = fs.statSync(sc.socket);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(sc.socket)).mode & 0o777, 0o700);
  assert.equal(Number(fs.readFileSync(sc.pidFile, 'utf8')), sc.pid);
});

test('refuses unsafe socket directories and a live socket; clears a stale one', async (t) => {
  if (!need(t, ['core'])) return;
  const dir = tmpDir();
  try {
    const open = path.join(dir, 'open');
    fs.mkdirSync(open, { mode: 0o755 });
    fs.chmodSync(open, 0o755);
    let r = spawnSync(process.execPath, [SERVER, '--socket', path.join(open, 's.sock')], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /group\/others/);
    const notSock = path.join(dir, 'file.sock');
    fs.writeFileSync(notSock, 'x');
    r = spawnSync(process.execPath, [SERVER, '--socket', notSock], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not a socket/);
    r = spawnSync(process.execPath, [SERVER, '--socket', sc.socket], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /another process/);
    await stillAlive();

    // A sidecar killed with SIGKILL leaves its socket; the next one removes it.
    const first = await startSidecar({ dir: path.join(dir, 'a') });
    first.child.kill('SIGKILL');
    await first.exited;
    assert.ok(fs.existsSync(first.socket), 'stale socket left behind');
    const second = await startSidecar({ dir: first.dir });
    assert.equal((await second.request({ path: '/v1/health' })).json.pid, second.pid);
    assert.match(second.stderr, /removed stale socket/);
    const { code } = await second.stop('SIGTERM');
    assert.equal(code, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('TCP fallback: 127.0.0.1 only, the old bearer token refused (tcp-proof.test.mjs has the proof), token file 0600', async (t) => {
  if (!need(t, ['core'])) return;
  const tcp = await startSidecar({ mode: 'tcp' });
  try {
    assert.equal(fs.statSync(tcp.tokenFile).mode & 0o777, 0o600);
    assert.match(tcp.token, /^[0-9a-f]{64}$/);
    const ok = await tcp.request({ path: '/v1/health' });
    assert.equal(ok.status, 200);
    for (const auth of [undefined, '', 'Bearer', `Bearer ${tcp.token.slice(0, -1)}`, `Bearer ${tcp.token}x`, `Basic ${tcp.token}`, `Bearer ${'0'.repeat(64)}`]) {
      const headers = auth === undefined ? { Authorization: undefined } : { Authorization: auth };
      const r = await rawRequest({ port: tcp.port }, { method: 'POST', path: '/v1/op/health', body: '{}', headers: auth === undefined ? {} : headers });
      assert.equal(r.status, 401, `auth ${auth}`);
      assert.equal(r.json.error.code, 'UNAUTHORIZED');
    }
    const op = await tcp.op('health', {});
    assert.equal(op.ok, true);
    // Not reachable on other local addresses.
    const other = await new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.2', port: tcp.port });
      s.on('connect', () => { s.destroy(); resolve('connected'); });
      s.on('error', (e) => resolve(e.code));
    });
    assert.notEqual(other, 'connected');
  } finally {
    await tcp.stop();
  }
  // An existing token file is reused, and refused if others can read it.
  const dir = tmpDir();
  try {
    const tf = path.join(dir, 'token');
    fs.writeFileSync(tf, 'a'.repeat(40), { mode: 0o644 });
    fs.chmodSync(tf, 0o644);
    const r = spawnSync(process.execPath, [SERVER, '--port', '0', '--token-file', tf], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /chmod 600/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM when idle: exit 0, socket and pid file removed', async (t) => {
  if (!need(t, ['core'])) return;
  const s = await startSidecar();
  const { code, signal } = await new Promise((resolve) => {
    s.exited.then(resolve);
    s.child.kill('SIGTERM');
  });
  assert.equal(code, 0, s.stderr);
  assert.equal(signal, null);
  assert.equal(fs.existsSync(s.socket), false);
  assert.equal(fs.existsSync(s.pidFile), false);
  await s.stop();
});
