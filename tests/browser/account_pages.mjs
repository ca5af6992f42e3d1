/*
 * account_pages.mjs - hcpd's account pages in a real headless Chromium,
 * opened from links read out of real mail (issue 20 item 2). Two steps,
 * run one after the other by tests/integration/test_account_pages.py,
 * which reads the mail in between:
 *
 *   STEP=confirm  opens CONFIRM_LINK: the token leaves the address bar at
 *                 once, "Confirm my address" confirms it, the same link
 *                 again says it does not work any more; then the reset
 *                 page without a token asks for a reset link for EMAIL.
 *   STEP=reset    opens RESET_LINK: two different passwords and a weak
 *                 one are refused with the reason, NEW_PASSWORD is set.
 *
 * Fails on any JavaScript or console error but the exact "Failed to load
 * resource" lines of the HTTP errors it provokes on purpose, on a request
 * that fails, and on any request whose URL holds the token (the fragment
 * never leaves the browser). Prints the paths of the screenshots it keeps
 * under ARTIFACTS.
 */
import { chromium } from 'playwright-core';
import path from 'node:path';
import assert from 'node:assert/strict';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const base = env('HCPD_URL');
const artifacts = env('ARTIFACTS');
const step = env('STEP');

const problems = [];
const expected = [];
const tokens = [];

function onConsole(msg) {
  if (msg.type() !== 'error') return;
  const m = /^Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text());
  const i = m ? expected.indexOf(Number(m[1])) : -1;
  if (i >= 0) { expected.splice(i, 1); return; }
  problems.push(`console error: ${msg.text()}`);
}

function tokenOf(link) {
  return new URL(link).hash.replace(/^#token=/, '');
}

async function shot(page, name) {
  const file = path.join(artifacts, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${path.relative(process.cwd(), file)}`);
}

/* Opens a page of a link and checks what every account page must be. */
async function open(page, link) {
  await page.goto('about:blank'); /* else the same page again is a fragment-only move */
  const resp = await page.goto(link);
  assert.equal(resp.status(), 200);
  const h = resp.headers();
  assert.match(h['content-security-policy'], /default-src 'none'; script-src 'self'/);
  assert.equal(h['referrer-policy'], 'no-referrer');
  await page.waitForFunction(() => window.location.hash === '');
  assert.ok(!page.url().includes('#'), 'the token left the address bar');
}

async function confirmStep(page) {
  const link = env('CONFIRM_LINK');
  tokens.push(tokenOf(link));
  await open(page, link);
  await page.click('#confirm-form button[type=submit]');
  await page.waitForSelector('#message.ok:has-text("is confirmed")');
  assert.ok(await page.isHidden('#confirm-form'));
  await shot(page, 'account-confirm-email.png');

  /* the same link again: it worked once */
  await open(page, link);
  expected.push(400);
  await page.click('#confirm-form button[type=submit]');
  await page.waitForSelector('#message:has-text("does not work any more")');

  /* no token: the reset page asks for a link */
  await open(page, `${base}/account/reset-password`);
  assert.ok(await page.isHidden('#reset-form'));
  await page.fill('#request-email', env('EMAIL'));
  await page.click('#request-form button[type=submit]');
  await page.waitForSelector('#message.ok:has-text("a mail with a link is on its way")');
  await shot(page, 'account-reset-request.png');
}

async function resetStep(page) {
  const link = env('RESET_LINK');
  tokens.push(tokenOf(link));
  await open(page, link);
  assert.ok(await page.isHidden('#request-form'));
  await page.fill('#reset-password', 'a long passphrase that differs');
  await page.fill('#reset-again', 'a long passphrase that differs not');
  await page.click('#reset-form button[type=submit]');
  await page.waitForSelector('#message:has-text("The two passwords differ")');
  /* the policy's reason comes from the API */
  expected.push(422);
  await page.fill('#reset-password', 'password password');
  await page.fill('#reset-again', 'password password');
  await page.click('#reset-form button[type=submit]');
  await page.waitForSelector('#message:has-text("too easy to guess")');
  await page.fill('#reset-password', env('NEW_PASSWORD'));
  await page.fill('#reset-again', env('NEW_PASSWORD'));
  await page.click('#reset-form button[type=submit]');
  await page.waitForSelector('#message.ok:has-text("Your new password is set")');
  await shot(page, 'account-reset-password.png');
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => problems.push(`JavaScript error: ${e.message}`));
  page.on('console', onConsole);
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('request', (r) => {
    for (const t of tokens) {
      if (r.url().includes(t)) problems.push(`a request's URL holds the token: ${r.method()}`);
    }
  });
  if (step === 'confirm') await confirmStep(page);
  else if (step === 'reset') await resetStep(page);
  else throw new Error(`unknown STEP ${step}`);
  assert.deepEqual(expected, [], 'every provoked HTTP error was seen');
  assert.deepEqual(await context.cookies(), []);
} catch (e) {
  failed = true;
  console.error(`FAILED: ${e.stack || e}`);
} finally {
  await browser.close();
}
for (const p of problems) console.error(p);
process.exit(failed || problems.length > 0 ? 1 : 0);
