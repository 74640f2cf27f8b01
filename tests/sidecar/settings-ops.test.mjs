// The settings ops are reachable through the sidecar with the core's answers
// unchanged (PHP calls them there).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSidecar, need } from './helpers.mjs';

let sc;
before(async (t) => {
  if (!need(t, ['core'])) return;
  sc = await startSidecar();
});
after(async () => sc?.stop());

test('validate-settings, settings-schema and retry-delay', async (t) => {
  if (!sc) return t.skip('no core');
  const bad = await sc.op('validate-settings', { provider: 'amazon_s3', bucket: 'Bad_Bucket' });
  assert.equal(bad.ok, true, JSON.stringify(bad));
  assert.equal(bad.result.valid, false);
  assert.deepEqual(bad.result.errors.map((e) => [e.field, e.adviceId]), [['bucket', 'bucket-name-invalid']]);
  const good = await sc.op('validate-settings', { provider: 'custom', endpoint: 'http://127.0.0.1:9000', bucket: 'wps3-test', allowPrivateEndpoints: true });
  assert.equal(good.result.valid, true);
  assert.equal(good.result.endpoint.bucketUrl, 'http://127.0.0.1:9000/wps3-test');
  const schema = await sc.op('settings-schema', {});
  assert.equal(schema.result.providers.find((p) => p.id === 'cloudflare_r2').uploadShape, 'put');
  const delay = await sc.op('retry-delay', { retry: 'backoff', attempt: 2, jitter: 0.5 });
  assert.deepEqual(delay.result, { delaySeconds: 60 });
  const malformed = await sc.op('retry-delay', { retry: 'backoff', attempt: 2, jitter: 7 });
  assert.equal(malformed.ok, false);
  assert.equal(malformed.error.code, 'INVALID_ARGUMENT');
});
