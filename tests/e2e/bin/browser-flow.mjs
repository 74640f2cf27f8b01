#!/usr/bin/env node
// Drives headless Chromium (Debian's /usr/bin/chromium via playwright-core) through the demo:
// log in, open Settings → S3 Backups, click "Mark as fully signed" on the first sample document,
// wait for its backup row, click Download and compare the downloaded bytes with the PDF.
// Screenshots go to OUT_DIR (default $WPS3_E2E_DIR): 1-before.png, 2-backed-up.png.
//
//   WPS3_E2E_DIR=/tmp/wps3e.XXXX node tests/e2e/bin/browser-flow.mjs [OUT_DIR]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { logIn } from '../../support/wp-login.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const dir = process.env.WPS3_E2E_DIR;
if (!dir) throw new Error('set WPS3_E2E_DIR');
const env = JSON.parse(fs.readFileSync(path.join(dir, 'env.json'), 'utf8'));
const out = process.argv[2] || dir;
fs.mkdirSync(out, { recursive: true });

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wps3-chromium-'));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`].filter((a) => !a.startsWith('--user-data-dir')),
});
const fail = (msg) => { console.error(`browser-flow: FAIL ${msg}`); process.exitCode = 1; };
let page;
try {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 1100 } });
  page = await context.newPage();
  await logIn(page, env.SITE_URL, env.ADMIN_USER, env.ADMIN_PASSWORD);
  await page.goto(`${env.SITE_URL}/wp-admin/options-general.php?page=wps3`);
  await page.waitForSelector('h1:has-text("S3 Backups")');
  await page.screenshot({ path: path.join(out, '1-before.png'), fullPage: true });

  let row = page.locator('tr.wps3-demo-doc', { has: page.locator('button.wps3-demo-complete') }).first();
  if (!(await row.count())) {
    // Every sample is signed already (another flow ran first): add one, as the panel's form does.
    await page.fill('input[name="title"]', 'Browser Flow Agreement');
    await Promise.all([page.waitForNavigation(), page.click('input[name="wps3_demo_create"]')]);
    row = page.locator('tr.wps3-demo-doc', { has: page.locator('button.wps3-demo-complete') }).first();
  }
  const docId = await row.getAttribute('data-document-id');
  await Promise.all([page.waitForNavigation(), row.locator('button.wps3-demo-complete').click()]);
  // The list refreshes by itself while the upload is pending; wait for the Download button.
  const jobRow = page.locator(`tr.wps3-job[data-document-id="${docId}"]`);
  const t0 = Date.now();
  while (!(await jobRow.locator('a.wps3-download').count())) {
    // 90 s: where WP-Cron runs the queue, a lost spawn waits out its 60 s lock (WP_CRON_LOCK_TIMEOUT).
    if (Date.now() - t0 > 90_000) {
      await page.screenshot({ path: path.join(out, 'failed.png'), fullPage: true });
      throw new Error(`no backup for document ${docId} after 90 s (page: ${page.url()}; screenshot failed.png)`);
    }
    // The page reloads itself every 3 s while uploads are pending; do not depend on it.
    await page.waitForTimeout(1000);
    await page.goto(`${env.SITE_URL}/wp-admin/options-general.php?page=wps3`);
  }
  const key = (await jobRow.locator('code.wps3-key').textContent()).trim();
  await page.screenshot({ path: path.join(out, '2-backed-up.png'), fullPage: true });
  console.log(`browser-flow: document ${docId} backed up as ${key} in ${Date.now() - t0} ms`);

  const [download] = await Promise.all([page.waitForEvent('download'), jobRow.locator('a.wps3-download').click()]);
  const saved = path.join(out, 'downloaded.pdf');
  await download.saveAs(saved);
  const docs = JSON.parse(execFileSync('php', [path.join(env.E2E_ROOT, 'tests/e2e/bin/wp.php'), 'eval',
    'echo wp_json_encode( get_option( "wps3_demo_documents" ) );'], { env: { ...process.env, WPS3_E2E_DIR: dir } }).toString());
  const original = fs.readFileSync(docs[docId].path);
  const got = fs.readFileSync(saved);
  if (!original.equals(got)) fail(`downloaded ${got.length} bytes differ from the PDF (${original.length} bytes)`);
  else console.log(`browser-flow: Download gave ${download.suggestedFilename()} (${got.length} bytes), identical to the signed PDF`);
  if (download.suggestedFilename() !== path.basename(key)) fail(`file name ${download.suggestedFilename()} != ${path.basename(key)}`);
} catch (e) {
  fail(e.stack || String(e));
  // What the browser was looking at, so a failure in CI can be read without rerunning it.
  if (page) {
    const text = await page.evaluate(() => document.body?.innerText ?? '').catch(() => '');
    console.error(`browser-flow: page ${page.url()} titled ${JSON.stringify(await page.title().catch(() => ''))}: ${JSON.stringify(text.replace(/\s+/g, ' ').slice(0, 600))}`);
    await page.screenshot({ path: path.join(out, 'failed.png'), fullPage: true }).catch(() => {});
  }
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
