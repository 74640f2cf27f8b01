// The settings ops through the Node build (docs/CONTRACTS.md §1):
// validateSettings reports, never throws, for bad user input; settingsSchema
// and validateSettings agree region for region; retryDelay keeps the queue's
// backoff policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const core = createRequire(import.meta.url)('../pkg/node/wps3.js');
const ACCOUNT = '96c87d1d64a7288921d6eace0eccf744';

test('validateSettings: one report per form, errors per field with advice ids', () => {
  // [input, expected [field, adviceId] pairs]
  const cases = [
    [{ provider: 'amazon_s3', region: 'eu-west-1', bucket: 'good-bucket' }, []],
    [{ provider: 'amazon_s3', region: 'eu-west-1', bucket: 'Bad_Bucket' }, [['bucket', 'bucket-name-invalid']]],
    [{ provider: 'custom', bucket: 'good-bucket' }, [['endpoint', 'endpoint-required']]],
    [{ provider: 'custom', endpoint: 'http://127.0.0.1:9000/x', bucket: 'good-bucket', allowPrivateEndpoints: true }, [['endpoint', 'endpoint-invalid']]],
    [{ provider: 'cloudflare_r2', bucket: 'good-bucket' }, [['accountId', 'account-id-required']]],
    [{ provider: 'cloudflare_r2', accountId: 'nope', bucket: 'good-bucket' }, [['accountId', 'account-id-invalid']]],
    [{ provider: 'wasabi', region: 'mx-central-1', bucket: 'good-bucket' }, [['region', 'region-unknown']]],
    [{ provider: 'amazon_s3', region: 'EU_WEST', bucket: 'good-bucket' }, [['region', 'region-invalid']]],
    [{ provider: 'gdrive', bucket: 'good-bucket' }, [['provider', 'provider-unknown']]],
    [{ provider: 'amazon_s3', bucket: 'good-bucket', keyTemplate: '{nope}' }, [['keyTemplate', 'key-template-invalid']]],
    [{ provider: 'amazon_s3', bucket: 'good-bucket', accessKeyId: 'AK ID' }, [['accessKeyId', 'access-key-id-invalid']]],
    [{ provider: 'custom', endpoint: 'http://localhost:9000', bucket: 'good-bucket', addressingStyle: 'virtual', allowPrivateEndpoints: true }, [['addressingStyle', 'addressing-style-needs-path']]],
    [{}, [['provider', 'provider-unknown'], ['bucket', 'bucket-name-invalid']]],
  ];
  for (const [input, want] of cases) {
    const out = core.validateSettings(input);
    assert.deepEqual(out.errors.map((e) => [e.field, e.adviceId]), want, JSON.stringify(input));
    assert.equal(out.valid, want.length === 0);
    for (const e of out.errors) {
      assert.match(e.adviceId, /^[a-z]+(-[a-z0-9]+)*$/);
      assert.match(e.code, /^INVALID_[A-Z_]+$/);
      assert.ok(e.message.length > 10);
    }
  }
});

test('validateSettings: defaults, normalisation and the resolved endpoint', () => {
  const out = core.validateSettings({ provider: 'amazon_s3', bucket: 'good-bucket', pathPrefix: '\\backups\\2026//./' });
  assert.equal(out.valid, true);
  assert.deepEqual(out.settings, {
    provider: 'amazon_s3', region: 'us-east-1', endpoint: '', accountId: '', bucket: 'good-bucket',
    pathPrefix: 'backups/2026/', keyTemplate: '{path_prefix}{sanitized_title}_{date}_{document_id}.pdf',
    addressingStyle: 'auto', accessKeyId: '',
  });
  assert.deepEqual(out.endpoint, core.resolveEndpoint({ provider: 'amazon_s3', region: 'us-east-1', bucket: 'good-bucket' }));
  assert.equal(core.validateSettings({ provider: 'amazon_s3', bucket: 'good-bucket' }).settings.pathPrefix, 'wpsigner/');
  assert.equal(core.validateSettings({ provider: 'amazon_s3', bucket: 'Bad' }).endpoint, null);
  const r2 = core.validateSettings({ provider: 'cloudflare_r2', accountId: ACCOUNT.toUpperCase(), bucket: 'good-bucket' });
  assert.equal(r2.settings.region, 'auto');
  assert.equal(r2.settings.accountId, ACCOUNT);
});

test('validateSettings: throws only for a malformed call, and never echoes the secret', () => {
  for (const bad of [null, 'amazon_s3', 42, { bucket: 5 }]) {
    assert.throws(() => core.validateSettings(bad), (e) => e.code === 'INVALID_ARGUMENT');
  }
  const secret = 'wJalrXUtnFEMI K7MDENG';
  const out = core.validateSettings({ provider: 'amazon_s3', bucket: 'good-bucket', secretAccessKey: secret });
  assert.deepEqual(out.errors.map((e) => e.field), ['secretAccessKey']);
  assert.ok(!JSON.stringify(out).includes('wJalr'));
  assert.throws(() => core.validateSettings({ provider: 'amazon_s3', secretAccessKey: { s: secret } }),
    (e) => e.code === 'INVALID_ARGUMENT' && !e.message.includes('wJalr'));
});

test('settingsSchema: providers, regions and defaults agree with validateSettings', () => {
  const schema = core.settingsSchema();
  assert.deepEqual(schema.providers.map((p) => p.id), ['amazon_s3', 'wasabi', 'cloudflare_r2', 'custom']);
  assert.deepEqual(schema.defaults, {
    pathPrefix: 'wpsigner/', keyTemplate: '{path_prefix}{sanitized_title}_{date}_{document_id}.pdf', addressingStyle: 'auto',
  });
  const byId = Object.fromEntries(schema.providers.map((p) => [p.id, p]));
  assert.equal(byId.cloudflare_r2.uploadShape, 'put');
  assert.equal(byId.amazon_s3.uploadShape, 'post');
  assert.deepEqual(byId.cloudflare_r2.regions.map((r) => r.id), ['auto']);
  assert.equal(byId.custom.needsEndpoint, true);
  assert.equal(byId.cloudflare_r2.needsAccountId, true);
  const optIn = byId.amazon_s3.regions.filter((r) => r.optIn).map((r) => r.id);
  for (const id of ['af-south-1', 'ap-east-1', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-7',
    'ca-west-1', 'eu-south-1', 'eu-south-2', 'eu-central-2', 'il-central-1', 'me-south-1', 'me-central-1', 'mx-central-1']) {
    assert.ok(optIn.includes(id), `${id} is marked opt-in`);
  }
  assert.ok(byId.amazon_s3.regions.some((r) => r.id === 'eu-west-1' && !r.optIn && r.label.includes('Ireland')));
  for (const p of schema.providers) {
    const base = { provider: p.id, bucket: 'good-bucket', accountId: ACCOUNT, endpoint: p.needsEndpoint ? 'https://s3.example.com' : '' };
    assert.equal(core.validateSettings(base).settings.region, p.defaultRegion);
    for (const r of p.regions) {
      const out = core.validateSettings({ ...base, region: r.id });
      assert.equal(out.valid, true, `${p.id} ${r.id}: ${JSON.stringify(out.errors)}`);
    }
  }
  // A region of one provider's table that another does not have is refused there.
  const wasabiOnly = byId.wasabi.regions.find((r) => !byId.amazon_s3.regions.some((a) => a.id === r.id));
  assert.ok(wasabiOnly);
  assert.equal(core.validateSettings({ provider: 'amazon_s3', region: wasabiOnly.id, bucket: 'good-bucket' }).errors[0].adviceId, 'region-unknown');
});

test('retryDelay: capped exponential ±20 %, Retry-After, clock fixes, never', () => {
  for (let attempt = 1; attempt <= 12; attempt++) {
    const expected = Math.min(3600, 15 * 2 ** attempt);
    for (const [jitter, factor] of [[0, 0.8], [0.5, 1], [1, 1.2]]) {
      assert.equal(core.retryDelay({ retry: 'backoff', attempt, jitter }).delaySeconds, Math.max(1, Math.round(expected * factor)), `attempt ${attempt}`);
    }
  }
  assert.deepEqual(core.retryDelay({ retry: 'never', attempt: 1, jitter: 0.5 }), { delaySeconds: null });
  assert.equal(core.retryDelay({ retry: 'backoff', attempt: 1, jitter: 0.5, retryAfterSeconds: 300 }).delaySeconds, 300);
  assert.equal(core.retryDelay({ retry: 'after-clock-fix', attempt: 7, jitter: 0.5 }).delaySeconds, 15);
  assert.equal(core.retryDelay({ retry: 'backoff', attempt: 3, jitter: 0.5, baseSeconds: 0.25, capSeconds: 60 }).delaySeconds, 2);
  for (const bad of [{ retry: 'sometimes', attempt: 1, jitter: 0 }, { retry: 'backoff', attempt: 1, jitter: 2 }, { retry: 'backoff', attempt: -1, jitter: 0 }, null]) {
    assert.throws(() => core.retryDelay(bad), (e) => e.code === 'INVALID_ARGUMENT');
  }
});
