/*
 * admin_console.mjs - the admin console's screens in a real headless
 * Chromium (issue 21 item 6): an admin finds a professional by email
 * (typing and pressing Enter, opening the result from the keyboard),
 * suspends the account with a reason, sees the change in its history and
 * in the audit log, adds a reviewer on the staff screen, reads the
 * statistics and the ledger (with its export form), and enrols a second
 * factor (the QR code drawn, a first code computed here as RFC 6238 says,
 * the recovery codes shown). Every screen is checked for horizontal
 * scrolling at 1280 px and again at 390 px wide (a phone).
 *
 * Fails on any JavaScript or console error. Prints the paths of the
 * screenshots it keeps under tests/artifacts/.
 *
 * Run by tests/integration/test_admin_browser.py with, in the environment:
 * HCPD_URL, ADMIN_EMAIL, ADMIN_PASSWORD, PRO_EMAIL, PRO_ID, ARTIFACTS.
 */
import { chromium } from 'playwright-core';
import crypto from 'node:crypto';
import path from 'node:path';
import assert from 'node:assert/strict';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const base = env('HCPD_URL');
const artifacts = env('ARTIFACTS');
const proEmail = env('PRO_EMAIL');
const proId = env('PRO_ID');
const problems = [];

async function noHorizontalScroll(page, where) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `${where}: page is ${scroll}px wide in a ${width}px window`);
}

async function shot(page, name) {
  const file = path.join(artifacts, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${path.relative(process.cwd(), file)}`);
}

/* RFC 6238 TOTP (SHA-1, 30 s, 6 digits) of a base32 secret. */
function totp(secretB32, offset = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretB32) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + offset));
  const mac = crypto.createHmac('sha1', key).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

async function screen(page, name) {
  await page.click(`#nav button[data-view="${name}"]`);
  await page.waitForSelector(`#${name}`, { state: 'visible' });
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => problems.push(`JavaScript error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });

  await page.goto(`${base}/admin/`);
  await page.fill('#signin-email', env('ADMIN_EMAIL'));
  await page.fill('#signin-password', env('ADMIN_PASSWORD'));
  await page.keyboard.press('Enter');
  await page.waitForSelector('#queue-view', { state: 'visible' });
  assert.ok(await page.isVisible('#nav'));

  /* find the professional by email, from the keyboard */
  await screen(page, 'accounts-view');
  await page.focus('#s-email');
  await page.keyboard.type(proEmail.toUpperCase());
  await page.keyboard.press('Enter');
  const row = page.locator('#accounts-body tr', { hasText: proId.slice(0, 8) });
  await row.waitFor();
  assert.equal(await page.locator('#accounts-body tr').count(), 1);
  assert.doesNotMatch(await row.innerText(), /@/, 'no email unless asked for');
  await noHorizontalScroll(page, 'search');
  await shot(page, 'admin-console-search.png');
  await row.locator('button', { hasText: 'Open' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#account-id:has-text("${proId}")`);
  assert.match(await page.innerText('#account-profile'), new RegExp(proEmail.replace('.', '\\.')));

  /* suspend it with a reason */
  await page.selectOption('#action-name', 'suspend');
  await page.fill('#action-reason', 'Licence reported stolen; suspended while we check.');
  await page.click('#action-form button[type=submit]');
  await page.waitForSelector('#message:has-text("now suspended")');
  await page.waitForSelector('#account-summary:has-text("Status suspended")');
  assert.match(await page.innerText('#account-history'), /suspend/);
  assert.match(await page.innerText('#account-history'), /Licence reported stolen/);
  await noHorizontalScroll(page, 'account');
  await shot(page, 'admin-console-account.png');

  /* the staff screen: add a reviewer */
  await screen(page, 'staff-view');
  assert.match(await page.innerText('#staff-body'), new RegExp(env('ADMIN_EMAIL').replace('.', '\\.')));
  const reviewer = `reviewer.${Date.now()}@example.org`;
  await page.fill('#staff-email', reviewer);
  await page.selectOption('#staff-role', 'reviewer');
  await page.fill('#staff-password', 'correct horse battery staple reviewer');
  await page.click('#staff-form button[type=submit]');
  await page.waitForSelector(`#staff-body:has-text("${reviewer}")`);
  await noHorizontalScroll(page, 'staff');
  await shot(page, 'admin-console-staff.png');

  /* the audit log shows the action, the statistics and the ledger load */
  await screen(page, 'audit-view');
  await page.fill('#audit-action', 'account.action');
  await page.click('#audit-form button[type=submit]');
  await page.waitForSelector('#audit-body tr:has-text("account.action")');
  assert.match(await page.innerText('#audit-body'), /suspend/);
  await noHorizontalScroll(page, 'audit');
  await shot(page, 'admin-console-audit.png');
  await screen(page, 'stats-view');
  await page.waitForSelector('#stats-note:has-text("fewer than")');
  await noHorizontalScroll(page, 'statistics');
  await screen(page, 'ledger-view');
  assert.ok(await page.isVisible('#export-form'));
  await noHorizontalScroll(page, 'ledger');
  await shot(page, 'admin-console-ledger.png');

  /* at 390 px: every screen still fits */
  await page.setViewportSize({ width: 390, height: 844 });
  for (const name of ['ledger-view', 'stats-view', 'audit-view', 'staff-view']) {
    await screen(page, name);
    await noHorizontalScroll(page, `${name} at 390 px`);
  }
  await screen(page, 'accounts-view');
  await page.fill('#s-email', proEmail);
  await page.click('#search-form button[type=submit]');
  await row.waitFor();
  await noHorizontalScroll(page, 'search at 390 px');
  await row.locator('button', { hasText: 'Open' }).click();
  await page.waitForSelector(`#account-id:has-text("${proId}")`);
  await noHorizontalScroll(page, 'account at 390 px');
  await shot(page, 'admin-console-account-390.png');
  await page.setViewportSize({ width: 1280, height: 800 });

  /* two-factor enrolment: the QR code, a first code, recovery codes */
  await screen(page, 'totp-view');
  await page.click('#totp-begin');
  await page.waitForSelector('#totp-qr svg path');
  const secret = (await page.innerText('#totp-secret')).trim();
  assert.match(await page.innerText('#totp-uri'), /^otpauth:\/\/totp\//);
  await page.fill('#totp-code', totp(secret));
  await page.click('#totp-form button[type=submit]');
  await page.waitForSelector('#totp-done', { state: 'visible' });
  assert.equal(await page.locator('#totp-recovery li').count(), 10);
  await noHorizontalScroll(page, 'two-factor');
  await shot(page, 'admin-console-totp.png');
  console.log(`totp-secret: ${secret}`);
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
}
if (problems.length) {
  console.error(problems.join('\n'));
  failed = true;
}
process.exit(failed ? 1 : 0);
