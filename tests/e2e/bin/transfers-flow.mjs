#!/usr/bin/env node
// Direct browser transfers end to end: real WordPress, the harness's ministack (CORS set to the
// site's origin only), headless Chromium. Every check prints PASS/FAIL; the exit code is 1 if
// any failed.
//
//   WPS3_E2E_DIR=/tmp/wps3e.XXXX node tests/e2e/bin/transfers-flow.mjs [--skip-large]
//
// 1. member A uploads a PDF and an image from the "My files" page, lists them, downloads the PDF
//    (bytes match, Content-Disposition carries the Unicode name, no-store / no-referrer, 302 mode)
// 2. member B cannot confirm A's key, download or delete A's file, sign parts of or complete A's
//    multipart upload (the same 404 for A's id and a missing id)
// 3. oversized, wrong type and a key outside the prefix: refused by the server (nothing recorded)
//    and by storage's own policy check, for POST policies and for presigned PUT
// 4. an expired policy is refused by storage
// 5. the R2 shape (presigned PUT) end to end, with the upload mode forced to PUT
// 6. 300 MiB multipart with progress; a reload mid-upload resumes; cancel leaves no upload behind
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { putCors, listMultipartUploads } from '../../support/storage.mjs';
import { logIn } from '../../support/wp-login.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = process.env.WPS3_E2E_DIR;
if (!dir) throw new Error('set WPS3_E2E_DIR');
const env = JSON.parse(fs.readFileSync(path.join(dir, 'env.json'), 'utf8'));
const skipLarge = process.argv.includes('--skip-large');
const MiB = 1024 * 1024;

let failures = 0;
const check = (ok, what, detail = '') => {
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}${ok || !detail ? '' : ` — ${detail}`}`);
  if (!ok) failures++;
  return ok;
};

// Runs PHP inside the test site (tests/e2e/bin/wp.php eval) and returns its JSON output.
function wp(code) {
  const out = execFileSync('php', [path.join(ROOT, 'tests/e2e/bin/wp.php'), 'eval', code], {
    env: { ...process.env, WPS3_E2E_DIR: dir },
    encoding: 'utf8',
  });
  const last = out.trim().split('\n').pop();
  return JSON.parse(last);
}
// Direct uploads are the integration page's switch (off by default); the flow turns it on through the
// filter. The option is removed at the end: the uninstall check must find no wps3_* option left.
const setFilters = (filters) => wp(`update_option('wps3_e2e_filters', json_decode(${JSON.stringify(JSON.stringify({ wps3_direct_uploads_enabled: true, ...filters }))}, true)); echo '{}';`);
const clearFilters = () => wp(`delete_option('wps3_e2e_filters'); echo '{}';`);
const counts = () => wp(`global $wpdb; $t = WPS3\\Transfers\\Schema::tables(); echo wp_json_encode(array('intents' => (int) $wpdb->get_var("SELECT COUNT(*) FROM {$t['intents']}"), 'files' => (int) $wpdb->get_var("SELECT COUNT(*) FROM {$t['files']}")));`);

const storage = {
  endpoint: env.S3_ENDPOINT, region: env.S3_REGION, bucket: env.S3_BUCKET,
  accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY,
};

// ---- site setup: two members, a "My files" page, CORS for this origin only ----
const pw = () => crypto.randomBytes(12).toString('base64url');
const members = { a: { user: `member_a_${Date.now()}`, pass: pw() }, b: { user: `member_b_${Date.now()}`, pass: pw() } };
const made = wp(`
  $out = array();
  foreach (json_decode(${JSON.stringify(JSON.stringify(members))}, true) as $k => $m) {
    $id = wp_insert_user(array('user_login' => $m['user'], 'user_pass' => $m['pass'], 'user_email' => $m['user'] . '@example.test', 'role' => 'subscriber'));
    if (is_wp_error($id)) { echo wp_json_encode(array('error' => $id->get_error_message())); return; }
    $out[$k] = $id;
  }
  $page = wp_insert_post(array('post_type' => 'page', 'post_status' => 'publish', 'post_title' => 'My files (e2e)', 'post_content' => '[wps3_files]'));
  $out['page'] = get_permalink($page);
  echo wp_json_encode($out);`);
if (made.error) throw new Error(made.error);
members.a.id = made.a;
members.b.id = made.b;
await putCors(storage, storage.bucket, [{
  AllowedOrigins: [env.SITE_URL], AllowedMethods: ['GET', 'PUT', 'POST', 'HEAD'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 60,
}]);
setFilters({});

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wps3-chromium-'));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

async function login(member) {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await logIn(page, env.SITE_URL, member.user, member.pass);
  await page.goto(made.page);
  await page.waitForSelector('[data-wps3="list"] tbody tr');
  const nonce = await page.evaluate(() => window.wps3Transfers.nonce);
  // REST calls as this member, through the browser's own cookies.
  const rest = async (route, { method = 'GET', body, redirect = 'follow' } = {}) => page.evaluate(async ({ root, route, method, body, nonce, redirect }) => {
    const res = await fetch(root + route, {
      method, redirect, credentials: 'same-origin',
      headers: { 'X-WP-Nonce': nonce, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch {}
    return { status: res.status, json, text, headers: Object.fromEntries(res.headers.entries()) };
  }, { root: await page.evaluate(() => window.wps3Transfers.root), route, method, body, nonce, redirect });
  return { context, page, nonce, rest };
}

async function uploadInPage(page, file) {
  await page.setInputFiles('[data-wps3="file"]', file);
  await page.click('[data-wps3="upload"]');
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-wps3="status"]');
    return s && (s.dataset.kind === 'success' || s.dataset.kind === 'error');
  }, null, { timeout: 120_000 });
  return page.evaluate(() => {
    const s = document.querySelector('[data-wps3="status"]');
    return { kind: s.dataset.kind, text: s.textContent };
  });
}

// POSTs a form (or PUTs a body) to storage from Node, as a script that ignores the browser would.
async function toStorage(plan, { bytes, fields, headers }) {
  if (plan.method === 'POST') {
    const form = new FormData();
    for (const [k, v] of fields ?? plan.fields) form.append(k, v);
    form.append('file', new Blob([bytes]), 'x');
    const res = await fetch(plan.url, { method: 'POST', body: form });
    return { status: res.status, body: await res.text() };
  }
  const res = await fetch(plan.url, { method: 'PUT', body: bytes, headers: Object.fromEntries(headers ?? plan.headers) });
  return { status: res.status, body: await res.text() };
}

try {
  // ------------------------------------------------------------------ 1 --
  const a = await login(members.a);
  const issued = [];
  a.page.on('response', async (res) => {
    if (res.url().includes('/wps3/v1/upload-url') && res.ok()) issued.push(await res.json().catch(() => null));
  });
  const pdfName = 'Vertrag für Müller (2024) ½.pdf';
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n% e2e\n'), crypto.randomBytes(40_000), Buffer.from('\n%%EOF\n')]);
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), crypto.randomBytes(20_000)]);
  let r = await uploadInPage(a.page, { name: pdfName, mimeType: 'application/pdf', buffer: pdf });
  check(r.kind === 'success', 'member A uploads a PDF from the My files page', r.text);
  check(issued[0]?.shape === 'post' && issued[0]?.key?.startsWith(`uploads/${members.a.id}/`), 'the upload used a POST policy under the member\'s prefix', JSON.stringify(issued[0]?.shape));
  check(!JSON.stringify(issued[0] ?? {}).includes(env.S3_SECRET_ACCESS_KEY), 'the upload answer carries no secret');
  r = await uploadInPage(a.page, { name: 'Foto 😀.png', mimeType: 'image/png', buffer: png });
  check(r.kind === 'success', 'member A uploads an image', r.text);
  const listed = await a.rest('files');
  const names = (listed.json?.files ?? []).map((f) => f.filename);
  check(names.includes(pdfName) && names.includes('Foto 😀.png') && names.length === 2, 'the list holds both files', JSON.stringify(names));
  const rows = await a.page.locator('[data-wps3="list"] tbody tr').count();
  check(rows === 2, 'the page lists both files', String(rows));
  const pdfId = listed.json.files.find((f) => f.filename === pdfName).id;

  const [download] = await Promise.all([
    a.page.waitForEvent('download', { timeout: 30_000 }),
    a.page.click(`[data-wps3="download"][data-id="${pdfId}"]`),
  ]);
  const saved = await download.path();
  check(download.suggestedFilename() === pdfName, 'the browser saves the download under the Unicode name', download.suggestedFilename());
  check(saved && fs.readFileSync(saved).equals(pdf), 'the downloaded bytes match the upload');

  const link = await a.rest(`download-url?file_id=${pdfId}`);
  check(link.status === 200 && link.headers['cache-control'] === 'no-store' && link.headers['referrer-policy'] === 'no-referrer', 'download-url answers with Cache-Control: no-store and Referrer-Policy: no-referrer', JSON.stringify(link.headers));
  const got = await fetch(link.json.url);
  const cd = got.headers.get('content-disposition') ?? '';
  check(got.ok && Buffer.from(await got.arrayBuffer()).equals(pdf), 'the presigned GET returns the bytes');
  const star = /filename\*=UTF-8''([^;\s]+)/.exec(cd)?.[1];
  check(cd.startsWith('attachment;') && star && decodeURIComponent(star) === pdfName && /filename="[ -~]+"/.test(cd), 'Content-Disposition has an ASCII fallback and the UTF-8 name', cd);
  const redirect = await a.context.request.get(`${env.SITE_URL}/wp-json/wps3/v1/download-url?file_id=${pdfId}&redirect=1`, { headers: { 'X-WP-Nonce': a.nonce }, maxRedirects: 0 });
  check(redirect.status() === 302 && redirect.headers().location?.startsWith(env.S3_ENDPOINT) && redirect.headers()['cache-control'] === 'no-store' && redirect.headers()['referrer-policy'] === 'no-referrer', 'redirect=1 answers 302 to storage with no-store and no-referrer', `${redirect.status()} ${JSON.stringify(redirect.headers())}`);

  // The wp_rest nonce is required next to the login cookie.
  const noNonce = await a.context.request.get(`${env.SITE_URL}/wp-json/wps3/v1/files`);
  check(noNonce.status() === 401, 'the login cookie without the wp_rest nonce is not enough (401)', `${noNonce.status()} ${await noNonce.text()}`);
  const badNonce = await a.context.request.post(`${env.SITE_URL}/wp-json/wps3/v1/upload-url`, { headers: { 'X-WP-Nonce': 'deadbeef00' }, data: { filename: 'a.pdf', mime_type: 'application/pdf', file_size: 10 } });
  check(badNonce.status() === 403 && (await badNonce.json()).code === 'rest_cookie_invalid_nonce', 'a wrong wp_rest nonce is refused (403)', String(badNonce.status()));

  // ------------------------------------------------------------------ 2 --
  const b = await login(members.b);
  const aKey = issued[0].key;
  r = await b.rest('confirm-upload', { method: 'POST', body: { key: aKey, filename: 'x.pdf' } });
  check(r.status === 403 && r.json?.code === 'wps3_not_yours', "member B cannot confirm A's key (403)", r.text);
  r = await b.rest('confirm-upload', { method: 'POST', body: { key: `uploads/${members.b.id}/0000000000000000_never.pdf` } });
  const neverIssued = r;
  check(r.status === 403 && r.json?.code === 'wps3_not_yours', 'a key never issued gets the same 403', r.text);
  r = await b.rest(`download-url?file_id=${pdfId}`);
  const missing = await b.rest('download-url?file_id=99999999');
  check(r.status === 404 && missing.status === 404 && r.text === missing.text, "member B gets the same 404 for A's file id and a missing id", `${r.status} ${r.text} / ${missing.status} ${missing.text}`);
  r = await b.rest(`files/${pdfId}`, { method: 'DELETE' });
  check(r.status === 404, "member B cannot delete A's file", r.text);
  r = await b.rest('files');
  check(r.status === 200 && r.json.files.length === 0, "member B's list does not show A's files", r.text);
  void neverIssued;

  // ------------------------------------------------------------------ 3 --
  setFilters({ wps3_direct_uploads_enabled: false });
  r = await a.rest('upload-url', { method: 'POST', body: { filename: 'a.pdf', mime_type: 'application/pdf', file_size: 10 } });
  check(r.status === 403 && r.json?.code === 'wps3_uploads_disabled', 'with direct uploads turned off on the integration page, upload-url refuses (403)', r.text);
  setFilters({ wps3_upload_max_size: 64 * 1024 });
  const before = counts();
  r = await a.rest('upload-url', { method: 'POST', body: { filename: 'big.pdf', mime_type: 'application/pdf', file_size: 64 * 1024 + 1 } });
  check(r.status === 413 && r.json?.data?.errors?.[0]?.field === 'file_size', 'the server refuses an oversized file (413, field file_size)', r.text);
  r = await a.rest('upload-url', { method: 'POST', body: { filename: 'page.html', mime_type: 'text/html', file_size: 10 } });
  check(r.status === 415 && r.json?.data?.errors?.[0]?.field === 'mime_type', 'the server refuses a type not on the list (415)', r.text);
  check(JSON.stringify(counts()) === JSON.stringify(before), 'refused requests record nothing', JSON.stringify(counts()));

  for (const mode of ['post', 'put']) {
    setFilters({ wps3_upload_max_size: 64 * 1024, wps3_upload_mode: mode === 'put' ? 'put' : 'auto' });
    const small = crypto.randomBytes(1000);
    const plan = (await a.rest('upload-url', { method: 'POST', body: { filename: 'small.pdf', mime_type: 'application/pdf', file_size: 1000 } })).json;
    check(plan?.shape === mode, `upload-url issues the ${mode.toUpperCase()} shape`, JSON.stringify(plan?.shape));
    const oversized = crypto.randomBytes(64 * 1024 + 1);
    let s;
    if (mode === 'post') {
      s = await toStorage(plan, { bytes: oversized });
      check(s.status >= 400 && s.status < 500, 'storage refuses a POST larger than the policy\'s range', `${s.status} ${s.body.slice(0, 200)}`);
      s = await toStorage(plan, { bytes: small, fields: plan.fields.map(([k, v]) => [k, k === 'Content-Type' ? 'text/html' : v]) });
      check(s.status === 403, 'storage refuses a POST with another Content-Type', `${s.status} ${s.body.slice(0, 200)}`);
      s = await toStorage(plan, { bytes: small, fields: plan.fields.map(([k, v]) => [k, k === 'key' ? `uploads/${members.b.id}/0000000000000000_x.pdf` : v]) });
      check(s.status === 403, 'storage refuses a POST to a key outside the policy', `${s.status} ${s.body.slice(0, 200)}`);
    } else {
      s = await toStorage(plan, { bytes: crypto.randomBytes(1001) });
      check(s.status === 403, 'storage refuses a PUT of another length', `${s.status} ${s.body.slice(0, 200)}`);
      s = await toStorage(plan, { bytes: small, headers: [['Content-Type', 'text/html']] });
      check(s.status === 403, 'storage refuses a PUT with another Content-Type', `${s.status} ${s.body.slice(0, 200)}`);
      const other = plan.url.replace(encodeURIComponent(plan.key).replace(/%2F/g, '/'), `uploads/${members.b.id}/0000000000000000_x.pdf`);
      s = await toStorage({ ...plan, url: other }, { bytes: small });
      check(s.status === 403, 'storage refuses a PUT to a key outside the signature', `${s.status} ${s.body.slice(0, 200)}`);
    }
    r = await a.rest('confirm-upload', { method: 'POST', body: { key: plan.key } });
    check(r.status === 409 && r.json?.code === 'wps3_not_uploaded', `after the refused ${mode.toUpperCase()}s confirm finds nothing (409)`, r.text);
  }
  const afterRefusals = counts();
  check(afterRefusals.files === before.files, 'no file was recorded for refused uploads', JSON.stringify(afterRefusals));

  // ------------------------------------------------------------------ 4 --
  setFilters({ wps3_upload_expires: 2 });
  {
    const plan = (await a.rest('upload-url', { method: 'POST', body: { filename: 'late.pdf', mime_type: 'application/pdf', file_size: 100 } })).json;
    await new Promise((res) => setTimeout(res, 3500));
    const s = await toStorage(plan, { bytes: crypto.randomBytes(100) });
    check(s.status === 403, 'storage refuses a POST policy past its expiry', `${s.status} ${s.body.slice(0, 200)}`);
  }

  // ------------------------------------------------------------------ 5 --
  setFilters({ wps3_upload_mode: 'put' });
  issued.length = 0;
  const jpg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(30_000)]);
  r = await uploadInPage(a.page, { name: 'r2 shape.jpg', mimeType: 'image/jpeg', buffer: jpg });
  check(r.kind === 'success' && issued[0]?.shape === 'put' && issued[0]?.method === 'PUT', 'with PUT forced (the R2 shape) the browser uploads with a presigned PUT', `${r.text} ${issued[0]?.shape}`);
  const putFile = (await a.rest('files')).json.files.find((f) => f.filename === 'r2 shape.jpg');
  const putLink = putFile && (await a.rest(`download-url?file_id=${putFile.id}`)).json;
  const putBytes = putLink && Buffer.from(await (await fetch(putLink.url)).arrayBuffer());
  check(putBytes?.equals(jpg), 'the PUT upload downloads byte for byte');
  setFilters({});

  // ------------------------------------------------------------------ 6 --
  if (!skipLarge) {
    setFilters({ wps3_upload_max_size: 1024 * MiB, wps3_transfers_rate_limit: 600 });
    const bigPath = path.join(dir, 'big-upload.pdf');
    {
      const fd = fs.openSync(bigPath, 'w');
      const chunk = crypto.randomBytes(MiB);
      for (let i = 0; i < 300; i++) {
        chunk.writeUInt32LE(i, 0);
        fs.writeSync(fd, chunk);
      }
      fs.closeSync(fd);
    }
    // B cannot touch A's open multipart upload.
    const open = (await a.rest('upload-url', { method: 'POST', body: { filename: 'probe.pdf', mime_type: 'application/pdf', file_size: 300 * MiB } })).json;
    check(open?.shape === 'multipart' && typeof open.uploadId === 'string', '300 MiB goes multipart', JSON.stringify(open));
    for (const route of ['multipart/sign-part', 'multipart/complete', 'multipart/list-parts', 'multipart/abort']) {
      r = await b.rest(route, { method: 'POST', body: { upload_id: open.uploadId, part_numbers: [1] } });
      check(r.status === 403 && r.json?.code === 'wps3_not_yours', `member B cannot use ${route} on A's upload (403)`, r.text);
    }
    r = await b.rest('confirm-upload', { method: 'POST', body: { upload_id: open.uploadId } });
    check(r.status === 403, "member B cannot confirm A's multipart upload", r.text);
    r = await a.rest('multipart/abort', { method: 'POST', body: { upload_id: open.uploadId } });
    check(r.status === 200, 'member A aborts the probe upload', r.text);

    // Upload with progress; reload at about a third; pick the same file again: it resumes.
    issued.length = 0;
    const progress = [];
    await a.page.exposeFunction('wps3Progress', (v) => progress.push(v)).catch(() => {});
    const watch = () => a.page.evaluate(() => {
      const bar = document.querySelector('[data-wps3="progress"]');
      new MutationObserver(() => window.wps3Progress(Number(bar.dataset.sent || 0))).observe(bar, { attributes: true });
    });
    await watch();
    await a.page.setInputFiles('[data-wps3="file"]', bigPath);
    await a.page.click('[data-wps3="upload"]');
    await a.page.waitForFunction(() => Number(document.querySelector('[data-wps3="progress"]').value) >= 30, null, { timeout: 300_000 });
    check(progress.some((v) => v > 0 && v < 300 * MiB), 'progress is reported while the parts go up', `${progress.length} reports`);
    const firstId = issued[0]?.uploadId;
    await a.page.reload();
    await a.page.waitForSelector('[data-wps3="list"] tbody tr');
    const resumedRequests = [];
    const partsSent = new Set();
    a.page.on('request', (req) => {
      if (req.url().includes('/wps3/v1/upload-url')) resumedRequests.push(req.postDataJSON());
      const part = req.method() === 'PUT' && req.url().startsWith(env.S3_ENDPOINT) && /[?&]partNumber=(\d+)/.exec(req.url());
      if (part) partsSent.add(Number(part[1]));
    });
    progress.length = 0;
    await watch();
    const t0 = Date.now();
    r = await uploadInPage(a.page, bigPath);
    check(r.kind === 'success', 'the reloaded page finishes the 300 MiB upload', r.text);
    check(resumedRequests[0]?.resume_upload_id === firstId && firstId, 'after the reload the same multipart upload is resumed', JSON.stringify(resumedRequests[0]));
    check(partsSent.size > 0 && partsSent.size < 19, 'the resumed upload sends only the parts not stored yet', `${partsSent.size} of 19 parts sent after the reload`);
    check(progress.some((v) => v >= 16 * MiB) && progress.filter((v) => v > 0)[0] >= 16 * MiB, 'its progress starts from the bytes already stored', String(progress.filter((v) => v > 0)[0]));
    console.log(`      (resumed part took ${Math.round((Date.now() - t0) / 1000)} s)`);
    const bigFile = (await a.rest('files')).json.files.find((f) => f.filename === 'big-upload.pdf');
    check(bigFile?.size === 300 * MiB, 'the 300 MiB file is recorded with its size', JSON.stringify(bigFile));
    check((await listMultipartUploads(storage, storage.bucket, `uploads/${members.a.id}/`)).length === 0, 'no multipart upload is left open after completion');

    // Cancel: nothing stays behind on storage.
    const copy = path.join(dir, 'big-cancel.pdf');
    fs.copyFileSync(bigPath, copy);
    await a.page.setInputFiles('[data-wps3="file"]', copy);
    await a.page.click('[data-wps3="upload"]');
    await a.page.waitForFunction(() => Number(document.querySelector('[data-wps3="progress"]').value) >= 10, null, { timeout: 300_000 });
    await a.page.click('[data-wps3="cancel"]');
    await a.page.waitForFunction(() => /cancelled/.test(document.querySelector('[data-wps3="status"]').textContent), null, { timeout: 30_000 });
    await new Promise((res) => setTimeout(res, 1500));
    const left = await listMultipartUploads(storage, storage.bucket, `uploads/${members.a.id}/`);
    check(left.length === 0, 'cancel leaves no multipart upload on storage', JSON.stringify(left));
    fs.rmSync(bigPath, { force: true });
    fs.rmSync(copy, { force: true });
    setFilters({});
  }

  // Presigned URLs never reach a log.
  const logs = ['sc/sidecar.log', 'php-server.log', 'debug-wordpress.log'].map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f));
  const leaked = logs.filter((f) => /X-Amz-Signature=|x-amz-signature/.test(fs.readFileSync(f, 'utf8')));
  check(leaked.length === 0, 'no presigned URL or signature in the sidecar, web server or WordPress logs', leaked.join(', '));
} catch (e) {
  check(false, 'transfers flow ran to the end', e.stack ?? String(e));
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
  try { clearFilters(); } catch {}
}
console.log(`transfers-flow: ${failures ? `${failures} check(s) failed` : 'all checks passed'}`);
process.exitCode = failures ? 1 : 0;
