// upload-file, head-object, delete-object against real S3 servers. Garage
// rejects a body whose SHA-256 differs from the signed payload hash, so a
// pass there proves the core-computed hashes are right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { startSidecar, startStorage, need, tmpDir, makeFile, sha256File, downloadSha256, listUploads, fetchSigned, MiB, EMPTY_SHA256 } from './helpers.mjs';

async function roundTrip(sc, s3, file, key, extra = {}) {
  const r = await sc.op('upload-file', { storage: s3.storage, credentials: s3.credentials, key, path: file, ...extra });
  assert.equal(r.ok, true, JSON.stringify(r.error));
  const size = fs.statSync(file).size;
  assert.equal(r.result.bucket, s3.bucket);
  assert.equal(r.result.key, key);
  assert.equal(r.result.size, size);
  assert.match(r.result.etag, /^[0-9a-f]{32}(-\d+)?$/);
  const dl = await downloadSha256(sc, s3, key);
  assert.equal(dl.size, size);
  assert.equal(dl.sha256, await sha256File(file), 'downloaded bytes equal the file');
  return r.result;
}

for (const kind of ['ministack', 'garage']) {
  test(`${kind}: upload-file round-trips byte-for-byte`, async (t) => {
    if (!need(t, ['core', kind])) return;
    const s3 = await startStorage(kind);
    const sc = await startSidecar();
    const dir = tmpDir();
    t.after(async () => {
      await sc.stop();
      await s3.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    await t.test('small file: one PutObject, content type kept', async () => {
      const f = makeFile(`${dir}/small.bin`, 3 * MiB + 17, 1);
      const r = await roundTrip(sc, s3, f, 'backups/small file (1).bin', { contentType: 'application/pdf', metadata: { site: 'example', 'doc-id': '42' } });
      assert.deepEqual([r.multipart, r.parts], [false, 1]);
      const h = await sc.op('head-object', { storage: s3.storage, credentials: s3.credentials, key: 'backups/small file (1).bin' });
      assert.equal(h.ok, true);
      assert.equal(h.result.exists, true);
      assert.equal(h.result.size, 3 * MiB + 17);
      assert.equal(h.result.contentType, 'application/pdf');
      assert.equal(h.result.etag, r.etag);
      assert.ok(!Number.isNaN(Date.parse(h.result.lastModified)));
    });

    await t.test('empty file', async () => {
      const f = makeFile(`${dir}/empty.bin`, 0);
      const r = await roundTrip(sc, s3, f, 'backups/empty.bin');
      assert.equal(r.multipart, false);
    });

    await t.test('12 MiB under the threshold: hashed in a first pass, then streamed', async () => {
      const f = makeFile(`${dir}/mid.bin`, 12 * MiB + 5, 2);
      const r = await roundTrip(sc, s3, f, 'backups/mid.bin');
      assert.equal(r.multipart, false);
    });

    await t.test('40 MiB multipart with 8 MiB parts, sealed secret', async () => {
      const keyMaterial = 'site-key-material-0123456789abcdef';
      const env = await sc.op('encrypt', { keyMaterial, context: 'wps3:secret', plaintext: s3.credentials.secretAccessKey });
      assert.equal(env.ok, true);
      const sealed = { accessKeyId: s3.credentials.accessKeyId, sealedSecret: { envelope: env.result.envelope, keyMaterial, context: 'wps3:secret' } };
      const f = makeFile(`${dir}/big.bin`, 40 * MiB + 123, 3);
      const r = await sc.op('upload-file', { storage: s3.storage, credentials: sealed, key: 'backups/big.bin', path: f, partSize: 8 * MiB, concurrency: 4 });
      assert.equal(r.ok, true, JSON.stringify(r.error));
      assert.deepEqual([r.result.multipart, r.result.parts, r.result.size], [true, 6, 40 * MiB + 123]);
      assert.match(r.result.etag, /-6$/);
      const dl = await downloadSha256(sc, s3, 'backups/big.bin');
      assert.equal(dl.sha256, await sha256File(f));
      assert.deepEqual(await listUploads(sc, s3), [], 'no multipart upload left open');
    });

    await t.test('head-object of a missing key, delete-object', async () => {
      const miss = await sc.op('head-object', { storage: s3.storage, credentials: s3.credentials, key: 'backups/nope.bin' });
      assert.deepEqual(miss, { ok: true, result: { exists: false } });
      const del = await sc.op('delete-object', { storage: s3.storage, credentials: s3.credentials, key: 'backups/mid.bin' });
      assert.deepEqual(del, { ok: true, result: { deleted: true } });
      const gone = await sc.op('head-object', { storage: s3.storage, credentials: s3.credentials, key: 'backups/mid.bin' });
      assert.equal(gone.result.exists, false);
    });

    await t.test('a failing part aborts the multipart upload', async () => {
      // The test hook sends part 2 under a wrong upload id: the *server*
      // rejects it, and the sidecar must abort the real upload.
      // First prove the listing sees an open upload at all.
      const signed = async (method, query) => fetchSigned((await sc.op('sign', {
        storage: s3.storage, credentials: s3.credentials, method, key: 'backups/probe.bin', query, headers: [], payloadHash: EMPTY_SHA256,
      })).result);
      const created = await signed('POST', [['uploads', '']]);
      assert.equal(created.status, 200, created.body);
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.body)[1];
      assert.equal((await listUploads(sc, s3)).length, 1, 'the open upload is listed');
      assert.ok((await signed('DELETE', [['uploadId', uploadId]])).status < 300);
      assert.deepEqual(await listUploads(sc, s3), []);

      const faulty = await startSidecar({ env: { WPS3_TEST_FAULT: 'bad-upload-id:2' } });
      try {
        const f = makeFile(`${dir}/fail.bin`, 18 * MiB, 4);
        const r = await faulty.op('upload-file', { storage: s3.storage, credentials: s3.credentials, key: 'backups/fail.bin', path: f, multipartThreshold: 5 * MiB, partSize: 5 * MiB, concurrency: 2 });
        assert.equal(r.ok, false);
        assert.equal(r.error.code, 'S3_ERROR');
        assert.ok(r.error.httpStatus >= 400 && r.error.httpStatus < 500, JSON.stringify(r.error));
        assert.match(faulty.stderr, /multipart upload aborted/);
        // Keys carry document titles: logs name them by length and hash only.
        assert.doesNotMatch(faulty.stderr, /fail\.bin/, 'no object key in the log');
        assert.match(faulty.stderr, /"keyHash":"[0-9a-f]{12}"/);
        assert.deepEqual(await listUploads(sc, s3), [], 'the failed upload was aborted');
        const h = await sc.op('head-object', { storage: s3.storage, credentials: s3.credentials, key: 'backups/fail.bin' });
        assert.equal(h.result.exists, false);
      } finally {
        await faulty.stop();
      }
    });

    if (kind === 'garage') {
      await t.test('garage really checks payload hashes (so the tests above mean something)', async () => {
        const s = await sc.op('sign', {
          storage: s3.storage, credentials: s3.credentials, method: 'PUT', key: 'backups/liar.bin',
          headers: [['Content-Length', '5']], payloadHash: '0'.repeat(64),
        });
        assert.equal(s.ok, true);
        const r = await new Promise((resolve, reject) => {
          import('node:http').then(({ default: http }) => {
            const u = new URL(s.result.url);
            const headers = Object.fromEntries(s.result.headers);
            const req = http.request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'PUT', headers, agent: false }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode));
            });
            req.on('error', reject);
            req.end('hello');
          });
        });
        assert.ok(r >= 400, `a wrong payload hash is rejected (got ${r})`);
        const h = await fetchSigned((await sc.op('presign', { storage: s3.storage, credentials: s3.credentials, method: 'HEAD', key: 'backups/liar.bin', expiresIn: 60 })).result);
        assert.equal(h.status, 404);
      });
    }
  });
}

test('storage that ignores Expect: 100-continue still gets the body (after one wait)', async (t) => {
  if (!need(t, ['core'])) return;
  // A bare HTTP/1.1 server that never sends 100 Continue: it reads the
  // headers, then exactly Content-Length bytes, then answers 200.
  const seen = [];
  const server = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    let need = -1;
    sock.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        if (need < 0) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buf.subarray(0, end).toString('latin1');
          need = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          seen.push({ expect: /expect: *100-continue/i.test(head), len: need });
          buf = buf.subarray(end + 4);
        }
        if (buf.length < need) return;
        buf = buf.subarray(need);
        need = -1;
        sock.write('HTTP/1.1 200 OK\r\nETag: "0123456789abcdef0123456789abcdef"\r\nContent-Length: 0\r\n\r\n');
      }
    });
    sock.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const sc = await startSidecar();
  const dir = tmpDir();
  t.after(async () => {
    await sc.stop();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const storage = { provider: 'custom', region: 'us-east-1', bucket: 'wps3-test', endpoint: `http://127.0.0.1:${server.address().port}`, addressingStyle: 'path', allowPrivateEndpoints: true };
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
  const f = makeFile(`${dir}/e.bin`, 2 * MiB);
  const t0 = Date.now();
  const r1 = await sc.op('upload-file', { storage, credentials, key: 'e.bin', path: f });
  const t1 = Date.now();
  const r2 = await sc.op('upload-file', { storage, credentials, key: 'e.bin', path: f });
  const t2 = Date.now();
  assert.equal(r1.ok, true, JSON.stringify(r1.error));
  assert.equal(r2.ok, true, JSON.stringify(r2.error));
  assert.equal(r1.result.etag, '0123456789abcdef0123456789abcdef');
  assert.deepEqual(seen.map((x) => x.expect), [true, false], 'Expect dropped for this host after the first wait');
  assert.ok(t1 - t0 >= 900, `first upload waited for 100-continue (${t1 - t0} ms)`);
  assert.ok(t2 - t1 < 900, `second upload did not wait (${t2 - t1} ms)`);
  assert.match(sc.stderr, /ignores Expect/);
});
