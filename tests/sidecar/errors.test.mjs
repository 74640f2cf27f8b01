// Storage failures come back as stable, explained errors: S3_ERROR with the
// core's cause/fix, NETWORK_ERROR (retryable) when storage is unreachable,
// and a wrong local clock is corrected from the server's time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { startSidecar, startStorage, need, tmpDir, makeFile, downloadSha256, sha256File, MiB } from './helpers.mjs';

const WRONG_SECRET_CODES = { ministack: ['SignatureDoesNotMatch'], garage: ['AccessDenied', 'SignatureDoesNotMatch'] };

for (const kind of ['ministack', 'garage']) {
  test(`${kind}: wrong secret and missing bucket are explained S3 errors`, async (t) => {
    if (!need(t, ['core', kind])) return;
    const s3 = await startStorage(kind);
    const sc = await startSidecar();
    const dir = tmpDir();
    t.after(async () => {
      await sc.stop();
      await s3.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const ok = await sc.op('test-connection', { storage: s3.storage, credentials: s3.credentials });
    assert.equal(ok.ok, true, JSON.stringify(ok.error));
    assert.equal(ok.result.ok, true);
    assert.equal(typeof ok.result.latencyMs, 'number');

    const f = makeFile(`${dir}/f.bin`, 64 * 1024);
    const big = makeFile(`${dir}/big.bin`, 6 * MiB);
    const wrong = { ...s3.credentials, secretAccessKey: s3.credentials.secretAccessKey.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x')) };
    for (const [op, args] of [
      ['test-connection', {}],
      ['upload-file', { key: 'k.bin', path: f }],
      ['upload-file', { key: 'k.bin', path: f, multipartThreshold: 1 }],
      // Big enough that a server answering early would cut our body short:
      // must still be the S3 error, not EPIPE (Expect: 100-continue).
      ['upload-file', { key: 'k.bin', path: big }],
      ['head-object', { key: 'k.bin' }],
      ['delete-object', { key: 'k.bin' }],
    ]) {
      const r = await sc.request({ method: 'POST', path: `/v1/op/${op}`, body: { storage: s3.storage, credentials: wrong, ...args } });
      assert.equal(r.status, 502, `${op}: ${r.text}`);
      const e = r.json.error;
      assert.equal(e.code, 'S3_ERROR', op);
      assert.equal(e.httpStatus, 403, op);
      // HEAD answers carry no body, so only the status is known there.
      if (op !== 'head-object') assert.ok(WRONG_SECRET_CODES[kind].includes(e.s3Code), `${op}: ${e.s3Code}`);
      assert.equal(typeof e.fix, 'string');
      assert.ok(e.fix.length > 10, 'a fix the admin can act on');
      assert.equal(typeof e.cause, 'string');
      assert.equal(e.retry, 'never');
      assert.equal(e.retryable, false);
      assert.doesNotMatch(r.text, new RegExp(wrong.secretAccessKey.replace(/[+/]/g, '.')));
    }

    const nb = await sc.op('test-connection', { storage: { ...s3.storage, bucket: 'no-such-bucket-wps3' }, credentials: s3.credentials });
    assert.equal(nb.ok, false);
    assert.equal(nb.error.code, 'S3_ERROR');
    assert.equal(nb.error.s3Code, 'NoSuchBucket');
    assert.equal(nb.error.httpStatus, 404);
    assert.ok(nb.error.fix);
    const up = await sc.op('upload-file', { storage: { ...s3.storage, bucket: 'no-such-bucket-wps3' }, credentials: s3.credentials, key: 'k.bin', path: f });
    assert.equal(up.error.s3Code, 'NoSuchBucket');
  });
}

test('ministack: a clock one hour slow is corrected from the server and the upload succeeds', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  const s3 = await startStorage('ministack');
  const sc = await startSidecar({ env: { WPS3_CLOCK_OFFSET_SECONDS: '-3600' } });
  const dir = tmpDir();
  t.after(async () => {
    await sc.stop();
    await s3.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  // Before any S3 call the sidecar believes the wrong clock.
  const before = await sc.op('presign', { storage: s3.storage, credentials: s3.credentials, method: 'GET', key: 'x', expiresIn: 60 });
  assert.ok(Date.parse(before.result.expiresAt) < Date.now() - 3000 * 1000, 'signing with the (simulated) wrong clock');

  const f = makeFile(`${dir}/skew.bin`, 2 * MiB, 7);
  const r = await sc.op('upload-file', { storage: s3.storage, credentials: s3.credentials, key: 'skew.bin', path: f });
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.match(sc.stderr, /clock offset corrected/);
  assert.match(sc.stderr, /RequestTimeTooSkewed/);
  // The correction sticks: later ops (multipart, presign) use the server's time.
  const big = makeFile(`${dir}/skew-mp.bin`, 11 * MiB, 8);
  const mp = await sc.op('upload-file', { storage: s3.storage, credentials: s3.credentials, key: 'skew-mp.bin', path: big, multipartThreshold: 5 * MiB, partSize: 5 * MiB });
  assert.equal(mp.ok, true, JSON.stringify(mp.error));
  assert.equal((sc.stderr.match(/clock offset corrected/g) || []).length, 1, 'corrected once');
  const after = await sc.op('presign', { storage: s3.storage, credentials: s3.credentials, method: 'GET', key: 'x', expiresIn: 60 });
  assert.ok(Math.abs(Date.parse(after.result.expiresAt) - (Date.now() + 60_000)) < 10_000, 'presign now uses the corrected clock');
  const dl = await downloadSha256(sc, s3, 'skew-mp.bin');
  assert.equal(dl.sha256, await sha256File(big));
});

test('storage down: NETWORK_ERROR, retryable; the sidecar stays up', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  const s3 = await startStorage('ministack');
  const sc = await startSidecar();
  const dir = tmpDir();
  t.after(async () => {
    await sc.stop();
    await s3.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const f = makeFile(`${dir}/down.bin`, 1 * MiB);
  assert.equal((await sc.op('test-connection', { storage: s3.storage, credentials: s3.credentials })).ok, true);
  await s3.stop();
  for (const [op, args] of [
    ['test-connection', {}],
    ['upload-file', { key: 'down.bin', path: f }],
    ['upload-file', { key: 'down.bin', path: f, multipartThreshold: 1 }],
    ['head-object', { key: 'down.bin' }],
  ]) {
    const r = await sc.request({ method: 'POST', path: `/v1/op/${op}`, body: { storage: s3.storage, credentials: s3.credentials, ...args } });
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json.error.code, 'NETWORK_ERROR', `${op}: ${r.text}`);
    assert.equal(r.json.error.retryable, true);
    assert.match(r.json.error.errno, /^E[A-Z]+$/);
  }
  assert.equal((await sc.request({ path: '/v1/health' })).status, 200);
});

test('a storage endpoint that never answers times out as NETWORK_ERROR', async (t) => {
  if (!need(t, ['core'])) return;
  const held = [];
  const silent = net.createServer((s) => { held.push(s); s.on('error', () => {}); });
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  const sc = await startSidecar({ env: { WPS3_S3_TIMEOUT_MS: '1000' } });
  t.after(async () => {
    await sc.stop();
    held.forEach((s) => s.destroy());
    silent.close();
  });
  const storage = { provider: 'custom', region: 'us-east-1', bucket: 'wps3-test', endpoint: `http://127.0.0.1:${silent.address().port}`, addressingStyle: 'path', allowPrivateEndpoints: true };
  const t0 = Date.now();
  const r = await sc.op('test-connection', { storage, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' } });
  assert.equal(r.error.code, 'NETWORK_ERROR');
  assert.equal(r.error.errno, 'ETIMEDOUT');
  assert.equal(r.error.retryable, true);
  assert.ok(Date.now() - t0 < 5000);
});

test('a non-S3 answer (proxy HTML page) is still a shaped S3_ERROR', async (t) => {
  if (!need(t, ['core'])) return;
  const proxy = http.createServer((req, res) => {
    req.resume();
    res.writeHead(502, { 'Content-Type': 'text/html' });
    res.end('<html><body><h1>502 Bad Gateway</h1>' + 'x'.repeat(200_000) + '</body></html>');
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  const sc = await startSidecar();
  t.after(async () => {
    await sc.stop();
    proxy.close();
  });
  const storage = { provider: 'custom', region: 'us-east-1', bucket: 'wps3-test', endpoint: `http://127.0.0.1:${proxy.address().port}`, addressingStyle: 'path', allowPrivateEndpoints: true };
  const r = await sc.op('test-connection', { storage, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' } });
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'S3_ERROR');
  assert.equal(r.error.httpStatus, 502);
  assert.equal(r.error.retryable, true);
  assert.equal(typeof r.error.s3Code, 'string');
});

test('ministack: clock corrections are per storage origin (one skewed site does not move the others)', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  const s3 = await startStorage('ministack');
  // Every origin starts an hour slow; only the ones storage corrects move.
  const sc = await startSidecar({ env: { WPS3_CLOCK_OFFSET_SECONDS: '-3600' } });
  const dir = tmpDir();
  t.after(async () => {
    await sc.stop();
    await s3.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  // Same server under two origins, as two sites of a multisite would be.
  const a = s3.storage;
  const b = { ...s3.storage, endpoint: s3.storage.endpoint.replace('127.0.0.1', 'localhost') };
  assert.notEqual(a.endpoint, b.endpoint);
  const expiresAt = async (storage) => Date.parse((await sc.op('presign', { storage, credentials: s3.credentials, method: 'GET', key: 'x', expiresIn: 60 })).result.expiresAt);
  const corrected = (ms) => Math.abs(ms - (Date.now() + 60_000)) < 10_000;

  const f = makeFile(`${dir}/o.bin`, 1 * MiB, 9);
  const r = await sc.op('upload-file', { storage: a, credentials: s3.credentials, key: 'origin/a.bin', path: f });
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.ok(corrected(await expiresAt(a)), 'origin A signs with the server time');
  assert.ok(await expiresAt(b) < Date.now() - 3000 * 1000, 'origin B still has its own (uncorrected) clock');
  // Ops without storage use the process clock, which no server moved either.
  const rk = await sc.op('render-key', { title: 'T', documentId: '1', template: '{date}' });
  assert.equal(rk.result.key, new Date(Date.now() - 3600_000).toISOString().slice(0, 10));

  const rb = await sc.op('upload-file', { storage: b, credentials: s3.credentials, key: 'origin/b.bin', path: f });
  assert.equal(rb.ok, true, JSON.stringify(rb.error));
  assert.ok(corrected(await expiresAt(b)), 'B corrected by its own server');
  const lines = sc.stderr.split('\n').filter((l) => l.includes('clock offset corrected'));
  assert.equal(lines.length, 2, 'one correction per origin');
  assert.match(lines[0], /"origin":"http:\/\/127\.0\.0\.1:\d+"/);
  assert.match(lines[1], /"origin":"http:\/\/localhost:\d+"/);
});

test('a garbled answer from storage is a retryable NETWORK_ERROR', async (t) => {
  if (!need(t, ['core'])) return;
  // Not an errno from any fixed list: Node's HTTP parser rejects the reply.
  const garbler = net.createServer((s) => { s.on('error', () => {}); s.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'); });
  await new Promise((r) => garbler.listen(0, '127.0.0.1', r));
  const sc = await startSidecar();
  t.after(async () => {
    await sc.stop();
    garbler.close();
  });
  const storage = { provider: 'custom', region: 'us-east-1', bucket: 'wps3-test', endpoint: `http://127.0.0.1:${garbler.address().port}`, addressingStyle: 'path', allowPrivateEndpoints: true };
  const r = await sc.op('test-connection', { storage, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' } });
  assert.equal(r.error.code, 'NETWORK_ERROR', JSON.stringify(r.error));
  assert.match(r.error.errno, /^HPE_/);
  assert.equal(r.error.retryable, true);
});

test('error classification: what a retry may fix', async () => {
  const { networkRetryable } = await import('../../php-bridge/sidecar/s3client.mjs');
  const { fileError } = await import('../../php-bridge/sidecar/upload.mjs');
  const { SidecarError, toWireError } = await import('../../php-bridge/sidecar/errors.mjs');
  for (const code of ['ECONNRESET', 'EPROTO', 'ENETDOWN', 'HPE_INVALID_CONSTANT', 'ERR_HTTP_INVALID_HEADER_VALUE', 'ERR_STREAM_PREMATURE_CLOSE', 'EAI_FAIL', 'ERR_TLS_HANDSHAKE_TIMEOUT']) {
    assert.equal(networkRetryable(code), true, code);
  }
  for (const code of ['CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_SSL_WRONG_VERSION_NUMBER', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'ERR_INVALID_URL']) {
    assert.equal(networkRetryable(code), false, code);
  }
  assert.equal(networkRetryable('ECONNRESET', { built: false }), false, 'a request Node could not build');
  for (const code of ['EMFILE', 'ENFILE', 'EIO', 'EAGAIN', 'EBUSY']) {
    const e = fileError(Object.assign(new Error(code), { code }), '/x').toJSON();
    assert.deepEqual([e.code, e.retryable, e.errno], ['FILE_UNREADABLE', true, code]);
  }
  for (const code of ['EACCES', 'EISDIR', 'ELOOP']) assert.equal(fileError({ code }, '/x').toJSON().retryable, false, code);
  assert.deepEqual(fileError({ code: 'ENOENT' }, '/x').toJSON().code, 'FILE_NOT_FOUND');
  assert.equal(fileError({ code: 'ENOENT' }, '/x').toJSON().retryable, false);
  assert.equal(new SidecarError('REQUEST_TIMEOUT', 'slow').toJSON().retryable, true);
  assert.equal(new SidecarError('SHUTTING_DOWN', 'bye').toJSON().retryable, true);
  assert.equal(new SidecarError('BAD_REQUEST', 'no').toJSON().retryable, false);
  assert.equal(toWireError(new Error('bug'), () => {}).retryable, false);
});
