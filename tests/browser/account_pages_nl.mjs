/*
 * account_pages_nl.mjs - hcpd's account pages for a Dutch-reading browser
 * (issue 24): Chromium with locale nl-BE sends Accept-Language nl-BE; the
 * reset page (no token: it asks for a link) must show its title, heading,
 * label and button in Dutch, say lang="nl", and answer the request in
 * Dutch. Fails on any JavaScript or console error or failed request.
 * Prints the path of the screenshot it keeps under ARTIFACTS.
 */
import { chromium } from 'playwright-core';
import path from 'node:path';
import assert from 'node:assert/strict';

const base = process.env.HCPD_URL;
const artifacts = process.env.ARTIFACTS;
const problems = [];

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    locale: 'nl-BE',
  });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  const resp = await page.goto(`${base}/account/reset-password`);
  assert.equal(resp.status(), 200);
  await page.waitForSelector('html[lang="nl"]');
  assert.equal(await page.textContent('h1'), 'Herstel uw wachtwoord');
  assert.equal(await page.title(), 'Herstel uw wachtwoord');
  assert.equal(await page.textContent('#request-form button'), 'Stuur me een link');
  assert.equal(await page.textContent('#request-form label span'), 'E-mailadres');
  await page.fill('#request-email', 'nobody.nl@example.org');
  await page.click('#request-form button[type=submit]');
  await page.waitForSelector('#message.ok:has-text("onderweg")');
  const file = path.join(artifacts, 'account-reset-request-nl.png');
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${path.relative(process.cwd(), file)}`);
} finally {
  await browser.close();
}
assert.deepEqual(problems, []);
