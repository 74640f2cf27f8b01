#!/usr/bin/env node
// The integration page in headless Chromium against a running e2e harness (real WordPress, the
// harness's ministack with the page's own CORS rule for the site origin). A part of tests/e2e/run.sh.
//
//   WPS3_E2E_DIR=/tmp/wps3e.XXXX node tests/browser/admin-page.e2e.mjs [ARTIFACT_DIR]
//
// Screenshots of the main states go to ARTIFACT_DIR (default .run/artifacts/admin-page/).
// Long because it is one scenario after another on one logged-in page; each block says what it proves.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createBucket, createIamUser, putCors } from '../support/storage.mjs';
import { logIn } from '../support/wp-login.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = process.env.WPS3_E2E_DIR;
if (!dir) throw new Error('set WPS3_E2E_DIR');
const env = JSON.parse(fs.readFileSync(path.join(dir, 'env.json'), 'utf8'));
const storageEnv = Object.fromEntries(fs.readFileSync(path.join(dir, 'storage-ministack.env'), 'utf8').trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
const out = process.argv[2] || path.join(ROOT, '.run', 'artifacts', 'admin-page');
fs.mkdirSync(out, { recursive: true });
const core = require(path.join(ROOT, 'pkg', 'node', 'wps3.js'));
const origin = new URL(env.SITE_URL).origin;
const s3 = {
  endpoint: env.S3_ENDPOINT, region: env.S3_REGION, bucket: env.S3_BUCKET,
  accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY,
  rootAccessKeyId: storageEnv.S3_ROOT_ACCESS_KEY_ID, rootSecretAccessKey: storageEnv.S3_ROOT_SECRET_ACCESS_KEY,
};
const PAGE = `${env.SITE_URL}/wp-admin/options-general.php?page=wps3`;
const wp = (code) => execFileSync('php', [path.join(ROOT, 'tests/e2e/bin/wp.php'), 'eval', code], { env: { ...process.env, WPS3_E2E_DIR: dir } }).toString();

let passed = 0;
let failed = 0;
const check = (what, ok, detail = '') => {
  if (ok) passed++;
  else failed++;
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}${ok || !detail ? '' : ` — ${detail}`}`);
};

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wps3-chromium-'));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const shot = (page, name) => page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });

async function login(context, user, password) {
  const page = await context.newPage();
  await logIn(page, env.SITE_URL, user, password);
  return page;
}

async function openPage(page) {
  await page.goto(PAGE);
  await page.waitForSelector('#wps3-settings-form', { timeout: 30_000 });
}

// The scenarios below run more tests than one window allows; only the rate-limit block counts them.
const resetLimits = () => wp('foreach ( array( "settings-test", "settings-save" ) as $a ) { \\WPS3\\Rest\\RateLimiter::reset( $a, 1 ); }');

// Runs Test connection and waits for its verdicts: { id: status }.
async function runTest(page) {
  resetLimits();
  await page.click('#wps3-test');
  await page.waitForFunction(() => {
    const b = document.getElementById('wps3-test');
    return !b.disabled && document.querySelector('.wps3-notice:not([hidden])');
  }, null, { timeout: 90_000 });
  return page.$$eval('#wps3-checklist li', (lis) => Object.fromEntries(lis.map((li) => [li.dataset.check, li.dataset.status])));
}
const rowText = (page, id) => page.textContent(`#wps3-checklist li[data-check="${id}"]`);
const noticeText = (page) => page.textContent('.wps3-notice');
// Buckets and users are new on every run (the harness may be reused).
const run = Math.random().toString(36).slice(2, 8);
const GREEN = ['credentials', 'bucket', 'region', 'write', 'read', 'delete', 'clock'];
const allPass = (rows, ids = GREEN) => ids.every((id) => rows[id] === 'pass') && Object.keys(rows).length === ids.length;

try {
  // The bucket allows this site's origin only, with the rule the page generates.
  await putCors(s3, s3.bucket, core.corsRules(origin).rules);
  wp('update_option( "wps3_direct_uploads", "0" ); foreach ( array( "settings-test", "settings-save" ) as $a ) { \\WPS3\\Rest\\RateLimiter::reset( $a, 1 ); }');

  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await login(context, env.ADMIN_USER, env.ADMIN_PASSWORD);
  const bodies = [];
  const requests = [];
  page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
  page.on('response', async (r) => { try { bodies.push(await r.text()); } catch { /* redirects, aborted */ } });
  await openPage(page);
  await shot(page, '1-loaded');
  check('page renders the form with the stored values', (await page.inputValue('#wps3-bucket')) === s3.bucket);

  // Live key preview by the core.
  await page.fill('#wps3-pathPrefix', 'contracts/2026/');
  await page.waitForFunction(() => document.getElementById('wps3-key-preview').textContent.startsWith('contracts/2026/'));
  const today = new Date().toISOString().slice(0, 10);
  check('key preview follows the prefix', (await page.textContent('#wps3-key-preview')) === `contracts/2026/Service-Agreement_${today}_142.pdf`, await page.textContent('#wps3-key-preview'));
  check('URL shape preview masks the key id and signature', await page.$eval('#wps3-url-preview', (e) => /X-Amz-Signature=<signature>$/.test(e.textContent) && !e.textContent.includes('AKIA5')));
  await page.fill('#wps3-pathPrefix', 'wpsigner/');

  // A bucket S3 forbids: inline error from the core, nothing sent.
  const before = requests.filter((r) => r.includes('/wp-json/')).length;
  await page.fill('#wps3-bucket', 'Bad_Bucket..name');
  await page.waitForSelector('#wps3-bucket-error:not([hidden])');
  check('forbidden bucket name: inline error', (await page.textContent('#wps3-bucket-error')).length > 10, await page.textContent('#wps3-bucket-error'));
  check('forbidden bucket name: field marked invalid', (await page.getAttribute('#wps3-bucket', 'aria-invalid')) === 'true');
  await page.click('#wps3-save');
  await page.waitForSelector('.wps3-notice:not([hidden])');
  check('Save with the bad name sends nothing', requests.filter((r) => r.includes('/wp-json/')).length === before);
  await shot(page, '2-invalid-bucket');
  await page.fill('#wps3-bucket', s3.bucket);

  // Save with the secret, reload: the secret is nowhere.
  await page.fill('#wps3-secretAccessKey', s3.secretAccessKey);
  await page.click('#wps3-save');
  await page.waitForFunction(() => /saved/i.test(document.querySelector('.wps3-notice')?.textContent || ''));
  check('Save: "Settings saved."', (await noticeText(page)).includes('Settings saved.'));
  check('Save: the secret field is emptied', (await page.inputValue('#wps3-secretAccessKey')) === '');
  await openPage(page);
  const source = await (await context.request.get(PAGE)).text();
  const dom = await page.content();
  const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  check('secret absent from page source', !source.includes(s3.secretAccessKey));
  check('secret absent from the DOM', !dom.includes(s3.secretAccessKey) && (await page.inputValue('#wps3-secretAccessKey')) === '');
  check('secret absent from localStorage/sessionStorage', !storage.includes(s3.secretAccessKey));
  check('page says a secret is stored', (await page.textContent('#wps3-secret-state')).includes('stored'));

  // Test connection: all green.
  let rows = await runTest(page);
  check('good credentials: all green', allPass(rows), JSON.stringify(rows));
  await shot(page, '3-test-all-green');

  // Wrong secret (typed, not saved).
  await page.fill('#wps3-secretAccessKey', s3.secretAccessKey.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x')));
  rows = await runTest(page);
  const cred = await rowText(page, 'credentials');
  check('wrong secret: credentials fail with SignatureDoesNotMatch and its fix', rows.credentials === 'fail' && cred.includes('SignatureDoesNotMatch') && /How to fix:.*secret access key/is.test(cred), cred);
  await shot(page, '4-wrong-secret');
  await page.fill('#wps3-secretAccessKey', '');

  // Missing bucket.
  await page.fill('#wps3-bucket', 'wps3-no-such-bucket');
  rows = await runTest(page);
  check('missing bucket: bucket row fails with NoSuchBucket', rows.bucket === 'fail' && (await rowText(page, 'bucket')).includes('NoSuchBucket'), JSON.stringify(rows));

  // Wrong region, fixed with one click.
  await createBucket(s3, `wps3-eu-${run}`, 'eu-west-1');
  await page.fill('#wps3-bucket', `wps3-eu-${run}`);
  await page.fill('#wps3-region', 'us-east-1');
  rows = await runTest(page);
  check('wrong region: region row fails and names eu-west-1', rows.region === 'fail' && (await rowText(page, 'region')).includes('eu-west-1'), JSON.stringify(rows));
  await shot(page, '5-wrong-region');
  await page.click('.wps3-fix-region');
  await page.waitForFunction(() => document.querySelector('#wps3-checklist li[data-check="region"]')?.dataset.status === 'pass', null, { timeout: 90_000 });
  await page.waitForFunction(() => !document.getElementById('wps3-test').disabled);
  rows = await page.$$eval('#wps3-checklist li', (lis) => Object.fromEntries(lis.map((li) => [li.dataset.check, li.dataset.status])));
  check('one click: region set to eu-west-1 and the test is green', (await page.inputValue('#wps3-region')) === 'eu-west-1' && allPass(rows), JSON.stringify(rows));
  await shot(page, '6-region-fixed');
  await page.fill('#wps3-bucket', s3.bucket);
  await page.fill('#wps3-region', s3.region);

  // A key that can write but not delete: the page's own policy without s3:DeleteObject.
  const policy = core.iamPolicy({ provider: 'custom', bucket: s3.bucket, pathPrefix: 'wpsigner/' }).policy;
  for (const st of policy.Statement) st.Action = st.Action.filter((a) => a !== 's3:DeleteObject');
  const narrow = await createIamUser(s3, `wps3-no-delete-${run}`, policy);
  await page.fill('#wps3-accessKeyId', narrow.accessKeyId);
  await page.fill('#wps3-secretAccessKey', narrow.secretAccessKey);
  rows = await runTest(page);
  const notDelete = Object.entries(rows).filter(([id, st]) => id !== 'delete' && st !== 'pass');
  check('no-delete key: exactly the delete check fails', rows.delete === 'fail' && notDelete.length === 0 && (await rowText(page, 'delete')).includes('AccessDenied'), JSON.stringify(rows));
  await shot(page, '7-no-delete-key');
  await page.fill('#wps3-accessKeyId', s3.accessKeyId);
  await page.fill('#wps3-secretAccessKey', '');

  // Direct uploads: CORS preflight from the server, then a real upload and download from this browser.
  await page.check('#wps3-directUploads');
  rows = await runTest(page);
  check('direct uploads: preflight, browser upload and download pass', allPass(rows, [...GREEN, 'cors-preflight', 'browser-upload', 'browser-download']), JSON.stringify(rows));
  check('CORS rule names this origin, never *', (await page.textContent('#wps3-cors-rules')).includes(`"${origin}"`) && !(await page.textContent('#wps3-cors-rules')).includes('"*"'));
  await shot(page, '8-direct-uploads-green');
  await createBucket(s3, `wps3-cors-${run}`, s3.region, { corsRules: core.corsRules('https://elsewhere.example').rules });
  await page.fill('#wps3-bucket', `wps3-cors-${run}`);
  rows = await runTest(page);
  check('bucket CORS for another origin: preflight fails, browser checks skipped', rows['cors-preflight'] === 'fail' && rows['browser-upload'] === 'skip', JSON.stringify(rows));
  await page.fill('#wps3-bucket', s3.bucket);
  await page.uncheck('#wps3-directUploads');

  // axe-core inside the page: no serious or critical violations in the integration page.
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const axe = await page.evaluate(async () => {
    const r = await window.axe.run({ include: [['#wps3-settings-app'], ['#wps3-settings']] });
    return r.violations.filter((v) => ['serious', 'critical'].includes(v.impact)).map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  check('axe-core: no serious or critical violations', axe.length === 0, axe.join('; '));

  // Keyboard: Tab reaches Save and Test; Enter in a field saves (form submit).
  await page.focus('#wps3-accessKeyId');
  let reached = false;
  for (let i = 0; i < 12 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.id === 'wps3-save');
  }
  check('keyboard: Tab reaches Save', reached);

  // Rate limits: the 6th test and the 11th save in a window are refused with the words; then reset.
  // The window is shortened honestly, through the plugin's own filter (the mu-plugin's wps3_e2e_filters).
  const filters = (value) => wp(`$f = get_option( "wps3_e2e_filters" ); $f = is_array( $f ) ? $f : array(); ${value === null ? 'unset( $f["wps3_rate_limit_window"] );' : `$f["wps3_rate_limit_window"] = ${value};`} if ( $f ) { update_option( "wps3_e2e_filters", $f ); } else { delete_option( "wps3_e2e_filters" ); }`);
  filters(15);
  wp('foreach ( array( "settings-test", "settings-save" ) as $a ) { \\WPS3\\Rest\\RateLimiter::reset( $a, 1 ); }');
  const call = (p, data) => page.evaluate(async ({ p, data }) => {
    try {
      await window.wp.apiFetch({ path: p, method: 'POST', data, parse: false }).then(async (r) => { if (!r.ok) throw r; });
      return { status: 200 };
    } catch (r) {
      return { status: r.status, retryAfter: r.headers?.get('Retry-After'), body: await r.json?.() };
    }
  }, { p, data });
  const form = { settings: { provider: 'custom', endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, pathPrefix: 'wpsigner/', accessKeyId: s3.accessKeyId } };
  const t0 = Date.now();
  const tests = [];
  for (let i = 0; i < 6; i++) tests.push(await call('/wps3/v1/settings/test', form));
  check('5 tests pass the limit', tests.slice(0, 5).every((r) => r.status === 200), JSON.stringify(tests.slice(0, 5).map((r) => r.status)));
  check('6th test: 429, Retry-After, "Too many requests — wait N seconds"', tests[5].status === 429 && Number(tests[5].retryAfter) >= 1 && /^Too many requests — wait \d+ seconds?$/.test(tests[5].body?.message), JSON.stringify(tests[5]));
  await page.click('#wps3-test');
  await page.waitForFunction(() => /Too many requests/.test(document.querySelector('.wps3-notice')?.textContent || ''));
  check('the page shows "Too many requests — wait N seconds"', /Too many requests — wait \d+ seconds?/.test(await noticeText(page)));
  await shot(page, '9-rate-limited');
  const saves = [];
  const t1 = Date.now();
  for (let i = 0; i < 11; i++) saves.push(await call('/wps3/v1/settings', form));
  check('10 saves pass, the 11th is refused (429)', saves.slice(0, 10).every((r) => r.status === 200) && saves[10].status === 429 && /Too many requests/.test(saves[10].body?.message), JSON.stringify(saves.map((r) => r.status)));
  await page.waitForTimeout(Math.max(0, 16_000 - (Date.now() - t0)));
  check('after the window: a test is allowed again', (await call('/wps3/v1/settings/test', form)).status === 200);
  await page.waitForTimeout(Math.max(0, 16_000 - (Date.now() - t1)));
  check('after the window: a save is allowed again', (await call('/wps3/v1/settings', form)).status === 200);
  filters(null);

  // Nonces: a tampered nonce is refused with the words; the page says them when the nonce cannot be renewed.
  const tampered = await page.evaluate(async () => {
    const r = await fetch('/wp-json/wps3/v1/settings', { headers: { 'X-WP-Nonce': 'deadbeef00' }, credentials: 'same-origin' });
    return { status: r.status, body: await r.json() };
  });
  check('tampered nonce: 403 "Security check failed — refresh the page"', tampered.status === 403 && tampered.body.message === 'Security check failed — refresh the page', JSON.stringify(tampered));
  await page.route('**/admin-ajax.php?action=rest-nonce', (r) => r.fulfill({ status: 400, body: '0' }));
  await page.evaluate(() => { window.wp.apiFetch.nonceMiddleware.nonce = 'deadbeef00'; });
  await page.click('#wps3-save');
  await page.waitForFunction(() => /Security check failed/.test(document.querySelector('.wps3-notice')?.textContent || ''));
  check('the page shows "Security check failed — refresh the page"', (await noticeText(page)).includes('Security check failed — refresh the page'));
  check('nothing typed is lost on a failed request', (await page.inputValue('#wps3-bucket')) === s3.bucket);
  await page.unroute('**/admin-ajax.php?action=rest-nonce');

  // A stored secret that no longer decrypts (salts changed, envelope damaged): the promised words, no trace.
  await openPage(page); // a fresh nonce after the tampering above
  resetLimits();
  const envelope = wp('echo get_option( "wps3_secret_envelope" );').trim();
  wp(`update_option( "wps3_secret_envelope", ${JSON.stringify(envelope.slice(0, -6) + (envelope.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'))} );`);
  const broken = await call('/wps3/v1/settings/test', form);
  check('undecryptable secret: 400 "Failed to sign request — re-enter both keys"', broken.status === 400 && broken.body?.message === 'Failed to sign request — re-enter both keys', JSON.stringify(broken));
  await page.click('#wps3-test');
  await page.waitForFunction(() => /Failed to sign request/.test(document.querySelector('.wps3-notice')?.textContent || ''));
  check('the page shows "Failed to sign request — re-enter both keys"', (await noticeText(page)).includes('Failed to sign request — re-enter both keys'));
  wp(`update_option( "wps3_secret_envelope", ${JSON.stringify(envelope)} );`);

  check('secret absent from every network response', !bodies.some((b) => b.includes(s3.secretAccessKey)), `${bodies.length} responses`);

  wp('delete_option( "wps3_direct_uploads" );');

  // Subscriber and logged-out visitor: 401/403 on all three routes.
  wp('if ( ! get_user_by( "login", "e2e-page-sub" ) ) { wp_insert_user( array( "user_login" => "e2e-page-sub", "user_pass" => "sub-pass-page-1", "role" => "subscriber", "user_email" => "ps@example.test" ) ); }');
  const subCtx = await browser.newContext();
  const sub = await login(subCtx, 'e2e-page-sub', 'sub-pass-page-1');
  await sub.goto(`${env.SITE_URL}/wp-admin/profile.php`);
  const subStatus = await sub.evaluate(async () => {
    const nonce = await (await fetch('/wp-admin/admin-ajax.php?action=rest-nonce')).text();
    const go = (p, m) => fetch(p, { method: m, headers: { 'X-WP-Nonce': nonce, 'Content-Type': 'application/json' }, body: m === 'POST' ? '{"settings":{}}' : undefined }).then((r) => r.status);
    return [await go('/wp-json/wps3/v1/settings', 'GET'), await go('/wp-json/wps3/v1/settings', 'POST'), await go('/wp-json/wps3/v1/settings/test', 'POST'), !!nonce, nonce];
  });
  check('subscriber: 403 on GET/POST settings and POST test', subStatus.slice(0, 3).every((s) => s === 403) && subStatus[3] && /^[0-9a-f]{10}$/.test(subStatus[4]), JSON.stringify(subStatus));
  const anon = await browser.newContext();
  const anonStatus = [];
  for (const [m, p] of [['GET', '/settings'], ['POST', '/settings'], ['POST', '/settings/test']]) {
    anonStatus.push((await anon.request.fetch(`${env.SITE_URL}/wp-json/wps3/v1${p}`, { method: m, data: m === 'POST' ? { settings: {} } : undefined })).status());
  }
  check('logged out: 401 on all three routes', anonStatus.every((s) => s === 401), JSON.stringify(anonStatus));

  // Provider-dependent fields: regions from the core's schema, endpoint only for custom, account id only for R2.
  await openPage(page);
  const visible = (name) => page.isVisible(`tr.wps3-row-${name}`);
  await page.selectOption('#wps3-provider', 'amazon_s3');
  await page.waitForFunction(() => document.getElementById('wps3-region').tagName === 'SELECT');
  await page.waitForTimeout(300); // the form re-checks 120 ms after the last change
  const aws = await page.$$eval('#wps3-region option', (os) => os.map((o) => [o.value, o.textContent]));
  check('AWS: region is a select with the commercial regions, opt-in ones marked', aws.length >= 30 && aws.some(([v, t]) => v === 'af-south-1' && t.includes('(opt-in)')) && aws.some(([v, t]) => v === 'eu-west-1' && !t.includes('opt-in')), `${aws.length} regions`);
  check('AWS: no endpoint or account id field', !(await visible('endpoint')) && !(await visible('accountId')));
  check('AWS: the URL shape is virtual-hosted on amazonaws.com', /^https:\/\/wps3-test\.s3\.([a-z0-9-]+\.)?amazonaws\.com\//.test(await page.textContent('#wps3-url-preview')), await page.textContent('#wps3-url-preview'));
  await shot(page, '11-provider-aws');
  await page.selectOption('#wps3-provider', 'cloudflare_r2');
  await page.waitForTimeout(300);
  const r2 = await page.$$eval('#wps3-region option', (os) => os.map((o) => o.value));
  check('R2: region auto, account id shown, no endpoint', r2.includes('auto') && (await visible('accountId')) && !(await visible('endpoint')), JSON.stringify(r2));
  await page.selectOption('#wps3-provider', 'wasabi');
  await page.waitForTimeout(300);
  check('Wasabi: its own region list', (await page.$$eval('#wps3-region option', (os) => os.length)) > 3 && !(await visible('accountId')));
  await page.selectOption('#wps3-provider', 'custom');
  await page.waitForTimeout(300);
  check('custom: endpoint shown, no account id', (await visible('endpoint')) && !(await visible('accountId')));

  // Without its script the page says so instead of showing a dead form.
  const bare = await context.newPage();
  await bare.route('**/www/admin/settings.js*', (r) => r.abort());
  await bare.goto(PAGE);
  check('JS missing: the page explains instead of a dead form', await bare.isVisible('.wps3-js-required'));
  await shot(bare, '10-no-javascript');
} catch (e) {
  failed++;
  console.error(`admin-page: FAIL ${e.stack || e}`);
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log(`admin-page: ${passed} passed, ${failed} failed (screenshots in ${out})`);
process.exit(failed ? 1 : 0);
