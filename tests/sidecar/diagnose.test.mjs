// Test Connection through the sidecar against real ministack: the sidecar
// sends GetBucketLocation, HeadBucket, the probe put/get/delete and CORS
// preflights; the core's verdicts come back as checklist rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSidecar, startStorage, need } from './helpers.mjs';

const ROOT_STORAGE = await import('../support/storage.mjs');
const rows = (r) => Object.fromEntries(r.result.diagnosis.rows.map((x) => [x.id, x]));
const statuses = (r) => Object.fromEntries(r.result.diagnosis.rows.map((x) => [x.id, x.status]));
const GREEN = { credentials: 'pass', bucket: 'pass', region: 'pass', write: 'pass', read: 'pass', delete: 'pass', clock: 'pass' };

let s3;
let sc;
test.before(async () => {
  if (!need({ skip() {} }, ['core', 'ministack'])) return;
  s3 = await startStorage('ministack');
  sc = await startSidecar();
});
test.after(async () => {
  await sc?.stop();
  await s3?.stop();
});

const args = (over = {}) => ({ storage: s3.storage, credentials: s3.credentials, pathPrefix: 'diag/', ...over });

test('good credentials: every row green, the probe is gone', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  const r = await sc.op('diagnose', args());
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.deepEqual(statuses(r), GREEN);
  assert.equal(r.result.diagnosis.ok, true);
  assert.equal(r.result.probeKeyLeft, null);
});

test('a wrong secret fails credentials with SignatureDoesNotMatch and its fix', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  const wrong = { ...s3.credentials, secretAccessKey: s3.credentials.secretAccessKey.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x')) };
  const r = await sc.op('diagnose', args({ credentials: wrong }));
  const c = rows(r).credentials;
  assert.equal(c.status, 'fail');
  assert.equal(c.s3Code, 'SignatureDoesNotMatch');
  assert.match(c.fix, /secret access key/i);
  assert.equal(rows(r).write.status, 'skip');
});

test('a missing bucket fails the bucket row with NoSuchBucket', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  const r = await sc.op('diagnose', args({ storage: { ...s3.storage, bucket: 'wps3-no-such-bucket' } }));
  assert.equal(rows(r).credentials.status, 'pass');
  assert.equal(rows(r).bucket.status, 'fail');
  assert.equal(rows(r).bucket.s3Code, 'NoSuchBucket');
});

test('a bucket in another region is detected and the fix offered', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  await ROOT_STORAGE.createBucket(s3, 'wps3-eu-bucket', 'eu-west-1');
  const r = await sc.op('diagnose', args({ storage: { ...s3.storage, bucket: 'wps3-eu-bucket', region: 'us-east-1' } }));
  assert.equal(rows(r).region.status, 'fail');
  assert.equal(rows(r).region.adviceId, 'wrong-region');
  assert.deepEqual(r.result.diagnosis.offer, { field: 'region', value: 'eu-west-1' });
  const fixed = await sc.op('diagnose', args({ storage: { ...s3.storage, bucket: 'wps3-eu-bucket', region: 'eu-west-1' } }));
  assert.deepEqual(statuses(fixed), GREEN);
});

test('a key that can write but not delete fails exactly the delete row', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  const policy = { Version: '2012-10-17', Statement: [
    { Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: `arn:aws:s3:::${s3.bucket}` },
    { Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: `arn:aws:s3:::${s3.bucket}/diag/*` },
  ] };
  const key = await ROOT_STORAGE.createIamUser(s3, 'wps3-no-delete', policy);
  const r = await sc.op('diagnose', args({ credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } }));
  assert.deepEqual(statuses(r), { ...GREEN, delete: 'fail' });
  assert.equal(rows(r).delete.s3Code, 'AccessDenied');
  assert.match(r.result.probeKeyLeft, /^diag\/\.wps3-probe-[0-9a-f]{16}\.txt$/);
  // The delete really was refused: the probe is still there (the admin's key could not remove it).
  const left = await sc.op('head-object', { storage: s3.storage, credentials: s3.credentials, key: r.result.probeKeyLeft });
  assert.equal(left.result.exists, true);
});

test('direct uploads: CORS preflight from the server against the generated rule', async (t) => {
  if (!need(t, ['core', 'ministack'])) return;
  const origin = 'http://127.0.0.1:8999';
  await ROOT_STORAGE.createBucket(s3, 'wps3-cors-none', 'us-east-1');
  const refused = await sc.op('diagnose', args({ storage: { ...s3.storage, bucket: 'wps3-cors-none' }, directUploads: true, origin }));
  assert.equal(rows(refused)['cors-preflight'].status, 'fail');
  assert.equal(rows(refused)['browser-upload'].status, 'skip');
  assert.equal(refused.result.browserProbe, undefined);
  // The rule the page generates, pasted into the bucket, makes the preflight pass.
  const { loadCore } = await import('../../php-bridge/sidecar/core.mjs');
  const rule = loadCore().corsRules(origin);
  await ROOT_STORAGE.putCors(s3, 'wps3-cors-none', rule.rules);
  const r = await sc.op('diagnose', args({ storage: { ...s3.storage, bucket: 'wps3-cors-none' }, directUploads: true, origin }));
  assert.equal(rows(r)['cors-preflight'].status, 'pass', JSON.stringify(r.result.observations.preflights));
  assert.equal(rows(r)['browser-upload'].status, 'pending');
  const probe = r.result.browserProbe;
  assert.match(probe.put.url, /X-Amz-Signature=/);
  // Play the browser: PUT and GET with the presigned URLs, then let the sidecar judge and clean up.
  const put = await fetch(probe.put.url, { method: 'PUT', headers: Object.fromEntries(probe.put.headers), body: probe.body });
  const get = await fetch(probe.get.url);
  const body = await get.text();
  const done = await sc.op('diagnose-browser', args({
    storage: { ...s3.storage, bucket: 'wps3-cors-none' }, key: probe.key, observations: r.result.observations,
    browser: { put: { ok: put.ok, status: put.status }, get: { ok: get.ok, status: get.status, bodyMatches: body === probe.body } },
  }));
  assert.equal(done.ok, true, JSON.stringify(done.error));
  assert.equal(done.result.removed, true);
  const d = Object.fromEntries(done.result.diagnosis.rows.map((x) => [x.id, x.status]));
  assert.equal(d['browser-upload'], 'pass');
  assert.equal(d['browser-download'], 'pass');
  const notProbe = await sc.op('diagnose-browser', args({ key: 'diag/important.pdf', observations: {}, browser: {} }));
  assert.equal(notProbe.ok, false);
  assert.equal(notProbe.error.code, 'BAD_REQUEST');
});

for (const [offset, want] of [[-420, 'warn'], [-1800, 'fail']]) {
  test(`a server clock ${-offset} s behind storage: clock row ${want}`, async (t) => {
    if (!need(t, ['core', 'ministack'])) return;
    const skewed = await startSidecar({ env: { WPS3_CLOCK_OFFSET_SECONDS: String(offset) } });
    t.after(() => skewed.stop());
    const r = await skewed.op('diagnose', args());
    const c = rows(r).clock;
    assert.equal(c.status, want, JSON.stringify(c));
    assert.ok(Math.abs(c.data.offsetSeconds - offset) <= 5, JSON.stringify(c.data));
    assert.equal(c.adviceId, want === 'warn' ? 'clock-drift' : 'clock-skew');
  });
}
