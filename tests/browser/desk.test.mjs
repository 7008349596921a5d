// The desk in Debian's chromium, against the live `oped serve` that `./run`
// starts (OPED_DESK_URL) with the accounts and mail it set up. The tests run
// in order: each takes the piece where the one before left it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.OPED_DESK_URL;
const password = process.env.OPED_DESK_PASSWORD;
const screenshots = process.env.OPED_SCREENSHOTS;
const title = 'Why Libya needs a unified budget';
const arabicTitle = 'مستقبل الانتخابات في ليبيا';

let browser;
let context;
let page;
let pieceUrl;
let promotedUrl;
let messageUrl;
const cspViolations = [];
const consoleErrors = [];
// Pages the tests open expecting a refusal (a wrong password, 403, 409,
// 422): the browser logs
// their status as an error, which is what was asked for.
const refusedOnPurpose = [/\/desk\/signin$/, /\/desk\/accounts$/, /\/actions$/, /\/edit$/, /\/attach$/];

function watch(p) {
  p.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    const at = message.location()?.url ?? '';
    if (message.type() === 'error' && !refusedOnPurpose.some((url) => url.test(at))) {
      consoleErrors.push(`${at}: ${message.text()}`);
    }
  });
  p.on('pageerror', (error) => consoleErrors.push(String(error)));
  return p;
}

async function signIn(email) {
  await page.goto(`${base}/desk/signin`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/desk/queue`);
}

async function signOut() {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${base}/desk/signin`);
}

async function stateOfPiece() {
  return (await page.locator('#state').textContent()).trim();
}

before(async () => {
  browser = await chromium.launch({ executablePath: process.env.OPED_CHROMIUM || '/usr/bin/chromium' });
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  page = watch(await context.newPage());
});

after(async () => {
  await browser?.close();
});

test('a wrong password is refused, and the editor signs in', async () => {
  await page.goto(`${base}/desk/queue`);
  assert.equal(page.url(), `${base}/desk/signin`, 'the queue sends strangers to sign in');
  // Keyboard first: Tab reaches the address field (after the skip link
  // and the desk's name), and the focus shows.
  let focused = '';
  for (let presses = 0; presses < 5 && focused !== 'email'; presses += 1) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => document.activeElement?.id);
  }
  assert.equal(focused, 'email');
  const outline = await page.locator('#email').evaluate((element) => getComputedStyle(element).outlineStyle);
  assert.equal(outline, 'solid', 'a visible focus ring');
  await page.getByLabel('Email address').fill('editor@desk.example');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.match(await page.getByRole('alert').textContent(), /not correct/);
  await signIn('editor@desk.example');
  assert.match(await page.locator('header .who').textContent(), /Test Editor/);
  const cookie = (await context.cookies()).find((c) => c.name === 'oped_desk');
  assert.ok(cookie.httpOnly, 'HttpOnly');
  assert.equal(cookie.sameSite, 'Lax');
  assert.equal(cookie.path, '/desk');
});

test('the piece that came in by mail is in the queue, and search finds it', async () => {
  await page.goto(`${base}/desk/queue`);
  const rows = page.locator('.piece-row');
  assert.ok((await rows.count()) >= 2);
  await page.locator('.states a', { hasText: 'New' }).waitFor();
  assert.match(await page.locator('.states a', { hasText: 'New' }).textContent(), /New\s+2/);
  // The queue is a table: who has each piece, its deadline, its words and
  // its marks.
  const headers = await page.locator('table.queue thead th').allTextContents();
  assert.deepEqual(headers, ['Piece', 'State', 'Assigned to', 'Answer by', 'Words', 'Received', 'Marks']);
  // Each new piece shows when the response window closes.
  assert.match(await rows.first().locator('.due').textContent(), /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
  // The author replied with a new text; on a first visit everything is new.
  const replied = rows.filter({ hasText: title });
  assert.match(await replied.locator('.marks').textContent(), /new mail from the author/);
  assert.match(await replied.locator('.marks').textContent(), /new since your last visit/);
  assert.match(await page.getByRole('link', { name: /New since my last visit/ }).textContent(), /\d+/);
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, 'desk-queue.png') });

  await page.getByLabel('Search title, text and author').fill('unified budget');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/q=unified/);
  assert.equal(await rows.count(), 1);
  await page.getByRole('link', { name: title }).click();
  await page.waitForURL(/\/desk\/pieces\/\d+$/);
  pieceUrl = page.url();
  assert.equal(await page.locator('h1').textContent(), title);
  assert.equal(await stateOfPiece(), 'New');
  assert.match(await page.locator('.facts').textContent(), /Answer by\s*\d{4}-\d{2}-\d{2}/);
  assert.match(await page.locator('.facts').textContent(), /Exclusive\s*not answered yet/);
  assert.match(await page.locator('#article').textContent(), /central bank is left to improvise/);
});

test('triage: due today puts the piece due today first, and the state tabs keep the filter', async () => {
  await page.goto(`${base}/desk/queue`);
  await page.getByRole('link', { name: 'Due today' }).click();
  await page.waitForURL(/due=today/);
  assert.match(page.url(), /sort=deadline/);
  const rows = page.locator('.piece-row');
  assert.equal(await rows.count(), 1);
  assert.equal(await rows.first().locator('a').first().textContent(), arabicTitle);
  assert.equal(await page.getByRole('link', { name: 'Due today' }).getAttribute('aria-current'), 'true');
  // Every time on the desk's clock, 24-hour.
  assert.match(await rows.first().locator('.due').textContent(), /\d{4}-\d{2}-\d{2} \d{2}:\d{2} EET/);
  await page.locator('.states a', { hasText: 'New' }).first().click();
  await page.waitForURL(/state=draft/);
  assert.match(page.url(), /due=today/, 'the state tab kept the filter');
  assert.equal(await rows.count(), 1);
  // Sorted by deadline without the filter: the piece due today comes first.
  await page.getByRole('link', { name: 'Due today' }).click();
  await page.waitForURL((url) => !/due=/.test(url.search));
  await page.goto(`${base}/desk/queue?sort=deadline`);
  assert.equal(await rows.first().locator('a').first().textContent(), arabicTitle);
  await page.screenshot({ path: join(screenshots, 'desk-triage.png') });
  await page.goto(pieceUrl);
});

test('start review', async () => {
  await page.getByRole('button', { name: 'Start review' }).click();
  await page.waitForURL(`${pieceUrl}?done=start_review`);
  assert.equal(await stateOfPiece(), 'In review');
  assert.match(await page.locator('.history').textContent(), /start review/);
  await page.getByLabel('Add a note').fill('Checking the figures with the business desk.');
  await page.getByRole('button', { name: 'Add note' }).click();
  assert.match(await page.locator('#notes').textContent(), /Checking the figures/);
  await page.goto(pieceUrl);
  await page.screenshot({ path: join(screenshots, 'desk-piece.png') });
});

test('an edit from a stale second tab shows the conflict and overwrites nothing', async () => {
  const first = page;
  const second = watch(await context.newPage());
  await first.goto(`${pieceUrl}/edit`);
  await second.goto(`${pieceUrl}/edit`);

  await first.getByLabel('Title').fill('A unified budget for Libya');
  await first.getByRole('button', { name: 'Save' }).click();
  await first.waitForURL(`${pieceUrl}?done=saved`);
  assert.equal(await first.locator('h1').textContent(), 'A unified budget for Libya');

  await second.getByLabel('Title').fill('The budget Libya needs');
  await second.getByLabel('Text (paragraphs separated by a blank line)').fill('A different text altogether.');
  await second.getByRole('button', { name: 'Save' }).click();
  assert.equal(await second.locator('h1').first().textContent(), 'Someone else changed this piece');
  assert.equal(await second.locator('.title-now').textContent(), 'A unified budget for Libya');
  assert.equal(await second.locator('.title-yours').textContent(), 'The budget Libya needs');
  assert.match(await second.locator('.text-now').textContent(), /central bank is left to improvise/);
  assert.match(await second.locator('.text-yours').textContent(), /A different text altogether/);
  await second.close();

  await first.goto(pieceUrl);
  assert.equal(await first.locator('h1').textContent(), 'A unified budget for Libya');
  assert.match(await first.locator('#article').textContent(), /central bank is left to improvise/);
});

test("the author's reply is on the piece, newest first, and its text can be used", async () => {
  await page.goto(pieceUrl);
  const letters = page.locator('#correspondence .letter');
  assert.ok((await letters.count()) >= 1);
  // The desk's acknowledgement went out after the reply came in: it is first.
  const times = await page.locator('#correspondence .letter time').evaluateAll((all) => all.map((t) => t.dateTime));
  assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  const reply = letters.filter({ hasText: 'From the author' }).first();
  assert.match(await reply.locator('.mail').textContent(), /corrected final paragraph/);
  await reply.getByRole('link', { name: "Use this mail's text" }).click();
  await page.waitForURL(/\/edit\?letter=\d+$/);
  assert.match(await page.getByRole('status').textContent(), /the author's mail/);
  const body = page.getByLabel('Text (paragraphs separated by a blank line)');
  assert.match(await body.inputValue(), /^Here is a corrected final paragraph/);
  // The editor keeps the old text, drops a word and adds the author's new
  // last paragraph.
  const before = await page.locator('details .article').textContent();
  const edited = before.trim().replace('A single, audited budget', 'A single budget');
  await body.fill(`${edited}\n\nA unified budget needs an independent auditor.`);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(`${pieceUrl}?done=saved`);
  assert.equal(await page.getByRole('status').textContent(), 'Saved');
  assert.match(await page.locator('#article').textContent(), /independent auditor/);
  assert.match(await page.locator('#article').textContent(), /central bank is left to improvise/);
});

test('the newest revision shows its inserted and deleted words', async () => {
  const newest = page.locator('.revisions > li').first();
  await newest.locator('.revision-changes summary').click();
  const changes = newest.locator('.revision-changes .diff');
  assert.match(await changes.locator('ins').allTextContents().then((t) => t.join(' ')), /independent auditor/);
  assert.match(await changes.locator('del').allTextContents().then((t) => t.join(' ')), /audited/);
  assert.match(await newest.locator('figcaption').textContent(), /8 word\(s\) added, 2 removed/);
  await page.screenshot({ path: join(screenshots, 'desk-diff.png'), fullPage: false });
});

test('any two revisions are compared, and an earlier one restored and restored back', async () => {
  await page.goto(pieceUrl);
  const numbers = await page.locator('.revisions > li').evaluateAll((all) => all.map((li) => li.dataset.revision));
  const [newest, before] = numbers;
  await page.getByLabel('Compare revision', { exact: true }).selectOption(before);
  await page.getByLabel('with', { exact: true }).selectOption(newest);
  await page.getByRole('button', { name: 'Compare' }).click();
  await page.waitForURL(new RegExp(`/compare\\?from=${before}&to=${newest}$`));
  assert.match(await page.locator('h1').textContent(), new RegExp(`Revision ${before} against revision ${newest}`));
  assert.match(await page.locator('.diff ins').allTextContents().then((t) => t.join(' ')), /independent auditor/);
  await page.screenshot({ path: join(screenshots, 'desk-compare.png') });

  await page.getByRole('button', { name: `Restore revision ${before}` }).click();
  await page.waitForURL(`${pieceUrl}?done=revision-restored#revisions`);
  assert.match(await page.getByRole('status').textContent(), /Revision restored/);
  assert.doesNotMatch(await page.locator('#article').textContent(), /independent auditor/);
  // Undone the same way: the text before the restore comes back.
  await page.locator(`.revisions > li[data-revision="${newest}"]`).getByRole('button', { name: `Restore revision ${newest}` }).click();
  await page.waitForURL(`${pieceUrl}?done=revision-restored#revisions`);
  assert.match(await page.locator('#article').textContent(), /independent auditor/);
  assert.match(await page.locator('.history').textContent(), /revision restored/);
});

test('the piece is handed to another editor and back', async () => {
  await page.goto(pieceUrl);
  await page.getByLabel('Hand the piece to').selectOption({ label: 'Test Admin' });
  await page.getByRole('button', { name: 'Reassign' }).click();
  await page.waitForURL(`${pieceUrl}?done=reassigned`);
  assert.equal(await page.getByRole('status').textContent(), 'Reassigned');
  assert.match(await page.locator('.assignment').textContent(), /Test Admin/);
  assert.match(await page.locator('.history').textContent(), /reassigned .* to Test Admin/);
  await page.getByLabel('Hand the piece to').selectOption({ label: 'Test Editor' });
  await page.getByRole('button', { name: 'Reassign' }).click();
  await page.waitForURL(`${pieceUrl}?done=reassigned`);
  await page.goto(`${base}/desk/queue?assignee=me`);
  assert.equal(await page.locator('.piece-row').filter({ hasText: 'A unified budget for Libya' }).count(), 1);
  await page.goto(pieceUrl);
});

test('an editor has no accounts page', async () => {
  await page.goto(`${base}/desk/queue`);
  assert.equal(await page.getByRole('link', { name: 'Accounts' }).count(), 0);
  const response = await page.goto(`${base}/desk/accounts`);
  assert.equal(response.status(), 403);
  assert.equal(await page.locator('h1').textContent(), 'Not allowed');
  assert.equal(await page.locator('table').count(), 0);
  await page.goto(pieceUrl);
});

test('approve says the author was emailed; an editor gets no publisher button', async () => {
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.waitForURL(`${pieceUrl}?done=approve`);
  assert.equal(await stateOfPiece(), 'Approved');
  assert.equal(await page.getByRole('status').textContent(), 'Approved — the author was emailed');
  assert.equal(await page.locator('form[data-action="publish"]').count(), 0);
  assert.equal(await page.locator('form[data-action="schedule"]').count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Publish now' }).count(), 0);
  assert.match(await page.locator('.actions').textContent(), /need a publisher/);
  await signOut();
  await page.goto(pieceUrl);
  assert.equal(page.url(), `${base}/desk/signin`, 'signed out means signed out');
});

test('a publisher schedules the piece, then publishes it', async () => {
  await signIn('publisher@desk.example');
  await page.goto(pieceUrl);
  // The desk's clock is Tripoli's (UTC+2 all year): times are typed and shown on it.
  const tripoli = (ms) => new Date(ms + 2 * 3600 * 1000).toISOString().slice(0, 16);
  const yesterday = tripoli(Date.now() - 24 * 3600 * 1000);
  const tomorrow = tripoli(Date.now() + 24 * 3600 * 1000);
  const when = page.getByLabel('Publish at (Africa/Tripoli)');
  // The author has not confirmed exclusivity: the desk asks why it goes ahead.
  const why = page.locator('#note-schedule');
  assert.equal(await why.getAttribute('required'), '');
  assert.match(await page.locator('label[for="note-schedule"]').textContent(), /not confirmed/);
  const reason = 'Commissioned by the desk; exclusivity agreed by phone.';
  await why.fill(reason);
  // A time already past is refused beside the field, and nothing typed is lost.
  await when.fill(yesterday);
  await page.getByRole('button', { name: 'Schedule' }).click();
  await page.locator('#error-publish-at').waitFor();
  assert.equal(await page.locator('#error-publish-at').textContent(), 'That time has already passed: choose a later one.');
  assert.equal(await page.locator('#note-schedule').inputValue(), reason);
  assert.equal(await when.inputValue(), yesterday);
  assert.equal(await when.getAttribute('aria-invalid'), 'true');
  assert.equal(await stateOfPiece(), 'Approved');
  await when.fill(tomorrow);
  await page.getByRole('button', { name: 'Schedule' }).click();
  await page.waitForURL(`${pieceUrl}?done=schedule`);
  assert.equal(await stateOfPiece(), 'Scheduled');
  assert.equal(await page.getByRole('status').textContent(), 'Scheduled');
  assert.match(await page.locator('.facts').textContent(), new RegExp(`Publishes at\\s*${tomorrow.replace('T', ' ')} EET`));
  await page.locator('#note-publish').fill(reason);
  await page.getByRole('button', { name: 'Publish now' }).click();
  await page.waitForURL(`${pieceUrl}?done=publish`);
  assert.equal(await stateOfPiece(), 'Published');
  assert.equal(
    await page.getByRole('link', { name: 'public page' }).getAttribute('href'),
    'https://news.example/opinion/a-unified-budget-for-libya',
  );
  await page.goto(`${base}/desk/queue?state=published`);
  assert.equal(await page.locator('.piece-row').count(), 1);
});

test('a publisher adds a correction, listed on the piece and in its preview', async () => {
  await page.goto(pieceUrl);
  await page.getByLabel(/Add a correction/).fill('An earlier version gave the wrong year for the first budget.');
  await page.getByRole('button', { name: 'Add correction' }).click();
  await page.waitForURL(`${pieceUrl}?done=corrected#corrections`);
  assert.equal(await page.getByRole('status').textContent(), 'Correction added — readers and the site see it');
  assert.match(await page.locator('.corrections').textContent(), /by Test Publisher: An earlier version/);
  await page.goto(`${pieceUrl}/preview`);
  assert.match(await page.locator('#preview').textContent(), /An earlier version gave the wrong year/);
});

test('mail without the marker is read and dismissed from the inbox, and can be restored', async () => {
  await page.goto(`${base}/desk/inbox`);
  const advert = page.locator('.inbox-row', { hasText: 'Advertising on your opinion pages' });
  assert.match(await advert.textContent(), /salma\.idris@example\.net/);
  await advert.getByRole('link', { name: 'Advertising on your opinion pages' }).click();
  await page.waitForURL(/\/desk\/inbox\/\d+$/);
  messageUrl = page.url();
  assert.match(await page.locator('#message-text .mail').textContent(), /sponsored columns in regional newspapers/);
  assert.equal(await page.locator('#message-text .mail').getAttribute('dir'), 'auto');
  assert.match(await page.locator('.facts').textContent(), /Salma Idris\s*<salma\.idris@example\.net>/);
  assert.match(await page.locator('.facts time').textContent(), / EET$/);
  await page.screenshot({ path: join(screenshots, 'desk-inbox-message.png') });
  await page.getByRole('button', { name: 'Dismiss' }).click();
  await page.waitForURL(`${base}/desk/inbox?done=dismissed`);
  assert.match(await page.getByRole('status').textContent(), /^Dismissed/);
  assert.equal(await page.locator('.inbox-row', { hasText: 'Advertising' }).count(), 0);
  await page.getByRole('link', { name: 'Dismissed' }).click();
  await page.waitForURL(`${base}/desk/inbox?dismissed=1`);
  assert.equal(await page.locator('.inbox-row', { hasText: 'Advertising' }).count(), 1);
  // Kept, and read the same while dismissed.
  await page.goto(messageUrl);
  assert.match(await page.locator('#message-text .mail').textContent(), /sponsored columns/);
  assert.equal(await page.getByRole('button', { name: 'Dismiss' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Restore' }).count(), 1);
});

test('a letter about a piece is attached to it by reference, and is on its correspondence', async () => {
  await page.goto(pieceUrl);
  const reference = (await page.locator('.piece .ref').first().textContent()).trim();
  await page.goto(`${base}/desk/inbox`);
  await page.getByRole('link', { name: 'About the piece on the budget' }).click();
  await page.waitForURL(/\/desk\/inbox\/\d+$/);
  const field = page.getByLabel('Attach to the piece with the reference');
  // A reference no piece has is refused beside the field, as typed.
  await field.fill('OE-2099-9999');
  await page.getByRole('button', { name: 'Attach to the piece' }).click();
  await page.locator('#error-reference').waitFor();
  assert.match(await page.locator('#error-reference').textContent(), /OE-2099-9999/);
  assert.equal(await field.inputValue(), 'OE-2099-9999');
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  await field.fill(reference.toLowerCase());
  await page.getByRole('button', { name: 'Attach to the piece' }).click();
  await page.waitForURL((url) => url.href.startsWith(`${pieceUrl}?done=attached-`));
  assert.equal(await page.getByRole('status').textContent(), `Attached to ${reference} — it is on the piece's correspondence`);
  const letter = page.locator('#correspondence .letter', { hasText: 'leaves out the municipalities' });
  assert.equal(await letter.count(), 1);
  assert.match(await letter.locator('.meta').textContent(), /From yusuf\.benali@example\.org, filed from the inbox/);
  await page.goto(`${base}/desk/inbox`);
  assert.equal(await page.locator('.inbox-row', { hasText: 'About the piece on the budget' }).count(), 0);
});

test('mail without the marker becomes a piece, and its author is acknowledged', async () => {
  await page.goto(`${base}/desk/inbox`);
  const row = page.locator('.inbox-row', { hasText: 'Opinion piece for your site' });
  assert.match(await row.textContent(), /unmatched/);
  assert.match(await row.textContent(), /reader@example\.com/);
  await row.getByRole('button', { name: /Make a piece/ }).click();
  await page.waitForURL(/\/desk\/pieces\/\d+\?done=promoted$/);
  assert.equal(await page.getByRole('status').textContent(), 'Made a piece — the author was acknowledged');
  assert.equal(await stateOfPiece(), 'New');
  promotedUrl = page.url().replace(/\?.*$/, '');
  await page.goto(`${base}/desk/inbox`);
  assert.equal(await page.locator('.inbox-row').count(), 0);
});

test('reject asks first; going back leaves the piece as it was', async () => {
  await page.goto(promotedUrl);
  await page.locator('#note-reject').fill('Not for our pages, thank you.');
  await page.getByRole('button', { name: 'Reject' }).click();
  await page.waitForURL(`${promotedUrl}/actions`);
  assert.match(await page.locator('h1').textContent(), /^Reject/);
  assert.match(await page.locator('main').textContent(), /the author is emailed/);
  await page.getByRole('link', { name: 'No, go back' }).click();
  await page.waitForURL(promotedUrl);
  assert.equal(await stateOfPiece(), 'New');
  await page.locator('#note-reject').fill('Not for our pages, thank you.');
  await page.getByRole('button', { name: 'Reject' }).click();
  await page.getByRole('button', { name: 'Yes, reject' }).click();
  await page.waitForURL(`${promotedUrl}?done=reject`);
  assert.equal(await stateOfPiece(), 'Rejected');
  assert.equal(await page.getByRole('status').textContent(), 'Rejected — the author was emailed');
  assert.match(await page.locator('.history').textContent(), /Not for our pages/);
});

test('an admin sees the accounts', async () => {
  await signOut();
  await signIn('admin@desk.example');
  await page.getByRole('link', { name: 'Accounts' }).click();
  await page.waitForURL(`${base}/desk/accounts`);
  for (const role of ['admin', 'editor', 'publisher']) {
    assert.match(await page.locator('table').textContent(), new RegExp(`${role}@desk.example`));
    // Each account's Save says whose it is.
    assert.equal(await page.getByRole('button', { name: `Save ${role}@desk.example`, includeHidden: true }).count(), 1);
  }
});

test('an Arabic piece reads right to left', async () => {
  await page.goto(`${base}/desk/queue`);
  await page.getByRole('link', { name: arabicTitle }).click();
  await page.waitForURL(/\/desk\/pieces\/\d+$/);
  const direction = (selector) =>
    page.locator(selector).evaluate((element) => getComputedStyle(element).direction);
  assert.equal(await direction('#article'), 'rtl');
  assert.equal(await direction('h1'), 'rtl');
  // Read with an Arabic voice: the text says what language it is in.
  assert.equal(await page.locator('h1').getAttribute('lang'), 'ar');
  assert.equal(await page.locator('#article').getAttribute('lang'), 'ar');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'the desk itself is in English');
  // The preview shows it as readers would: its title, byline and text, right to left.
  const arabicUrl = page.url();
  await page.getByRole('link', { name: 'Preview as readers would see it' }).click();
  await page.waitForURL(`${arabicUrl}/preview`);
  assert.equal(await page.locator('#preview h1').textContent(), arabicTitle);
  assert.equal(await page.locator('#preview h1').getAttribute('lang'), 'ar');
  assert.equal(await direction('#preview .article'), 'rtl');
  assert.match(await page.locator('#preview .article').textContent(), /توحيد الميزانية/);
  assert.ok((await page.locator('#preview .byline').textContent()).trim().length > 0, 'a byline');
  await page.screenshot({ path: join(screenshots, 'desk-preview.png') });
  await page.goto(arabicUrl);
  assert.match(await page.locator('#article').textContent(), /توحيد الميزانية/);
});

test('hold, then ask for changes: the piece waits for its author', async () => {
  const arabicUrl = page.url();
  await page.locator('#note-hold').fill('Waiting for the legal desk.');
  await page.getByRole('button', { name: 'Hold' }).click();
  await page.waitForURL(`${arabicUrl}?done=hold`);
  assert.match(await page.getByRole('status').textContent(), /^Held/);
  assert.match(await page.locator('.facts').textContent(), /held once/);
  assert.equal(await page.locator('form[data-action="hold"]').count(), 0, 'held once only');
  await page.getByRole('button', { name: 'Start review' }).click();
  await page.waitForURL(`${arabicUrl}?done=start_review`);
  await page.locator('#note-request_changes').fill('Please shorten the second half.');
  await page.getByRole('button', { name: 'Ask the author for changes' }).click();
  await page.waitForURL(`${arabicUrl}?done=request_changes`);
  assert.equal(await page.getByRole('status').textContent(), 'Changes requested — the author was emailed');
  await page.goto(`${base}/desk/queue`);
  await page.getByRole('link', { name: 'Waiting for the author' }).click();
  await page.waitForURL(/waiting=yes/);
  const rows = page.locator('.piece-row');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().textContent(), /waiting for the author/);
  assert.equal(await rows.first().locator('a').first().textContent(), arabicTitle);
});

test('a form posted without its CSRF token is refused', async () => {
  await page.goto(pieceUrl);
  const notes = await page.locator('.note').count();
  const action = `${pieceUrl}/notes`;
  const without = await context.request.post(action, { form: { body: 'no token' }, maxRedirects: 0 });
  assert.equal(without.status(), 403);
  assert.match(await without.text(), /This form has expired/);
  const forged = await context.request.post(action, {
    form: { body: 'a wrong token', csrf: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    maxRedirects: 0,
  });
  assert.equal(forged.status(), 403);
  await page.reload();
  assert.equal(await page.locator('.note').count(), notes, 'no note was added');
});

test('the desk fits a 360 px screen, and nothing broke the CSP', async () => {
  await page.setViewportSize({ width: 360, height: 740 });
  for (const url of [`${base}/desk/queue`, `${base}/desk/queue?sort=deadline&due=today`, `${pieceUrl}/compare`, pieceUrl, `${pieceUrl}/edit?letter=1`, `${pieceUrl}/preview`, promotedUrl, messageUrl, `${pieceUrl}/edit`, `${base}/desk/inbox`, `${base}/desk/inbox?dismissed=1`, `${base}/desk/accounts`, `${base}/desk/password`]) {
    await page.goto(url);
    // Everything folded open: a long diff or mail must wrap too.
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `${url} is ${width}px wide`);
  }
  const response = await page.goto(pieceUrl);
  assert.match(response.headers()['content-security-policy'], /script-src 'self'/);
  const icon = await context.request.get(`${base}/favicon.ico`);
  assert.equal(icon.status(), 200);
  assert.match(icon.headers()['content-type'], /^image\//);
  assert.deepEqual(cspViolations, []);
  assert.deepEqual(consoleErrors, []);
});
