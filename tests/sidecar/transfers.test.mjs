// The sidecar's transfer ops (php-bridge/sidecar/transfers.mjs) through the
// protocol, in process: shapes PHP relies on, and user mistakes answered as
// data or coded errors, never as a crash. Storage round trips are in
// tests/e2e/bin/transfers-flow.mjs.

import test from 'node:test';
import assert from 'node:assert/strict';
import { need } from './helpers.mjs';

const MiB = 1024 * 1024;
const storage = { provider: 'custom', region: 'us-east-1', bucket: 'wps3-test', endpoint: 'http://127.0.0.1:9000', allowPrivateEndpoints: true };
const credentials = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret-for-tests' };
const upload = {
  storage, credentials, userId: 7, random: '0123456789abcdef', filename: 'Preis + Leistung.pdf',
  contentType: 'application/pdf', size: 1000, maxSize: 20 * MiB, allowedTypes: ['application/pdf', 'image/png'],
};

async function protocol() {
  const { createProtocol } = await import('../../php-bridge/sidecar/protocol.mjs');
  return createProtocol({ startedAt: Date.now(), inFlight: 0 });
}

test('transfer-upload: POST policy by default, PUT when forced, multipart above the threshold', async (t) => {
  if (!need(t, ['core'])) return;
  const p = await protocol();
  const post = (await p.runOp('transfer-upload', upload)).result;
  assert.equal(post.ok, true);
  assert.equal(post.shape, 'post');
  assert.equal(post.key, 'uploads/7/0123456789abcdef_Preis-Leistung.pdf');
  assert.deepEqual(post.upload.fields.map(([k]) => k), ['Content-Type', 'key', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'policy', 'x-amz-signature']);
  const policy = JSON.parse(Buffer.from(post.upload.fields.find(([k]) => k === 'policy')[1], 'base64').toString());
  assert.ok(policy.conditions.some((c) => Array.isArray(c) && c[0] === 'content-length-range' && c[1] === 1 && c[2] === 20 * MiB));
  assert.ok(policy.conditions.some((c) => c['Content-Type'] === 'application/pdf'));
  assert.ok(!JSON.stringify(post).includes(credentials.secretAccessKey));

  const put = (await p.runOp('transfer-upload', { ...upload, forcePut: true })).result;
  assert.equal(put.shape, 'put');
  assert.match(put.upload.url, /X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost/);
  assert.deepEqual(put.upload.headers, [['Content-Type', 'application/pdf']]);

  const r2 = (await p.runOp('transfer-upload', { ...upload, storage: { provider: 'cloudflare_r2', bucket: 'b-r2', accountId: 'a'.repeat(32) } })).result;
  assert.equal(r2.shape, 'put', 'R2 answers 501 to POST uploads, so it gets PUT');

  const big = (await p.runOp('transfer-upload', { ...upload, size: 300 * MiB, maxSize: 1024 * MiB })).result;
  assert.deepEqual([big.shape, big.partSize, big.partCount, big.upload], ['multipart', 16 * MiB, 19, null]);
});

test('transfer-upload: rejections come back as data naming the field', async (t) => {
  if (!need(t, ['core'])) return;
  const p = await protocol();
  const out = await p.runOp('transfer-upload', { ...upload, contentType: 'text/html', size: 21 * MiB });
  assert.equal(out.ok, true);
  assert.deepEqual(out.result.errors.map((e) => [e.field, e.reason]), [['mime_type', 'not-allowed'], ['file_size', 'too-large']]);
  const malformed = await p.runOp('transfer-upload', { ...upload, random: 'not-hex' });
  assert.equal(malformed.ok, false);
  assert.equal(malformed.error.code, 'INVALID_ARGUMENT');
  const noCreds = await p.runOp('transfer-upload', { ...upload, credentials: null });
  assert.equal(noCreds.ok, false);
  assert.equal(noCreds.error.code, 'BAD_REQUEST');
});

test('transfer-sign-parts binds each URL to the upload id and the part length', async (t) => {
  if (!need(t, ['core'])) return;
  const p = await protocol();
  const out = (await p.runOp('transfer-sign-parts', { storage, credentials, key: 'uploads/7/x_a.pdf', uploadId: 'up+1', size: 40 * MiB, partNumbers: [1, 3], expiresIn: 600 })).result;
  assert.deepEqual(out.parts.map((x) => [x.partNumber, x.size]), [[1, String(16 * MiB)], [3, String(8 * MiB)]]);
  assert.match(out.parts[0].url, /partNumber=1&uploadId=up%2B1&/);
  const beyond = await p.runOp('transfer-sign-parts', { storage, credentials, key: 'k', uploadId: 'u', size: 40 * MiB, partNumbers: [4], expiresIn: 600 });
  assert.equal(beyond.error.code, 'INVALID_ARGUMENT');
});

test('transfer-check, transfer-completion-parts and object-ref', async (t) => {
  if (!need(t, ['core'])) return;
  const p = await protocol();
  const check = async (head) => (await p.runOp('transfer-check', { size: 10, contentType: 'application/pdf', head })).result;
  assert.equal((await check({ exists: true, size: 10, contentType: 'application/pdf' })).verdict, 'matches');
  assert.equal((await check({ exists: false })).verdict, 'missing');
  assert.equal((await check({ exists: true, size: 11, contentType: 'application/pdf' })).reason, 'size');
  assert.equal((await check({ exists: true, size: 10, contentType: 'text/html' })).reason, 'type');

  const parts = (await p.runOp('transfer-completion-parts', { size: 20 * MiB, parts: [{ partNumber: 2, size: 4 * MiB, etag: '"b"' }, { partNumber: 1, size: 16 * MiB, etag: '"a"' }] })).result;
  assert.deepEqual(parts.parts, [{ partNumber: 1, etag: '"a"' }, { partNumber: 2, etag: '"b"' }]);
  const gap = await p.runOp('transfer-completion-parts', { size: 20 * MiB, parts: [{ partNumber: 2, size: 4 * MiB, etag: 'b' }] });
  assert.match(gap.error.message, /1 of 2 parts/);

  const ref = async (r) => (await p.runOp('object-ref', { ref: r, storage })).result;
  assert.deepEqual(await ref('s3://wps3-test/a+b c/Ü.pdf'), { found: true, bucket: 'wps3-test', key: 'a+b c/Ü.pdf' });
  assert.deepEqual(await ref('http://127.0.0.1:9000/wps3-test/a+b%20c/%C3%9C.pdf'), { found: true, bucket: 'wps3-test', key: 'a+b c/Ü.pdf' });
  assert.deepEqual(await ref('/srv/files/a.zip'), { found: false });
  assert.equal((await p.runOp('object-ref', { ref: 's3://only-bucket', storage })).error.code, 'INVALID_ARGUMENT');
});
