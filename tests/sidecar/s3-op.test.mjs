// The generic `s3` op: every action the core knows, sent by the sidecar to
// a real server (ministack verifies SigV4), bytes checked on the way back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { startSidecar, startStorage, need, tmpDir, makeFile, MiB } from './helpers.mjs';
import { createBucket } from '../support/storage.mjs';

const md5 = (buf) => createHash('md5').update(buf).digest('hex');

test('ministack: s3 op runs every action through the core', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  const s3 = await startStorage('ministack');
  const sc = await startSidecar();
  const dir = tmpDir();
  t.after(async () => {
    await sc.stop();
    await s3.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const base = { storage: s3.storage, credentials: s3.credentials };
  const s3op = async (action, args = {}, extra = {}) => {
    const r = await sc.op('s3', { ...base, action, args, ...extra });
    assert.equal(r.ok, true, `${action}: ${JSON.stringify(r.error)}`);
    return r.result;
  };

  await s3op('head_bucket');
  assert.equal((await s3op('get_bucket_location')).region, s3.storage.region || 'us-east-1');

  const put = await s3op('put_object', { key: 'op/hello.txt', contentType: 'text/plain', metadata: { doc: '7' } }, { body: 'hello, s3' });
  assert.equal(put.etag, md5(Buffer.from('hello, s3')));
  const head = await s3op('head_object', { key: 'op/hello.txt' });
  assert.deepEqual([head.exists, head.size, head.etag, head.contentType, head.metadata?.doc], [true, 9, put.etag, 'text/plain', '7']);
  assert.match(head.lastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const got = await s3op('get_object', { key: 'op/hello.txt', range: 'bytes=0-4' });
  assert.equal(Buffer.from(got.bodyBase64, 'base64').toString(), 'hello');
  assert.equal((await s3op('head_object', { key: 'op/none.txt' })).exists, false);

  const f = makeFile(`${dir}/mp.bin`, 11 * MiB, 3);
  const bytes = fs.readFileSync(f);
  const { uploadId } = await s3op('create_multipart_upload', { key: 'op/mp.bin', contentType: 'application/octet-stream' });
  assert.ok(uploadId);
  const parts = [];
  for (const [n, offset, length] of [[1, 0, 5 * MiB], [2, 5 * MiB, 5 * MiB], [3, 10 * MiB, MiB]]) {
    const part = await s3op('upload_part', { key: 'op/mp.bin', uploadId, partNumber: n }, { path: f, offset, length });
    assert.equal(part.etag, md5(bytes.subarray(offset, offset + length)));
    parts.push({ partNumber: n, etag: part.etag });
  }
  const listed = await s3op('list_parts', { key: 'op/mp.bin', uploadId });
  assert.deepEqual(listed.parts.map((p) => [p.partNumber, p.etag, p.size]), parts.map((p, i) => [p.partNumber, p.etag, i < 2 ? 5 * MiB : MiB]));
  const done = await s3op('complete_multipart_upload', { key: 'op/mp.bin', uploadId, parts });
  assert.match(done.etag, /-3$/);
  assert.equal((await s3op('head_object', { key: 'op/mp.bin' })).size, 11 * MiB);

  const { uploadId: dropped } = await s3op('create_multipart_upload', { key: 'op/dropped.bin' });
  const open = await s3op('list_multipart_uploads', { prefix: 'op/' });
  assert.deepEqual(open.uploads.map((u) => [u.key, u.uploadId]), [['op/dropped.bin', dropped]], 'the completed upload is not listed');
  assert.match(open.uploads[0].initiated, /^\d{4}-\d\d-\d\dT/);
  assert.equal((await s3op('abort_multipart_upload', { key: 'op/dropped.bin', uploadId: dropped })).aborted, true);
  assert.deepEqual((await s3op('list_multipart_uploads', { prefix: 'op/' })).uploads, []);
  const gone = await sc.op('s3', { ...base, action: 'list_parts', args: { key: 'op/dropped.bin', uploadId: dropped } });
  assert.equal(gone.error.s3Code, 'NoSuchUpload');
  assert.equal(gone.error.retry, 'never');
  assert.equal(gone.error.adviceId, 'no-such-upload');

  const page = await s3op('list_objects_v2', { prefix: 'op/', maxKeys: 1 });
  assert.equal(page.contents.length, 1);
  assert.equal(page.isTruncated, true);
  const rest = await s3op('list_objects_v2', { prefix: 'op/', continuationToken: page.nextContinuationToken });
  assert.deepEqual([...page.contents, ...rest.contents].map((o) => o.key).sort(), ['op/hello.txt', 'op/mp.bin']);

  assert.equal((await s3op('delete_object', { key: 'op/hello.txt' })).deleted, true);
  assert.equal((await s3op('head_object', { key: 'op/hello.txt' })).exists, false);

  // Caller mistakes are the core's, before anything is sent.
  const typo = await sc.op('s3', { ...base, action: 'put_object', args: { kye: 'x' } });
  assert.equal(typo.error.code, 'INVALID_ARGUMENT');
  assert.equal(typo.error.retry, 'never');
  const unknown = await sc.op('s3', { ...base, action: 'copy_object', args: {} });
  assert.equal(unknown.error.code, 'INVALID_ARGUMENT');
  const badKey = await sc.op('s3', { ...base, action: 'put_object', args: { key: 'a/../b' } }, { body: 'x' });
  assert.equal(badKey.error.code, 'INVALID_KEY');
  assert.equal(badKey.error.adviceId, 'key-invalid');
});

test('ministack: a bucket in another region is named by HeadBucket and GetBucketLocation', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  const s3 = await startStorage('ministack');
  const sc = await startSidecar();
  t.after(async () => {
    await sc.stop();
    await s3.stop();
  });
  await createBucket(s3, 'wps3-eu', 'eu-west-1');
  const storage = { ...s3.storage, bucket: 'wps3-eu' };
  const head = await sc.op('s3', { storage, credentials: s3.credentials, action: 'head_bucket' });
  // Signed for the configured region, the server redirects (301) and names
  // the bucket's: the core turns that into wrong-region advice.
  assert.equal(head.ok, false, JSON.stringify(head));
  assert.deepEqual([head.error.adviceId, head.error.bucketRegion, head.error.retry], ['wrong-region', 'eu-west-1', 'never']);
  assert.match(head.error.fix, /'eu-west-1'/);
  const right = await sc.op('s3', { storage: { ...storage, region: 'eu-west-1' }, credentials: s3.credentials, action: 'head_bucket' });
  assert.equal(right.result?.bucketRegion, 'eu-west-1', JSON.stringify(right));
  const loc = await sc.op('s3', { storage, credentials: s3.credentials, action: 'get_bucket_location' });
  assert.equal(loc.result.region, 'eu-west-1');
  const missing = await sc.op('s3', { storage: { ...storage, bucket: 'wps3-no-such' }, credentials: s3.credentials, action: 'head_bucket' });
  assert.equal(missing.error.s3Code, 'NoSuchBucket');
  assert.equal(missing.error.adviceId, 'no-such-bucket');
});

test('advice-catalog lists every advice id with English cause and fix', async (t) => {
  if (!need(t, ['core'])) return;
  const sc = await startSidecar();
  t.after(() => sc.stop());
  const r = await sc.op('advice-catalog', {});
  assert.equal(r.ok, true);
  for (const id of ['signature-mismatch', 'invalid-access-key', 'access-denied', 'no-such-bucket', 'clock-skew', 'wrong-region', 'network-refused', 'tls-verify', 'bucket-name-invalid', 'endpoint-required']) {
    assert.ok(r.result[id]?.cause && r.result[id]?.fix, id);
  }
});
