// Payload hashing in worker threads (php-bridge/sidecar/hash-pool.mjs) must
// be invisible on the wire: the same part hashes, hence the same signatures
// and ETags, as the single-thread path (WPS3_HASH_WORKERS=0). A thread that
// dies mid-upload must fail the upload clearly and leave no multipart upload
// open on storage. Garage rejects a part whose hash is wrong, so a pass
// there also proves the hashes right. node:crypto appears only to check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { startSidecar, startStorage, need, tmpDir, makeFile, downloadSha256, sha256File, listUploads, ROOT, MiB } from './helpers.mjs';

// A plain TCP relay to storage that records each request's line and its
// x-amz-content-sha256 (request heads arrive at the start of a chunk: the
// sidecar sends bodies only after "100 Continue" or as separate writes).
async function recordingRelay(s3) {
  const port = Number(new URL(s3.storage.endpoint).port);
  const seen = [];
  const conns = new Set();
  const server = net.createServer((c) => {
    const up = net.connect(port, '127.0.0.1');
    conns.add(c).add(up);
    c.on('data', (chunk) => {
      const head = chunk.subarray(0, 8192).toString('latin1');
      const m = /^([A-Z]+) (\S+) HTTP\/1\.1\r\n([\s\S]*?)\r\n\r\n/.exec(head);
      if (m) seen.push({ method: m[1], path: m[2], sha: /\r\nx-amz-content-sha256: *(\S+)/i.exec('\r\n' + m[3])?.[1] });
    });
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    seen,
    storage: { ...s3.storage, endpoint: `http://127.0.0.1:${server.address().port}` },
    close() {
      conns.forEach((s) => s.destroy());
      server.close();
    },
  };
}

const partHashes = (seen) => seen
  .filter((r) => r.method === 'PUT' && /[?&]partNumber=\d+/.test(r.path))
  .map((r) => [Number(/[?&]partNumber=(\d+)/.exec(r.path)[1]), r.sha])
  .sort((a, b) => a[0] - b[0]);

async function expectedPartHashes(file, partSize) {
  const buf = await fsp.readFile(file);
  const out = [];
  for (let off = 0, n = 1; off < buf.length; off += partSize, n++) out.push([n, createHash('sha256').update(buf.subarray(off, off + partSize)).digest('hex')]);
  return out;
}

test('garage: worker-thread hashing sends the same parts, hashes and ETag as the single-thread path', async (t) => {
  if (!need(t, ['core', 'garage'])) return;
  const s3 = await startStorage('garage');
  const dir = tmpDir();
  const relay = await recordingRelay(s3);
  const threaded = await startSidecar({ env: { WPS3_HASH_WORKERS: '3' } });
  const single = await startSidecar({ env: { WPS3_HASH_WORKERS: '0' } });
  t.after(async () => {
    await threaded.stop();
    await single.stop();
    relay.close();
    await s3.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  // 7 parts, the last one short: more parts than threads and senders.
  const f = makeFile(path.join(dir, 'p.bin'), 32 * MiB + 4321, 31);
  const args = { storage: relay.storage, credentials: s3.credentials, path: f, multipartThreshold: 5 * MiB, partSize: 5 * MiB, concurrency: 2 };
  const want = await expectedPartHashes(f, 5 * MiB);

  const results = {};
  for (const [name, sc] of [['threaded', threaded], ['single', single]]) {
    relay.seen.length = 0;
    const r = await sc.op('upload-file', { ...args, key: `hw/${name}.bin` });
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.deepEqual([r.result.multipart, r.result.parts], [true, 7]);
    assert.deepEqual(partHashes(relay.seen), want, `${name}: each part signed with its own SHA-256`);
    const dl = await downloadSha256(sc, s3, `hw/${name}.bin`);
    assert.equal(dl.sha256, await sha256File(f), `${name}: stored bytes equal the file`);
    results[name] = r.result;
  }
  assert.equal(results.threaded.etag, results.single.etag, 'identical parts give an identical multipart ETag');

  // Under the multipart threshold: one PutObject, hashed by a thread too.
  const small = makeFile(path.join(dir, 's.bin'), 3 * MiB + 1, 32);
  const etags = [];
  for (const sc of [threaded, single]) {
    relay.seen.length = 0;
    const r = await sc.op('upload-file', { storage: relay.storage, credentials: s3.credentials, path: small, key: 'hw/small.bin' });
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const put = relay.seen.find((x) => x.method === 'PUT');
    assert.equal(put.sha, createHash('sha256').update(fs.readFileSync(small)).digest('hex'));
    etags.push(r.result.etag);
  }
  assert.equal(etags[0], etags[1]);
  assert.deepEqual(await listUploads(single, s3), [], 'no multipart upload left open');
});

test('the same hash gives the same signature: core-signed upload_part with thread and main-thread hashes', async (t) => {
  if (!need(t, ['core'])) return;
  // In-process: the pool's threads against the main-thread path of the same module.
  const dir = tmpDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = makeFile(path.join(dir, 'h.bin'), 11 * MiB + 7, 33);
  const { fileHasher, stopHashPool } = await import(path.join(ROOT, 'php-bridge/sidecar/hash-pool.mjs'));
  const { callCore } = await import(path.join(ROOT, 'php-bridge/sidecar/core.mjs'));
  const fh = await fsp.open(f, 'r');
  const ranges = [[0, 5 * MiB], [5 * MiB, 5 * MiB], [10 * MiB, MiB + 7], [3, 0]];
  const byMode = {};
  const saved = process.env.WPS3_HASH_WORKERS;
  try {
    for (const mode of ['2', '0']) {
      process.env.WPS3_HASH_WORKERS = mode;
      const h = fileHasher(fh, f);
      byMode[mode] = await Promise.all(ranges.map(([s, l], i) => h.hash(s, l, i + 1)));
      await h.close();
    }
  } finally {
    if (saved === undefined) delete process.env.WPS3_HASH_WORKERS;
    else process.env.WPS3_HASH_WORKERS = saved;
    await fh.close();
    await stopHashPool();
  }
  const buf = fs.readFileSync(f);
  assert.deepEqual(byMode['2'], ranges.map(([s, l]) => createHash('sha256').update(buf.subarray(s, s + l)).digest('hex')));
  assert.deepEqual(byMode['2'], byMode['0']);
  const sign = (payloadHash) => callCore('s3Request', {
    storage: { provider: 'custom', endpoint: 'http://127.0.0.1:9000', region: 'garage', bucket: 'bench-bucket', addressingStyle: 'path', allowPrivateEndpoints: true },
    credentials: { accessKeyId: 'GK0123456789abcdef01234567', secretAccessKey: 'a'.repeat(64) },
    now: 1_700_000_000, action: 'upload_part', args: { key: 'k.bin', uploadId: 'u1', partNumber: 1, payloadHash },
  });
  assert.deepEqual(sign(byMode['2'][0]), sign(byMode['0'][0]));
});

test('garage: a hashing thread that dies fails the upload clearly, aborts it, and the next upload works', async (t) => {
  if (!need(t, ['core', 'garage'])) return;
  const s3 = await startStorage('garage');
  const dir = tmpDir();
  const sc = await startSidecar({ env: { WPS3_TEST_FAULT: 'hash-worker-crash:4', WPS3_HASH_WORKERS: '2' } });
  t.after(async () => {
    await sc.stop();
    await s3.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const f = makeFile(path.join(dir, 'c.bin'), 30 * MiB, 34);
  const r = await sc.op('upload-file', { storage: s3.storage, credentials: s3.credentials, key: 'hw/crash.bin', path: f, multipartThreshold: 5 * MiB, partSize: 5 * MiB, concurrency: 2 });
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'INTERNAL');
  assert.match(r.error.message, /hashing thread failed .* part 4/);
  assert.match(sc.stderr, /multipart upload aborted/);
  assert.deepEqual(await listUploads(sc, s3), [], 'no multipart upload left open');
  const h = await sc.op('head-object', { storage: s3.storage, credentials: s3.credentials, key: 'hw/crash.bin' });
  assert.equal(h.result.exists, false);

  // The dead thread is replaced: an upload that never reaches part 4 passes.
  const g = makeFile(path.join(dir, 'g.bin'), 15 * MiB, 35);
  const ok = await sc.op('upload-file', { storage: s3.storage, credentials: s3.credentials, key: 'hw/after.bin', path: g, multipartThreshold: 5 * MiB, partSize: 5 * MiB });
  assert.equal(ok.ok, true, JSON.stringify(ok.error));
  assert.equal(ok.result.parts, 3);
  assert.equal((await downloadSha256(sc, s3, 'hw/after.bin')).sha256, await sha256File(g));
});
