// Logs a Playwright page into WordPress and returns once the session cookie is set: the next
// page.goto() is then authenticated. Waiting for "a navigation" after the click could resolve
// before wp-login.php's answer arrived, and a goto then landed on the login form.

/**
 * @param {import('playwright-core').Page} page
 * @param {string} siteUrl
 * @param {string} user
 * @param {string} password
 */
export async function logIn(page, siteUrl, user, password) {
  await page.goto(`${siteUrl}/wp-login.php`);
  await page.fill('#user_login', user);
  await page.fill('#user_pass', password);
  await page.click('#wp-submit');
  // Every logged-in wp-admin screen has the toolbar; a failed login shows #login_error instead.
  const landed = await page.waitForSelector('#wpadminbar, #login_error', { timeout: 60_000 });
  if ((await landed.getAttribute('id')) === 'login_error') {
    throw new Error(`login as ${user} failed: ${(await landed.innerText()).trim().slice(0, 200)}`);
  }
}
