// The company admin's console in a real browser (issue 15): Debian's headless Chromium, driven
// by playwright-core (given the executable; it downloads no browser), against the worker under
// `wrangler dev` that scripts/test.sh started (SCIM_EDGE_URL, SCIM_EDGE_ADMIN_TOKEN).
//
// The sign-in link is opened from a page of another site (http://localhost:<port>, a tiny static
// server on 127.0.0.1 started here), as an email or the survey product would link to it; then
// the steps 1–9, a second tenant's admin who sees none of it, axe-core on every page (no
// serious or critical violation), and one screenshot per page in CONSOLE_TEST_OUT.
//
// Run: node --test tests/console/  (scripts/test.sh does, with the variables set).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, mkdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ORIGIN = process.env.SCIM_EDGE_URL;
const ADMIN_TOKEN = process.env.SCIM_EDGE_ADMIN_TOKEN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const OUT = process.env.CONSOLE_TEST_OUT || join(ROOT, 'target', 'console');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const NS = 'urn:ietf:params:scim:schemas:extension:peakon:2.0:User';
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';

assert.ok(ORIGIN && /^http:\/\/(127\.0\.0\.1|localhost):\d+$/.test(ORIGIN), `SCIM_EDGE_URL must be a loopback origin, not ${ORIGIN}`);
assert.ok(ADMIN_TOKEN, 'SCIM_EDGE_ADMIN_TOKEN is not set');
mkdirSync(OUT, { recursive: true });

const run = Date.now().toString(36);
// The console's pages: the navigation's link, and the page's heading when it differs.
const PAGES = [['Provisioning', 'Employee provisioning'], ['Tokens'], ['Custom attributes'], ['Attribute health'], ['Activity'], ['Roster'], ['Deleted employees'], ['Deactivation guard'], ['Webhooks']];

// ---- HTTP to the worker, as the operator and as an IdP --------------------------------------

async function call(method, path, { token, body, type = 'application/json' } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = type;
  const res = await fetch(ORIGIN + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}
const operator = (method, path, body) => call(method, '/admin/v1' + path, { token: ADMIN_TOKEN, body });
const scim = (token, method, path, body) => call(method, '/scim/v2' + path, { token, body, type: 'application/scim+json' });

async function newTenant(name) {
  const r = await operator('POST', '/tenants', { name });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
async function signInLink(tenant, email) {
  const r = await operator('POST', `/tenants/${tenant.id}/sign-in-links`, { email });
  assert.equal(r.status, 201, r.text);
  return r.json.url;
}

// ---- Another site that links to the sign-in (an email, the survey product) ------------------

let mail = '';
// Also the webhook receiver (POST /hook/...): loopback http, which the test worker allows.
const received = [];
const mailServer = http.createServer((req, res) => {
  if (req.method === 'POST') {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => {
      received.push({ path: req.url, headers: req.headers, body: data });
      res.writeHead(204);
      res.end();
    });
    return;
  }
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><title>Your sign-in link</title><h1>Mail</h1><p><a id="link" href="${esc(mail)}">Sign in to manage provisioning</a></p></html>`);
});
let mailOrigin = '';

let browser;
before(async () => {
  await new Promise((resolve) => mailServer.listen(0, '127.0.0.1', resolve));
  // "localhost", not 127.0.0.1: another site than the worker's (cookies are per host, not per
  // port), so the SameSite=Strict session must be set by the worker's own page.
  mailOrigin = `http://localhost:${mailServer.address().port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  await new Promise((resolve) => mailServer.close(resolve));
});

// ---- In the browser --------------------------------------------------------------------------

/** A fresh browser profile that opens `link` from the mail page and signs in. */
async function signedIn(link, { viewport = { width: 1280, height: 900 }, shots = false } = {}) {
  // An admin in Paris: times in the page are local, UTC on hover.
  const context = await browser.newContext({ viewport, timezoneId: 'Europe/Paris', locale: 'en-GB' });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[134]/.test(m.text())) problems.push(`console: ${m.text()}`); });
  mail = link;
  await page.goto(mailOrigin + '/');
  await page.click('#link');
  await page.waitForURL(/\/sign-in\?link=/);
  assert.equal(await page.textContent('h1'), 'Sign in');
  if (shots) await check(page, '0-sign-in');
  // 1. Confirm: the exchange answers 303 to the console, which greets the admin.
  await Promise.all([page.waitForURL(ORIGIN + '/console/'), page.click('button[type=submit]')]);
  await page.getByRole('heading', { level: 1, name: 'Employee provisioning' }).waitFor();
  return { context, page, problems };
}

async function go(page, name, heading) {
  await page.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading || name }).waitFor();
  await page.waitForFunction(() => !document.querySelector('main .loading'));
}

const axeReport = [];
/** axe-core on the page as it is: no serious or critical violation; the rest is reported. */
async function accessible(page, label) {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern (an inline
  // <script> would be refused, as it should be); the page's own CSP stays in force.
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of result.violations) axeReport.push(`${label}: ${v.impact} ${v.id} (${v.nodes.length}): ${v.help}`);
  assert.deepEqual(serious.map((v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `${label}: serious or critical accessibility violations`);
}

async function shot(page, name) {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}

/** Axe and a screenshot of the current page. */
async function check(page, name) {
  await accessible(page, name);
  await shot(page, name);
}

function rowWith(page, text) {
  return page.locator('main tbody tr', { hasText: text });
}

// ---- The tests -------------------------------------------------------------------------------

test('the console is static assets with a strict Content-Security-Policy and no HTML built from data', async () => {
  for (const path of ['/console/', '/console/js/main.js', '/console/console.css']) {
    const r = await call('GET', path);
    assert.equal(r.status, 200, path);
    const csp = r.headers.get('content-security-policy') || '';
    assert.match(csp, /frame-ancestors 'none'/, `${path}: ${csp}`);
    assert.match(csp, /script-src 'self'(;|$)/, `${path}: ${csp}`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path);
  }
  const r = await call('GET', '/console');
  assert.ok([301, 307, 308].includes(r.status) && r.headers.get('location').endsWith('/console/'), `/console: ${r.status}`);
  // The worker still answers its own paths.
  assert.equal((await call('GET', '/scim/v2/ServiceProviderConfig')).status, 200);
  // No inline script or style in the page, and no HTML from strings in the scripts.
  const html = readFileSync(join(ROOT, 'assets/console/index.html'), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'an inline script');
  assert.doesNotMatch(html, /\son[a-z]+=|\sstyle=/i, 'an inline handler or style');
  const scripts = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? scripts(join(dir, f)) : [join(dir, f)]));
  for (const file of scripts(join(ROOT, 'assets/console/js'))) {
    assert.doesNotMatch(readFileSync(file, 'utf8'), /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/, file);
  }
});

test('a company admin runs provisioning from the console (issue 15, steps 1-9)', async () => {
  const tenant = await newTenant(`Console ${run}`);
  const email = `ada.${run}@example.com`;
  const { context, page, problems } = await signedIn(await signInLink(tenant, email), { shots: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ORIGIN });
  assert.match(await page.textContent('#who'), new RegExp(email.replace(/\./g, '\\.')));

  // 2. Connect, and read the token from the page (with where it goes in Okta and Entra).
  await page.getByLabel('Label for the token (optional)').fill('Okta production');
  await page.getByRole('button', { name: 'Connect: issue a token' }).click();
  const tokenBox = page.getByLabel('Token', { exact: true });
  await tokenBox.waitFor();
  const token = await tokenBox.inputValue();
  assert.match(token, /^scim_1_0_/);
  assert.equal(await page.getByLabel('SCIM URL', { exact: true }).inputValue(), `${ORIGIN}/scim/v2`);
  const text = await page.textContent('main');
  for (const words of ['Base URL', 'API token', 'Tenant URL', 'Secret Token', 'Configure API Integration']) {
    assert.ok(text.includes(words), `the page names ${words}`);
  }
  await page.getByRole('button', { name: 'Copy the token' }).click();
  await page.getByText('Copied.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
  await page.getByText(/Connected \(2 working tokens\)/).waitFor();
  await check(page, '1-provisioning');

  // A webhook endpoint (the change feed), its signing secret shown once.
  const hook = `http://127.0.0.1:${mailServer.address().port}/hook/${run}`;
  await go(page, 'Webhooks');
  await page.getByLabel('URL', { exact: true }).fill(hook);
  await page.getByLabel('employee.created').check();
  await page.getByLabel('employee.deactivated').check();
  await page.getByRole('button', { name: 'Add the endpoint' }).click();
  assert.match(await page.getByLabel('Signing secret', { exact: true }).inputValue(), /^whsec_/);
  await page.locator('article', { hasText: hook }).getByText('employee.created, employee.deactivated').waitFor();
  // Neither secret in browser storage, the URL or a cookie script can read.
  const stored = await page.evaluate(async () => ({
    local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }),
    idb: (await indexedDB.databases()).length, cookie: document.cookie, url: location.href,
  }));
  assert.deepEqual(stored, { local: '{}', session: '{}', idb: 0, cookie: '', url: ORIGIN + '/console/#/webhooks' });

  // 3. A SCIM create with that token succeeds; the name is markup, shown as text.
  const userName = `<img src=x onerror="window.pwned=1">grace.${run}@example.com`;
  const created = await scim(token, 'POST', '/Users', { schemas: [CORE], userName, name: { givenName: 'Grace', familyName: 'Hopper' }, emails: [{ value: `grace.${run}@example.com`, type: 'work', primary: true }] });
  assert.equal(created.status, 201, created.text);

  // 4. The employee appears in the roster and the activity.
  await go(page, 'Tokens');
  assert.ok(!(await page.content()).includes(token), 'the token is not shown again');
  // Issue another while the first keeps working (rotation).
  await page.getByLabel('Label (optional)').fill('rotation');
  await page.getByRole('button', { name: 'Issue a token' }).click();
  const second = await page.getByLabel('Token', { exact: true }).inputValue();
  assert.match(second, /^scim_1_0_/);
  assert.equal((await scim(second, 'GET', '/Users?count=1')).status, 200);
  assert.equal((await scim(token, 'GET', '/Users?count=1')).status, 200);
  await rowWith(page, 'rotation').waitFor();
  await page.getByRole('button', { name: 'Hide the token' }).click();
  await page.getByText('The token was hidden. It can no longer be shown.').waitFor();
  assert.ok(!(await page.content()).includes(second));
  await check(page, '2-tokens');
  await go(page, 'Roster');
  await rowWith(page, `grace.${run}@example.com`).first().waitFor();
  assert.equal(await rowWith(page, userName).count(), 1, 'the userName is shown as text');
  assert.match(await rowWith(page, userName).textContent(), /Active.*Eligible/);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.locator('main img').count(), 0);
  await go(page, 'Activity');
  await rowWith(page, userName).filter({ hasText: 'create' }).waitFor();
  // Its time: local (Paris) as text, UTC on hover.
  const when = rowWith(page, userName).filter({ hasText: 'create' }).locator('time');
  const [shown, utc, at] = [await when.textContent(), await when.getAttribute('title'), await when.getAttribute('datetime')];
  assert.match(utc, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  assert.match(shown, /CET|CEST|GMT\+[12]/, shown);
  assert.equal(utc, new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));
  assert.match(await page.textContent('footer'), /Europe\/Paris/);

  // 5. A SCIM deactivation shows them not eligible.
  const off = await scim(token, 'PATCH', `/Users/${created.json.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] });
  assert.equal(off.status, 200, off.text);
  await go(page, 'Roster');
  assert.match(await rowWith(page, userName).textContent(), /Inactive.*Not eligible/);
  // As of before the creation, nobody existed; the search finds by email.
  await go(page, 'Activity');
  await rowWith(page, userName).filter({ hasText: 'deactivate' }).waitFor();
  assert.match(await rowWith(page, userName).filter({ hasText: 'deactivate' }).textContent(), /active.*true.*→.*false/);
  await check(page, '5-activity');

  // 6. A custom attribute is created; an Okta-style create with an unknown name is refused.
  await go(page, 'Custom attributes');
  await page.getByLabel('Name', { exact: true }).fill('Employed Since');
  await page.getByLabel('Type').selectOption('date');
  await page.getByRole('button', { name: 'Create the attribute' }).click();
  await page.getByText('Created Employed Since (SCIM name Employed_Since).').waitFor();
  const card = page.locator('article', { hasText: 'Employed Since' });
  const cardText = await card.textContent();
  assert.ok(cardText.includes(NS), 'Okta\'s external namespace');
  assert.ok(cardText.includes(`${NS}:Employed_Since`), 'Entra\'s target attribute');
  await check(page, '3-attributes');
  const okta = { schemas: [CORE, NS], userName: `lin.${run}@example.com`, [NS]: { StartDate: '2024-02-01' } };
  const refused = await scim(token, 'POST', '/Users', okta);
  assert.equal(refused.status, 400, refused.text);
  await healthFixesTheName(page, okta, token);

  // The activity's filters: the refusal with its detail; the audit log has the attribute.
  await go(page, 'Activity');
  await page.getByLabel('Result').selectOption('failure');
  await page.getByLabel('Operation').selectOption('create');
  await page.getByRole('button', { name: 'Filter' }).click();
  const refusedRow = rowWith(page, `lin.${run}@example.com`);
  await refusedRow.waitFor();
  assert.match(await refusedRow.textContent(), /400.*refused.*StartDate/);
  assert.equal(await page.locator('section', { hasText: 'Provisioning activity' }).locator('tbody tr').count(), 1);
  await page.locator('section', { hasText: 'Audit log' }).locator('tbody tr', { hasText: 'attribute.created' }).first().waitFor();

  // Roster as of a date, and the CSV.
  await go(page, 'Roster');
  await page.getByLabel('As of date (empty: now)').fill('2000-01-01');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await page.getByText('No employees existed at that time.').waitFor();
  await page.getByLabel('As of date (empty: now)').fill('');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await rowWith(page, userName).waitFor();
  // Search: by a word of the email, and one that finds nobody.
  await page.getByLabel('Search (name or email)').fill('grace');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await page.getByText(/1 employee at .* matching "grace"/).waitFor();
  await rowWith(page, userName).waitFor();
  await page.getByLabel('Search (name or email)').fill(`nobody${run}`);
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await page.getByText('Nobody matches this search.').waitFor();
  await page.getByLabel('Search (name or email)').fill('');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await rowWith(page, userName).waitFor();
  await check(page, '6-roster');
  await csvDownloads(page, userName);

  // The webhook endpoint received the creation and the deactivation, and lists its deliveries.
  for (let i = 0; i < 100 && received.filter((r) => r.path === `/hook/${run}`).length < 2; i++) await page.waitForTimeout(200);
  const types = received.filter((r) => r.path === `/hook/${run}`).map((r) => JSON.parse(r.body).type);
  assert.deepEqual(types.slice(0, 2), ['employee.created', 'employee.deactivated']);
  assert.ok(received.every((r) => /^v1,/.test(r.headers['webhook-signature'])));
  await go(page, 'Webhooks');
  await page.locator('article', { hasText: hook }).getByRole('button', { name: 'Show deliveries' }).click();
  await page.locator('article', { hasText: hook }).locator('tbody tr', { hasText: '204' }).first().waitFor();
  await check(page, '9-webhooks');
  const endpoint = page.locator('article', { hasText: hook });
  const first = await page.getByLabel('Signing secret', { exact: true }).count();
  assert.equal(first, 0, 'the first secret is gone once the page was left');
  await endpoint.getByRole('button', { name: 'Rotate the secret…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
  assert.match(await page.getByLabel('Signing secret', { exact: true }).inputValue(), /^whsec_/);
  await page.locator('article', { hasText: hook }).getByText('Previous secret signs until').waitFor();
  await page.locator('article', { hasText: hook }).getByRole('button', { name: 'Disable…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
  await page.locator('article', { hasText: hook }).getByText('disabled', { exact: true }).waitFor();

  // Deleted employees and the guard have their pages.
  await go(page, 'Deleted employees');
  await check(page, '7-deleted');
  await go(page, 'Deactivation guard');
  await page.getByText('Not tripped: nothing is held.').waitFor();
  await check(page, '8-guard');

  // 7. Revoking the token in the page makes SCIM answer 401.
  await go(page, 'Tokens');
  await rowWith(page, 'Okta production').getByRole('button', { name: /Revoke/ }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await page.getByText(/Revoked the token starting with/).waitFor();
  assert.equal((await scim(token, 'GET', '/Users?count=1')).status, 401);
  await rowWith(page, 'Okta production').getByText('Revoked').waitFor();

  // Disconnect, confirmed (Cancel first changes nothing): every token revoked. First, the
  // connection's state: the IdP's last request and its client, the refused writes.
  await go(page, 'Provisioning', 'Employee provisioning');
  assert.match(await page.textContent('#last-request'), /node/);
  await page.getByText(/1: 1 × 400/).waitFor();
  await page.getByRole('button', { name: 'Disconnect…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await page.getByText('Nothing changed.').waitFor();
  await page.getByText(/Connected \(2 working tokens\)/).waitFor();
  await page.getByRole('button', { name: 'Disconnect…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Disconnect' }).click();
  await page.getByText('Disconnected: 2 tokens revoked.').waitFor();
  await page.locator('#connection-state', { hasText: 'Not connected' }).waitFor();
  assert.equal((await scim(tenant.token, 'GET', '/Users?count=1')).status, 401);

  // An attribute deactivated, confirmed, and reactivated.
  await go(page, 'Custom attributes');
  await card.getByText('Change Employed Since').click();
  await card.getByRole('button', { name: 'Deactivate…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
  await page.getByText('Employed Since is deactivated.').waitFor();
  await card.getByText('deactivated', { exact: true }).waitFor();
  await card.getByText('Change Employed Since').click();
  await card.getByRole('button', { name: 'Reactivate' }).click();
  await page.getByText('Employed Since is active again.').waitFor();

  // Phone width: the same pages, one column.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [name, heading] of PAGES) {
    await go(page, name, heading);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `${name}: no sideways scrolling at phone width`);
  }
  await go(page, 'Roster');
  await check(page, '10-roster-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // 9. Logout: the console says so, and the session no longer works.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { level: 1, name: 'Signed out' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Signed out' }).waitFor();
  await check(page, '11-signed-out');
  assert.deepEqual(problems, []);
  await context.close();
});

/** Step 6, the rest: Attribute health lists the unmatched name; one click aliases it; the retried create succeeds. */
async function healthFixesTheName(page, okta, token) {
  await go(page, 'Attribute health');
  const row = rowWith(page, 'StartDate');
  assert.match(await row.textContent(), /StartDate.*1/);
  await check(page, '4-health');
  await row.getByRole('button', { name: 'Add as alias' }).click();
  await page.getByText(/StartDate is now an alias of Employed Since/).waitFor();
  await page.getByText('None: every name your identity provider sent matched an attribute.').waitFor();
  const retried = await scim(token, 'POST', '/Users', okta);
  assert.equal(retried.status, 201, retried.text);
  assert.equal(retried.json[NS].Employed_Since, '2024-02-01');
  await go(page, 'Custom attributes');
  assert.match(await page.locator('article', { hasText: 'Employed Since' }).textContent(), /Aliases\s*StartDate/);
}

/** Step 8: the CSV downloads, and lists the roster (its markup as text, quoted as RFC 4180 asks). */
async function csvDownloads(page, userName) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.match(csv.split(/\r?\n/)[0], /userName/i, csv.slice(0, 200));
  assert.ok(csv.includes(`"${userName.replace(/"/g, '""')}"`), csv);
}

test('a second company\'s admin sees none of it', async () => {
  const mine = await newTenant(`Mine ${run}`);
  const theirs = await newTenant(`Theirs ${run}`);
  const secret = `secret.${run}@example.com`;
  assert.equal((await scim(mine.token, 'POST', '/Users', { schemas: [CORE], userName: secret })).status, 201);
  assert.equal((await operator('POST', `/tenants/${mine.id}/attributes`, { name: `Hidden ${run}`, type: 'text' })).status, 201);
  const hook = `http://127.0.0.1:${mailServer.address().port}/mine/${run}`;
  assert.equal((await operator('POST', `/tenants/${mine.id}/webhooks`, { url: hook })).status, 201);
  const { context, page, problems } = await signedIn(await signInLink(theirs, `eve.${run}@example.com`));
  for (const [name, heading] of PAGES) {
    await go(page, name, heading);
    const text = await page.textContent('body');
    for (const theirsOnly of [secret, `Hidden ${run}`, mine.id, hook]) {
      assert.ok(!text.includes(theirsOnly), `${name} shows nothing of another tenant (${theirsOnly})`);
    }
  }
  // The API answers another tenant's id as a tenant that does not exist, even from the page.
  const status = await page.evaluate(async (id) => (await fetch(`/admin/v1/tenants/${id}/employees`)).status, mine.id);
  assert.equal(status, 404);
  assert.deepEqual(problems, []);
  await context.close();
});

after(() => {
  if (axeReport.length) console.log(`axe-core, minor and moderate findings:\n  ${axeReport.join('\n  ')}`);
  else console.log('axe-core: no violations on any page');
});
