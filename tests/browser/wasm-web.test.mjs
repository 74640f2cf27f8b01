// The `--target web` build in a real browser: Debian's Chromium loads
// pkg/web/wps3.js as an ES module and signs every presign and POST-policy case
// of the conformance data. This proves the bytes the admin page will produce,
// not just the Node build's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
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

test('presigned GET/PUT URLs from the web build match botocore', async (t) => {
  const all = [...(cases('s3-presign-get.jsonl') ?? []), ...(cases('s3-presign-put.jsonl') ?? [])];
  if (!all.length) return t.skip('no presign data');
  const results = await page.evaluate((list) => list.map(({ id, input: i, expected: e }) => {
    try {
      const out = window.core.presignUrl({
        storage: { provider: 'custom', region: i.region, bucket: i.bucket, endpoint: i.endpoint, addressingStyle: i.addressing_style },
        credentials: { accessKeyId: i.access_key_id, secretAccessKey: i.secret_access_key, sessionToken: i.session_token },
        now: i.timestamp, method: i.method, key: i.key, expiresIn: i.expires_in, query: i.query_params, headers: i.headers,
      });
      return out.url === e.url ? null : `${id}: ${out.url}`;
    } catch (err) {
      return `${id}: ${err.code} ${err.message}`;
    }
  }), all);
  assert.deepEqual(results.filter(Boolean), []);
  t.diagnostic(`${all.length} presign cases signed in Chromium`);
});

test('POST policies from the web build match botocore', async (t) => {
  const all = cases('s3-presign-post.jsonl');
  if (!all) return t.skip('no POST data');
  const results = await page.evaluate((list) => list.map(({ id, input: i, expected: e }) => {
    try {
      const out = window.core.presignPost({
        storage: { provider: 'custom', region: i.region, bucket: i.bucket, endpoint: i.endpoint, addressingStyle: i.addressing_style },
        credentials: { accessKeyId: i.access_key_id, secretAccessKey: i.secret_access_key, sessionToken: i.session_token },
        now: i.timestamp, key: i.key, expiresIn: i.expires_in, fields: i.fields, conditions: i.conditions,
      });
      return JSON.stringify(out.fields) === JSON.stringify(e.fields) ? null : `${id}: fields differ`;
    } catch (err) {
      return `${id}: ${err.code} ${err.message}`;
    }
  }), all);
  assert.deepEqual(results.filter(Boolean), []);
  t.diagnostic(`${all.length} POST cases signed in Chromium`);
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
