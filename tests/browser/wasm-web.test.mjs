// The `--target web` build in a real browser: Debian's Chromium loads
// pkg/web/wps3.js as an ES module and answers the admin page's calls
// (settings checks, key and URL-shape previews for every presign case of the
// conformance data, IAM and CORS generators) exactly as the Node build does.
// This proves what the admin page will show, not just what Node computes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = process.env.CONFORMANCE_DIR || join(root, '../shared/conformance');
const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const PAGE = '<!doctype html><meta charset="utf-8"><title>wasm</title><script type="module">import init, * as core from "/pkg/web/wps3.js"; await init(); window.core = core; document.title = "ready";</script>';

let server;
let browser;
let page;
let profile;

before(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      return;
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(join(root, 'pkg/web')) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  profile = mkdtempSync(join(tmpdir(), 'wps3-chromium-'));
  // A persistent context is how Playwright takes a fresh --user-data-dir.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => document.title === 'ready', null, { timeout: 20000 });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

function cases(file) {
  const path = join(dataDir, 'generated', file);
  if (!existsSync(path)) return null;
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

// The page's own calls, answered in Chromium by pkg/web and compared with
// pkg/node (whose signer the conformance suite checks against botocore).
const require = createRequire(import.meta.url);
const nodeCore = require(join(root, 'pkg/node/wps3.js'));

test('URL-shape previews from the web build equal the Node build\'s for every presign case', async (t) => {
  const all = [...(cases('s3-presign-get.jsonl') ?? []), ...(cases('s3-presign-put.jsonl') ?? [])];
  if (!all.length) return t.skip('no presign data');
  // Several cases sign for 127.0.0.1 (minio, path style). The SSRF refusal is pkg/node's alone
  // (pkg/web leaves it to the server), so the cases allow private endpoints: this test compares shapes.
  const inputs = all.map(({ id, input: i }) => ({
    id,
    req: {
      storage: { provider: 'custom', region: i.region, bucket: i.bucket, endpoint: i.endpoint, addressingStyle: i.addressing_style, allowPrivateEndpoints: true },
      accessKeyId: i.access_key_id, key: i.key, expiresIn: i.expires_in, now: i.timestamp,
    },
  }));
  const got = await page.evaluate((list) => list.map(({ id, req }) => {
    try {
      return [id, window.core.urlShape(req)];
    } catch (err) {
      return [id, `${err.code}`];
    }
  }), inputs);
  const want = inputs.map(({ id, req }) => {
    try {
      return [id, nodeCore.urlShape(req)];
    } catch (err) {
      return [id, `${err.code}`];
    }
  });
  assert.deepEqual(got, want);
  assert.ok(want.some(([, url]) => url.startsWith('http')), 'some cases produce URLs');
  t.diagnostic(`${all.length} URL shapes previewed in Chromium`);
});

test('the settings form\'s checks and previews in Chromium', async () => {
  const forms = [
    { provider: 'amazon_s3', region: 'eu-west-1', bucket: 'good-bucket' },
    { provider: 'amazon_s3', region: 'eu-west-1', bucket: 'Bad_Bucket', pathPrefix: '/x//y\\z' },
    { provider: 'cloudflare_r2', bucket: 'good-bucket' },
    { provider: 'custom', bucket: 'good-bucket' },
  ];
  const now = '2026-01-02T03:04:05Z';
  const key = { title: 'Service Agreement', documentId: 142, now, pathPrefix: 'backups/' };
  const iam = { provider: 'amazon_s3', region: 'eu-west-1', bucket: 'good-bucket', pathPrefix: 'wpsigner/' };
  const got = await page.evaluate(({ forms, key, iam }) => ({
    reports: forms.map((f) => window.core.validateSettings(f)),
    schema: window.core.settingsSchema(),
    key: window.core.renderKey(key),
    iam: window.core.iamPolicy(iam),
    cors: window.core.corsRules('https://example.org'),
  }), { forms, key, iam });
  assert.deepEqual(got.reports, forms.map((f) => nodeCore.validateSettings(f)));
  assert.deepEqual(got.reports[1].errors.map((e) => e.adviceId), ['bucket-name-invalid']);
  assert.deepEqual(got.schema, nodeCore.settingsSchema());
  assert.equal(got.key, 'backups/Service-Agreement_2026-01-02_142.pdf');
  assert.deepEqual(got.iam, nodeCore.iamPolicy(iam));
  assert.deepEqual(got.cors, nodeCore.corsRules('https://example.org'));
});

test('errors thrown in the browser keep their code', async () => {
  const code = await page.evaluate(() => {
    try {
      window.core.validateBucket('No');
      return null;
    } catch (e) {
      return e instanceof Error ? e.code : 'not an Error';
    }
  });
  assert.equal(code, 'INVALID_BUCKET');
});
