// SIGTERM during an upload: no new work is taken, the in-flight upload
// completes, then the process exits 0 and removes its socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { startSidecar, startStorage, need, tmpDir, makeFile, sha256File, downloadSha256, rawRequest, MiB } from './helpers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('SIGTERM during an upload: it finishes, then exit 0', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  const s3 = await startStorage('ministack');
  const dir = tmpDir();
  const sc = await startSidecar();
  t.after(async () => {
    await sc.stop();
    await s3.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const f = makeFile(`${dir}/term.bin`, 60 * MiB, 5);
  const upload = sc.op('upload-file', { storage: s3.storage, credentials: s3.credentials, key: 'term.bin', path: f, partSize: 5 * MiB, concurrency: 1 });
  let inFlight = 0;
  for (let i = 0; i < 1000 && inFlight !== 1; i++) {
    inFlight = (await sc.request({ path: '/v1/health' })).json.inFlight;
    if (inFlight !== 1) await sleep(10);
  }
  assert.equal(inFlight, 1, 'the upload is in flight');
  // A connection whose request began before the signal and completes
  // after it: that request must get SHUTTING_DOWN, not run.
  const lateConn = net.connect(sc.socket);
  await new Promise((r) => lateConn.once('connect', r));
  lateConn.write('POST /v1/op/health HTTP/1.1\r\n'); // a request already begun
  await sleep(50);
  sc.child.kill('SIGTERM');
  // Wait until the signal was handled (the listener refuses new connections)
  // rather than for a fixed time: a loaded machine may take longer than 100 ms.
  const listenerClosed = async () => new Promise((resolve) => {
    const probe = net.connect(sc.socket);
    probe.once('connect', () => { probe.destroy(); resolve(false); });
    probe.once('error', () => resolve(true));
  });
  let closed = false;
  for (let i = 0; i < 500 && !closed; i++) {
    closed = await listenerClosed();
    if (!closed) await sleep(10);
  }
  assert.ok(closed, 'the sidecar stops accepting connections after SIGTERM');
  // New work during shutdown is refused: either the listener is closed, or
  // an already-open connection gets SHUTTING_DOWN.
  const late = await new Promise((resolve) => {
    let out = '';
    lateConn.on('data', (c) => { out += c; });
    lateConn.on('close', () => resolve(out));
    lateConn.on('error', () => resolve(out));
    lateConn.write('Host: x\r\nContent-Length: 2\r\n\r\n{}');
  });
  assert.match(late, /^HTTP\/1\.1 503/);
  assert.match(late, /SHUTTING_DOWN/);
  const fresh = await rawRequest(sc, { method: 'POST', path: '/v1/op/health', body: {} }).catch((e) => e);
  if (fresh instanceof Error) assert.match(fresh.code, /ECONNREFUSED|ENOENT|ECONNRESET/);
  else assert.equal(fresh.json.error.code, 'SHUTTING_DOWN');

  const r = await upload;
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.equal(r.result.parts, 12);
  const { code, signal } = await sc.exited;
  assert.equal(code, 0, sc.stderr);
  assert.equal(signal, null);
  assert.equal(fs.existsSync(sc.socket), false, 'socket removed');
  assert.match(sc.stderr, /in-flight requests finished/);

  const check = await startSidecar();
  try {
    const dl = await downloadSha256(check, s3, 'term.bin');
    assert.equal(dl.sha256, await sha256File(f));
  } finally {
    await check.stop();
  }
});
