// The account pages in a real headless Chromium: forgotten password -> mail -> link ->
// new password, the link refused a second time, then account deletion.
// Run by tests/browser/run.sh, which starts the server, nginx and the SMTP sink and sets:
//   WEAVE_URL       base URL (may end in a path prefix), e.g. http://127.0.0.1:PORT/sync
//   WEAVE_USER, WEAVE_PASSWORD, WEAVE_EMAIL   an account with an e-mail address
//   SINK_DIR        the folder where smtp_sink.py stores mail
//   PROFILE_DIR     a fresh, empty folder for Chromium's profile
//   ARTIFACTS_DIR   (optional) where screenshots of each step go
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test, before, after } = require('node:test');
const { chromium } = require('playwright-core');

const base = process.env.WEAVE_URL.replace(/\/$/, '');
const user = process.env.WEAVE_USER;
const oldPassword = process.env.WEAVE_PASSWORD;
const email = process.env.WEAVE_EMAIL;
const sinkDir = process.env.SINK_DIR;
const artifacts = process.env.ARTIFACTS_DIR || '';
const newPassword = 'Brand-new pässword 42';
const STEP_MS = 20000;
// Starting Chromium on a loaded machine (the CI runs suites side by side) has taken more than
// 20 s; a page step has not.
const LAUNCH_MS = 60000;

let context;
let page;
let resetLink;

async function shot(name) {
  if (artifacts) {
    await page.screenshot({ path: path.join(artifacts, name + '.png'), fullPage: true });
  }
}

function basic(name, password) {
  return 'Basic ' + Buffer.from(name + ':' + password, 'utf8').toString('base64');
}

async function storageStatus(password) {
  const response = await fetch(`${base}/1.1/${user}/info/collections`, {
    headers: { Authorization: basic(user, password) },
  });
  return response.status;
}

// The newest stored message to `to`, waiting up to timeoutMs for one to arrive.
async function waitForMail(to, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = fs.existsSync(sinkDir)
      ? fs.readdirSync(sinkDir).filter((n) => n.endsWith('.eml')).sort()
      : [];
    for (const name of names.reverse()) {
      const text = fs.readFileSync(path.join(sinkDir, name), 'utf8');
      if (new RegExp(`^X-Sink-Rcpt-To: ${to.replace(/[.+]/g, '\\$&')}\\r?$`, 'm').test(text)) {
        return text;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`no mail to ${to} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  context = await chromium.launchPersistentContext(process.env.PROFILE_DIR, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    timeout: LAUNCH_MS,
  });
  context.setDefaultTimeout(STEP_MS);
  page = context.pages()[0] || (await context.newPage());
}, { timeout: LAUNCH_MS + STEP_MS });

after(async () => {
  if (context) {
    await context.close();
  }
});

test('the reset form asks for the user name and mails a link', { timeout: STEP_MS * 2 }, async () => {
  const response = await page.goto(`${base}/weave-password-reset`);
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['x-frame-options'], 'DENY');
  await page.getByLabel('User name or e-mail address').fill(user);
  await shot('01-reset-form');
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await page.getByRole('heading', { name: 'Check your mail' }).waitFor();
  await shot('02-check-mail');
  // The CSRF cookie is out of reach of scripts and of other sites.
  const cookies = await context.cookies(base);
  const csrf = cookies.find((c) => c.name === 'weave_csrf');
  assert.ok(csrf, 'weave_csrf cookie set');
  assert.equal(csrf.httpOnly, true);
  assert.equal(csrf.sameSite, 'Strict');
  const mail = await waitForMail(email, 10000);
  const match = mail.match(/(https?:\/\/\S+\/weave-password-reset\?\S+)/);
  assert.ok(match, 'reset link in the mail');
  resetLink = match[1];
  assert.ok(resetLink.startsWith(`${base}/weave-password-reset?username=${user}&key=`), resetLink);
});

test('the link sets a new password', { timeout: STEP_MS * 2 }, async () => {
  assert.ok(resetLink, 'needs the link from the previous test');
  await page.goto(resetLink);
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  // The account name rides along for password managers, out of sight.
  assert.equal(await page.locator('input[name=username]').isVisible(), false);
  // A mismatch first: the form comes back with an error and nothing changes.
  await page.getByLabel('New password', { exact: true }).fill(newPassword);
  await page.getByLabel('New password again').fill(newPassword + 'x');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
  await shot('03-mismatch');
  await page.getByLabel('New password', { exact: true }).fill(newPassword);
  await page.getByLabel('New password again').fill(newPassword);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByRole('heading', { name: 'Password changed' }).waitFor();
  await shot('04-changed');
  assert.equal(await storageStatus(newPassword), 200, 'new password works');
  assert.equal(await storageStatus(oldPassword), 401, 'old password refused');
});

test('the same link does not work twice', { timeout: STEP_MS }, async () => {
  assert.ok(resetLink);
  await page.goto(resetLink);
  await page.getByText('invalid or has expired').waitFor();
  assert.equal(await page.getByLabel('New password', { exact: true }).count(), 0);
  await shot('05-link-used');
  assert.equal(await storageStatus(newPassword), 200);
});

test('the delete page removes the account', { timeout: STEP_MS * 2 }, async () => {
  const response = await page.goto(`${base}/weave-delete-account`);
  assert.equal(response.status(), 200);
  await page.getByLabel('User name or e-mail address').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(newPassword);
  await page.getByLabel(/I understand/).check();
  await shot('06-delete-form');
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await page.getByRole('heading', { name: 'Account deleted' }).waitFor();
  await shot('07-deleted');
  const exists = await fetch(`${base}/user/1.0/${user}`);
  assert.equal(exists.status, 200);
  assert.equal(await exists.text(), '0');
  assert.equal(await storageStatus(newPassword), 401);
});
