/*
 * admin_review.mjs - the admin page in a real headless Chromium: a
 * professional is refused (403), an admin signs in, sees the flagged
 * registration, opens it (profile beside the evidence, no horizontal
 * scrolling at 1366x768), downloads the licence document the professional
 * uploaded (the same bytes), a stale decision gets the 412 message, the item
 * is approved with a reason and the queue no longer shows it. On another
 * item the admin asks for a document; the professional's upload (through
 * the API) puts it back to an admin, and the page shows the document as
 * the answer. The queue filtered by reason manual_check shows a
 * registration only a person can check, whose item names the register
 * with its search link (its href is checked, nothing external is opened)
 * and the instructions.
 *
 * Fails on any JavaScript error and any console error, except the exact
 * "Failed to load resource" lines of the HTTP errors this script provokes
 * on purpose (each allowed once, when it is expected). Prints the paths of
 * the screenshots it keeps under tests/artifacts/.
 *
 * Run by tests/integration/test_admin_browser.py with, in the environment:
 * HCPD_URL, ADMIN_EMAIL, ADMIN_PASSWORD, PRO_EMAIL, PRO_PASSWORD, ITEM_ID,
 * STALE_ITEM_ID, OTHER_ADMIN_TOKEN, MANUAL_ITEM_ID, MANUAL_REGISTER, MANUAL_LINK,
 * DOC_ID, DOC_SHA256 (the document on ITEM_ID), ASK_ITEM_ID, ASK_PRO_TOKEN (its
 * professional's), ARTIFACTS.
 */
import { chromium } from 'playwright-core';
import path from 'node:path';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const base = env('HCPD_URL');
const artifacts = env('ARTIFACTS');
const itemId = env('ITEM_ID');
const staleId = env('STALE_ITEM_ID');

const problems = [];  /* every JavaScript or console error not expected */
const expected = [];  /* HTTP statuses whose console line is allowed, once each */

function expectHttpError(status) { expected.push(status); }

function onConsole(msg) {
  if (msg.type() !== 'error') return;
  const m = /^Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text());
  const i = m ? expected.indexOf(Number(m[1])) : -1;
  if (i >= 0) { expected.splice(i, 1); return; }
  problems.push(`console error: ${msg.text()}`);
}

async function noHorizontalScroll(page, where) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `${where}: page is ${scroll}px wide in a ${width}px window`);
}

async function signIn(page, email, password) {
  await page.fill('#signin-email', email);
  await page.fill('#signin-password', password);
  await page.click('#signin-form button[type=submit]');
}

async function shot(page, name) {
  const file = path.join(artifacts, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${path.relative(process.cwd(), file)}`);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => problems.push(`JavaScript error: ${e.message}`));
  page.on('console', onConsole);
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));

  const resp = await page.goto(`${base}/admin/`);
  assert.equal(resp.status(), 200);
  assert.match(resp.headers()['content-security-policy'], /default-src 'none'/);

  /* a professional's token is refused with a clear message */
  expectHttpError(403);
  await signIn(page, env('PRO_EMAIL'), env('PRO_PASSWORD'));
  await page.waitForSelector('#message:has-text("not an admin")');
  assert.ok(await page.isVisible('#signin-view'));

  /* an admin sees the flagged registration in the queue */
  await signIn(page, env('ADMIN_EMAIL'), env('ADMIN_PASSWORD'));
  const row = page.locator(`tr[data-id="${itemId}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /mismatch/);
  assert.match(await row.innerText(), /family name differs/);
  await noHorizontalScroll(page, 'queue');

  /* opens it: the profile beside the evidence */
  await row.locator('button', { hasText: 'Open' }).click();
  await page.waitForSelector(`#detail-id:has-text("${itemId}")`);
  assert.match(await page.innerText('#profile'), /Aroha/);
  assert.match(await page.innerText('#evidence'), /NGUYEN/);
  const profileBox = await page.locator('#profile').boundingBox();
  const evidenceBox = await page.locator('#evidence').boundingBox();
  assert.ok(evidenceBox.x >= profileBox.x + profileBox.width, 'evidence is beside the profile');
  assert.ok(Math.abs(evidenceBox.y - profileBox.y) < 40, 'evidence and profile start level');
  await noHorizontalScroll(page, 'item');
  await shot(page, 'admin-review-item.png');

  /* the licence document: listed on the item, saved byte for byte */
  const docRow = page.locator(`tr[data-document="${env('DOC_ID')}"]`);
  assert.match(await docRow.innerText(), /application\/pdf/);
  const [saved] = await Promise.all([
    page.waitForEvent('download'),
    docRow.locator('button', { hasText: 'Download' }).click(),
  ]);
  assert.equal(saved.suggestedFilename(), `document-${env('DOC_ID')}.pdf`);
  const bytes = await readFile(await saved.path());
  assert.equal(createHash('sha256').update(bytes).digest('hex'), env('DOC_SHA256'));
  await page.waitForSelector('#message:has-text("audit log")');

  /* approves it with a reason; the queue no longer shows it */
  await page.check('input[name=decision][value=approve]');
  await page.fill('#decision-reason', 'Licence confirmed with the state board by phone.');
  await page.click('#decision-form button[type=submit]');
  await page.waitForSelector('#message:has-text("is now approved")');
  await page.waitForSelector('#queue-view', { state: 'visible' });
  assert.equal(await page.locator(`tr[data-id="${itemId}"]`).count(), 0);
  await noHorizontalScroll(page, 'queue after the decision');
  await shot(page, 'admin-review-queue.png');

  /* issue 19: the manual checks, found with the reason filter */
  const manualId = env('MANUAL_ITEM_ID');
  await page.selectOption('#filter-reason', 'manual_check');
  await page.click('#filter-form button[type=submit]');
  const manualRow = page.locator(`tr[data-id="${manualId}"]`);
  /* the unfiltered queue showed the manual item too: wait for the filter's
   * own page, which has no room for the stale item */
  await page.locator(`tr[data-id="${staleId}"]`).waitFor({ state: 'detached' });
  await manualRow.waitFor();
  assert.match(await manualRow.innerText(), /manual_check/);
  await manualRow.locator('button', { hasText: 'Open' }).click();
  await page.waitForSelector(`#detail-id:has-text("${manualId}")`);
  assert.ok(await page.isVisible('#manual-section'));
  const card = page.locator('.manual-check', { hasText: env('MANUAL_REGISTER') });
  assert.match(await card.innerText(), /Search by number/);
  const link = card.locator('a.register-link');
  assert.equal(await link.getAttribute('href'), env('MANUAL_LINK'));
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.match(await link.getAttribute('rel'), /noopener/);
  await noHorizontalScroll(page, 'manual item');
  await shot(page, 'admin-review-manual.png');
  await page.click('#back');
  await page.selectOption('#filter-reason', '');
  await page.click('#filter-form button[type=submit]');

  /* another admin decides an item while it is open here: 412, reloaded */
  await page.locator(`tr[data-id="${staleId}"] button`).click();
  await page.waitForSelector(`#detail-id:has-text("${staleId}")`);
  const other = { Authorization: `Bearer ${env('OTHER_ADMIN_TOKEN')}` };
  const read = await fetch(`${base}/v1/admin/reviews/${staleId}`, { headers: other });
  const decided = await fetch(`${base}/v1/admin/reviews/${staleId}/decision`, {
    method: 'POST',
    headers: { ...other, 'Content-Type': 'application/json', 'If-Match': read.headers.get('etag') },
    body: JSON.stringify({ decision: 'request_info', reason: 'Which board issued the licence?' }),
  });
  assert.equal(decided.status, 200);
  expectHttpError(412);
  await page.check('input[name=decision][value=reject]');
  await page.fill('#decision-reason', 'No such licence.');
  await page.click('#decision-form button[type=submit]');
  await page.waitForSelector('#message:has-text("Another admin changed this item")');
  await page.waitForSelector('#detail-summary:has-text("waiting for the professional")');

  /* asks for a document; the upload answers it and the item is back */
  const askId = env('ASK_ITEM_ID');
  await page.click('#back');
  await page.locator(`tr[data-id="${askId}"] button`).click();
  await page.waitForSelector(`#detail-id:has-text("${askId}")`);
  assert.ok(await page.isVisible('#documents-none'));
  await page.check('input[name=decision][value=request_info]');
  await page.check('#decision-document');
  await page.fill('#decision-reason', 'Please upload your current practising certificate.');
  await page.click('#decision-form button[type=submit]');
  await page.waitForSelector('#message:has-text("waiting for the professional")');
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(3000, 7)]);
  const up = await fetch(`${base}/v1/me/documents`, {
    method: 'POST', body: pdf,
    headers: { Authorization: `Bearer ${env('ASK_PRO_TOKEN')}`, 'Content-Type': 'application/pdf' },
  });
  assert.equal(up.status, 201);
  const uploaded = await up.json();
  assert.equal(uploaded.answered_request, true);
  await page.locator(`tr[data-id="${askId}"] button`).click();
  await page.waitForSelector(`#detail-id:has-text("${askId}")`);
  await page.waitForSelector('#detail-summary:has-text("waiting for an admin")');
  await page.waitForSelector(`tr[data-document="${uploaded.id}"]`);
  assert.match(await page.innerText('#responses'), new RegExp(`uploaded document ${uploaded.id.slice(0, 8)}`));
  assert.match(await page.innerText('#decisions'), /document asked for/);
  await noHorizontalScroll(page, 'item with documents');
  await shot(page, 'admin-review-documents.png');

  /* signing out forgets the token: the next call would be 401 */
  await page.click('#signout');
  await page.waitForSelector('#signin-view', { state: 'visible' });
  assert.equal(await page.evaluate(() => document.cookie), '');
  assert.deepEqual(await context.cookies(), []);

  assert.deepEqual(expected, [], 'every provoked HTTP error was seen');
} catch (e) {
  failed = true;
  console.error(`FAILED: ${e.stack || e}`);
} finally {
  await browser.close();
}
for (const p of problems) console.error(p);
process.exit(failed || problems.length > 0 ? 1 : 0);
