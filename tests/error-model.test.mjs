// The error model and the S3 actions as the Node build exposes them
// (docs/CONTRACTS.md §0 and §1): every thrown error and every failed answer
// carries one retry decision and an advice id from the catalog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const core = require('../pkg/node/wps3.js');
const storage = { provider: 'amazon_s3', region: 'eu-west-1', bucket: 'example-bucket' };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const now = '2026-01-02T03:04:05Z';
const catalog = core.adviceCatalog();
const RETRY = ['never', 'backoff', 'after-clock-fix'];

function model(e) {
  assert.ok(RETRY.includes(e.retry), `retry ${e.retry}`);
  assert.equal(e.retryable, e.retry !== 'never');
  assert.ok(catalog[e.adviceId], `adviceId ${e.adviceId} is in the catalog`);
  assert.ok(e.cause && e.fix, 'cause and fix');
  assert.equal('permanent' in e, false);
  return e;
}

test('thrown core errors carry the model', () => {
  for (const call of [
    () => core.validateBucket('A'),
    () => core.validateKey(''),
    () => core.resolveEndpoint({ provider: 'custom', bucket: 'bucket' }),
    () => core.s3Request({ storage, credentials, now, action: 'copy_object', args: {} }),
    () => core.s3Request({ storage, credentials, now, action: 'put_object', args: { key: 'a/../b' } }),
  ]) {
    assert.throws(call, (e) => {
      model(e);
      assert.equal(e.retry, 'never');
      return e instanceof Error;
    });
  }
});

test('storage answers: one table, one verdict', () => {
  const r = (status, body = '', headers = []) => core.s3Response({ action: 'put_object', status, body, headers, now });
  // 429 is TooManyRequests (the sidecar's old table said SlowDown).
  assert.deepEqual([r(429).error.s3Code, r(429).error.retry, r(429).error.adviceId], ['TooManyRequests', 'backoff', 'throttled']);
  const skew = r(403, '<Error><Code>RequestTimeTooSkewed</Code><Message>m</Message><ServerTime>2026-01-02T04:04:05Z</ServerTime></Error>');
  assert.deepEqual([skew.error.retry, skew.error.adviceId, skew.error.clockSkewSeconds], ['after-clock-fix', 'clock-skew', 3600]);
  const sig = r(403, '<Error><Code>SignatureDoesNotMatch</Code><Message>m</Message></Error>');
  assert.deepEqual([sig.error.retry, sig.error.adviceId, sig.error.code], ['never', 'signature-mismatch', 'S3_ERROR']);
  const moved = r(400, '<Error><Code>AuthorizationHeaderMalformed</Code><Message>m</Message><Region>eu-central-1</Region></Error>');
  assert.equal(moved.error.adviceId, 'wrong-region');
  assert.match(moved.error.fix, /'eu-central-1'/);
  const busy = r(503, '', [['Retry-After', '12']]);
  assert.deepEqual([busy.error.retry, busy.error.retryAfterSeconds], ['backoff', 12]);
  for (const e of [r(429).error, skew.error, sig.error, moved.error, busy.error]) model(e);
  assert.deepEqual(r(200, '', [['ETag', '"abc"']]), { ok: true, result: { etag: 'abc', versionId: null } });
});

test('sidecar-local failures are classified by the core', () => {
  const c = (kind, extra) => model(core.classifyFailure({ kind, message: 'm', ...extra }));
  assert.deepEqual([c('network', { errno: 'ECONNREFUSED' }).retry, c('network', { errno: 'ECONNREFUSED' }).adviceId], ['backoff', 'network-refused']);
  assert.deepEqual([c('network', { errno: 'CERT_HAS_EXPIRED' }).retry, c('network', { errno: 'CERT_HAS_EXPIRED' }).adviceId], ['never', 'tls-verify']);
  assert.equal(c('network', { errno: 'ETIMEDOUT' }).adviceId, 'network-timeout');
  assert.deepEqual([c('file', { errno: 'ENOENT' }).code, c('file', { errno: 'ENOENT' }).retry], ['FILE_NOT_FOUND', 'never']);
  assert.equal(c('file', { errno: 'EMFILE' }).retry, 'backoff');
  assert.equal(c('sidecar', { code: 'SHUTTING_DOWN' }).retry, 'backoff');
  assert.throws(() => core.classifyFailure({ kind: 'weather', message: 'm' }), (e) => e.code === 'INVALID_ARGUMENT');
});

test('s3Request signs what the core built; streamed bodies follow payloadSigning', () => {
  const done = core.s3Request({ storage, credentials, now, action: 'complete_multipart_upload', args: { key: 'k', uploadId: 'u', parts: [{ partNumber: 1, etag: '"e"' }] } });
  assert.equal(done.method, 'POST');
  assert.equal(done.url, 'https://example-bucket.s3.eu-west-1.amazonaws.com/k?uploadId=u');
  assert.match(done.body, /<Part><PartNumber>1<\/PartNumber><ETag>&quot;e&quot;<\/ETag><\/Part>/);
  assert.equal(core.payloadSigning(storage), 'unsigned');
  const put = core.s3Request({ storage, credentials, now, action: 'put_object', args: { key: 'k' } });
  assert.deepEqual(put.headers.find(([n]) => n === 'X-Amz-Content-SHA256'), ['X-Amz-Content-SHA256', 'UNSIGNED-PAYLOAD']);
  const local = { provider: 'custom', region: 'us-east-1', bucket: 'bkt', endpoint: 'http://127.0.0.1:9000', allowPrivateEndpoints: true };
  assert.equal(core.payloadSigning(local), 'sha256');
  const bucket = new core.Bucket(storage, credentials);
  try {
    assert.deepEqual(bucket.s3Request({ now, action: 'head_bucket' }), core.s3Request({ storage, credentials, now, action: 'head_bucket' }));
  } finally {
    bucket.free();
  }
});
