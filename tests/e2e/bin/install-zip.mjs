#!/usr/bin/env node
// Installs the plugin zip the way a site owner does, in headless Chromium: log in, Plugins → Add New,
// "Upload Plugin", choose the zip, "Install Now", then "Activate Plugin", and check that the Plugins
// screen lists the plugin as active. Screenshots of each step go to $WPS3_E2E_DIR/zip-*.png.
//
//   WPS3_E2E_DIR=/tmp/wps3e.XXXX node tests/e2e/bin/install-zip.mjs dist/wps3-<version>.zip
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { logIn } from '../../support/wp-login.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const dir = process.env.WPS3_E2E_DIR;
const zip = process.argv[2];
if (!dir || !zip) throw new Error('usage: WPS3_E2E_DIR=… node install-zip.mjs ZIP');
if (!fs.existsSync(zip)) throw new Error(`${zip} not found`);
const env = JSON.parse(fs.readFileSync(path.join(dir, 'env.json'), 'utf8'));
const shot = (page, name) => page.screenshot({ path: path.join(dir, `zip-${name}.png`), fullPage: true });

// playwright's launch() gives Chromium a fresh temporary --user-data-dir of its own.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});
const t0 = Date.now();
let page;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  page = await context.newPage();
  await logIn(page, env.SITE_URL, env.ADMIN_USER, env.ADMIN_PASSWORD);

  // Plugins → Add New (the menu link), then the "Upload Plugin" toggle of that screen.
  await page.goto(`${env.SITE_URL}/wp-admin/plugins.php`);
  await Promise.all([page.waitForNavigation(), page.click('#menu-plugins a[href="plugin-install.php"]')]);
  await page.click('a.upload-view-toggle');
  await page.waitForSelector('form.wp-upload-form input#pluginzip', { state: 'visible' });
  await page.setInputFiles('input#pluginzip', zip);
  await shot(page, '1-upload');
  await Promise.all([page.waitForNavigation({ timeout: 120_000 }), page.click('#install-plugin-submit')]);
  const body = await page.locator('#wpbody-content').innerText();
  if (!/Plugin installed successfully/i.test(body)) {
    await shot(page, 'failed');
    throw new Error(`upload did not install the plugin:\n${body.slice(0, 1500)}`);
  }
  await shot(page, '2-installed');

  const activate = page.locator('#wpbody-content a.button-primary', { hasText: 'Activate Plugin' });
  await Promise.all([page.waitForNavigation(), activate.click()]);
  const row = page.locator('tr[data-plugin="wps3/wps3.php"]');
  if (!(await row.count()) || !(await row.getAttribute('class')).split(/\s+/).includes('active')) {
    await shot(page, 'failed');
    throw new Error(`wps3/wps3.php is not listed as active after "Activate Plugin" (${page.url()})`);
  }
  const notice = await page.locator('#message, .notice').first().innerText().catch(() => '');
  await shot(page, '3-active');
  console.log(`install-zip: ${path.basename(zip)} (${fs.statSync(zip).size} B) uploaded, installed and activated in ${Date.now() - t0} ms (${notice.trim().split('\n')[0]})`);
} catch (e) {
  console.error(`install-zip: FAIL ${e.stack || e}`);
  if (page) await shot(page, 'failed').catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
