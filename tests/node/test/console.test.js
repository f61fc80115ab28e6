'use strict';
// The web console in a real browser: headless Chromium (Debian's) driven by puppeteer-core against a real xos server,
// doing what a person does: sign in, create a bucket, upload, preview, share, tag, restore a version, delete, change
// bucket settings, administer users; and what must not work: an idle session, a cross-site POST without the CSRF token.
// Screenshots of the main pages go to XOS_CONSOLE_SCREENSHOTS (default: a folder in the system's temp folder).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { startServer, bucketName, request, ACCESS_KEY, SECRET_KEY } = require('../lib/server');
const { launchBrowser } = require('../lib/browser');
const { shot, signIn, openPage, clickText, confirmDialog, layoutProblems } = require('../lib/console-page');
const { png } = require('../lib/png');

const BIG = 20 * 1024 * 1024;
const LARGE = 200 * 1024 * 1024;
// A step that hangs fails with its name instead of holding up the suite.
const STEP_TIMEOUT = 90000;
let server;
let idleServer;
let browser;
let page;
let base;
let files;
let bucket;
let attacker;

async function newPage(b = browser) {
  const p = await b.newPage();
  await p.setViewport({ width: 1280, height: 860 });
  p.setDefaultTimeout(20000);
  return p;
}

const open = (hash, selector) => openPage(page, hash, selector);

/** Whether the server logged a line matching pattern (its log is written in batches, so it is given a moment). */
async function serverSaw(s, pattern) {
  for (let i = 0; i < 40; i++) {
    if (s.output().split('\n').some((line) => pattern.test(line))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

before(async () => {
  [server, idleServer, browser] = await Promise.all([startServer(), startServer({ XOS_CONSOLE_IDLE_SECONDS: '2' }), launchBrowser()]);
  base = `http://127.0.0.1:${server.port}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xos-console-files-'));
  files = {
    dir,
    big: path.join(dir, 'big.bin'),
    image: path.join(dir, 'photo.png'),
    video: path.join(dir, 'clip.webm'),
    text: path.join(dir, 'notes.txt'),
    large: path.join(dir, 'large.bin'),
    folder: path.join(dir, 'album'),
  };
  fs.mkdirSync(path.join(files.folder, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(files.folder, 'cover.txt'), 'cover');
  fs.writeFileSync(path.join(files.folder, 'sub', 'track.txt'), 'track');
  fs.writeFileSync(files.big, crypto.randomBytes(BIG));
  fs.writeFileSync(files.image, png(64, 48));
  fs.copyFileSync(path.join(__dirname, '..', 'fixtures', 'clip.webm'), files.video);
  fs.writeFileSync(files.text, 'notes from the console test\n');
  // Sparse: 200 MiB on the file system's word, read by the browser slice by slice like any other file.
  fs.closeSync(fs.openSync(files.large, 'w'));
  fs.truncateSync(files.large, LARGE);
  // A page on another port of the same host: the same site as the console (ports do not make sites), so the browser
  // sends the SameSite=Strict cookie with its requests, and only the CSRF token can tell them from the console's.
  attacker = http.createServer((req, res) => {
    const target = decodeURIComponent(req.url.slice(1));
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<!doctype html><body><form id="f" method="POST" enctype="text/plain" action="${target}">
      <input name='<Delete><Object><Key>big.bin</Key></Object></Delete><!--' value='-->'></form>
      <script>
        fetch(${JSON.stringify(`${base}/_xos/console/api/sign-out`)}, { method: 'POST', mode: 'no-cors', credentials: 'include' })
          .finally(() => document.getElementById('f').submit());
      </script></body>`);
  });
  await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  page = await newPage();
});

after(async () => {
  if (browser) await browser.close();
  if (attacker) attacker.close();
  await Promise.all([server && server.stop(), idleServer && idleServer.stop()]);
  if (files) fs.rmSync(files.dir, { recursive: true, force: true });
});

test('a browser opening / is sent to the console; an S3 client is answered as before', { timeout: STEP_TIMEOUT }, async () => {
  const response = await page.goto(`${base}/`);
  assert.equal(new URL(page.url()).pathname, '/_xos/console/');
  assert.match(response.headers()['content-security-policy'], /script-src 'self'/);
  await page.waitForSelector('input[name=accessKey]');
  await shot(page, 'sign-in');
  const s3Answer = await request(`${base}/`);
  assert.equal(s3Answer.status, 403);
  assert.match(s3Answer.body.toString(), /<Code>AccessDenied<\/Code>/);
});

test('root signs in and creates a bucket', { timeout: STEP_TIMEOUT }, async () => {
  await signIn(page, base, ACCESS_KEY, SECRET_KEY);
  await page.waitForSelector('input[name=bucket]');
  bucket = bucketName('console');
  await page.type('input[name=bucket]', bucket);
  await clickText(page, 'button', 'Create bucket');
  await page.waitForSelector(`tr[data-bucket="${bucket}"]`);
  const buckets = await server.client().listBuckets().promise();
  assert.ok(buckets.Buckets.some((b) => b.Name === bucket));
  assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0], 'nothing is kept in browser storage');
  const cookies = await page.cookies();
  const session = cookies.find((c) => c.name === 'xos_console');
  assert.ok(session.httpOnly && session.sameSite === 'Strict', JSON.stringify(session));
  await shot(page, 'buckets');
});

test('files uploaded through the file input show their progress; a 20 MB file goes as a multipart upload', { timeout: STEP_TIMEOUT }, async () => {
  await open(`#/bucket/${bucket}`, '#upload-files');
  await page.evaluate(() => {
    window.seen = [];
    setInterval(() => {
      const bar = document.querySelector('li[data-upload="big.bin"] progress');
      if (bar) window.seen.push(bar.value / bar.max);
    }, 5);
  });
  const input = await page.$('#upload-files');
  await input.uploadFile(files.big, files.image, files.video, files.text);
  await page.waitForFunction(() => document.querySelectorAll('#upload-list li.done').length === 4, { timeout: 60000 });
  const seen = await page.evaluate(() => window.seen);
  assert.ok(seen.some((v) => v > 0 && v < 1), `progress between 0 and 100% was shown (${seen.length} samples)`);
  assert.equal(seen[seen.length - 1], 1);
  const head = await server.client().headObject({ Bucket: bucket, Key: 'big.bin' }).promise();
  assert.equal(head.ContentLength, BIG);
  assert.match(head.ETag, /-3"$/, 'three parts of 8 MiB');
  assert.equal(head.CacheControl, undefined, 'the console adds no headers of its own to what it stores');
  const video = await server.client().headObject({ Bucket: bucket, Key: 'clip.webm' }).promise();
  assert.equal(video.ContentType, 'video/webm');
  await page.waitForSelector('tr[data-key="big.bin"]');
});

test('a 200 MiB upload can be cancelled, which aborts its multipart upload, and then completes in 25 parts', { timeout: STEP_TIMEOUT }, async () => {
  const input = await page.$('#upload-files');
  await page.evaluate(() => { for (const li of document.querySelectorAll('#upload-list li')) li.remove(); });
  await input.uploadFile(files.large);
  await page.waitForFunction(() => {
    const bar = document.querySelector('li[data-upload="large.bin"] progress');
    return bar && bar.value > bar.max * 0.05;
  }, { timeout: 60000 });
  await page.click('li[data-upload="large.bin"] button[aria-label^=Cancel]');
  await page.waitForSelector('li[data-upload="large.bin"].cancelled');
  const s3 = server.client();
  for (let i = 0; i < 50 && (await s3.listMultipartUploads({ Bucket: bucket }).promise()).Uploads.length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual((await s3.listMultipartUploads({ Bucket: bucket }).promise()).Uploads, []);
  await assert.rejects(s3.headObject({ Bucket: bucket, Key: 'large.bin' }).promise(), { code: 'NotFound' });

  await page.evaluate(() => { for (const li of document.querySelectorAll('#upload-list li')) li.remove(); });
  await input.uploadFile(files.large);
  await page.waitForSelector('li[data-upload="large.bin"].done', { timeout: 120000 });
  const head = await s3.headObject({ Bucket: bucket, Key: 'large.bin' }).promise();
  assert.equal(head.ContentLength, LARGE);
  assert.match(head.ETag, /-25"$/);
  await s3.deleteObject({ Bucket: bucket, Key: 'large.bin' }).promise();
});

test('a folder from the folder picker keeps its paths; a file dropped on a folder lands in it; search finds by prefix', { timeout: STEP_TIMEOUT }, async () => {
  const picker = await page.$('#upload-folder');
  await picker.uploadFile(files.folder);
  await page.waitForSelector('li[data-upload="album/sub/track.txt"].done');
  await page.waitForSelector('li[data-upload="album/cover.txt"].done');
  await (await page.waitForSelector('tr[data-prefix="album/"] a')).click();
  await page.waitForSelector('tr[data-prefix="album/sub/"]');
  assert.deepEqual(await page.$$eval('nav[aria-label=Breadcrumbs] li', (l) => l.map((e) => e.textContent)), ['Buckets', bucket, 'album']);
  await page.evaluate(() => {
    const dropped = new DataTransfer();
    dropped.items.add(new File(['dropped on the page'], 'dropped.txt', { type: 'text/plain' }));
    document.querySelector('main > div').dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true }));
  });
  await page.waitForSelector('li[data-upload="album/dropped.txt"].done');
  await page.waitForSelector('tr[data-key="album/dropped.txt"]');
  const listed = await server.client().listObjectsV2({ Bucket: bucket, Prefix: 'album/' }).promise();
  assert.deepEqual(listed.Contents.map((c) => c.Key), ['album/cover.txt', 'album/dropped.txt', 'album/sub/track.txt']);
  await open(`#/bucket/${bucket}`, 'input[name=search]');
  await page.type('input[name=search]', 'cl');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('tr[data-key], tr[data-prefix]').length === 1 && document.querySelector('tr[data-key="clip.webm"]'));
  await open(`#/bucket/${bucket}`, 'tr[data-prefix="album/"]');
  await shot(page, 'objects');
});

test('an image preview is shown from the object itself', { timeout: STEP_TIMEOUT }, async () => {
  await open(`#/object/${bucket}?key=photo.png`, 'img[data-preview=image]');
  const width = await page.waitForFunction(() => {
    const img = document.querySelector('img[data-preview=image]');
    return img.complete && img.naturalWidth;
  });
  assert.equal(await width.jsonValue(), 64);
  await shot(page, 'object-image');
});

test('a video preview plays and seeks, streamed with Range requests', { timeout: STEP_TIMEOUT }, async () => {
  await open(`#/object/${bucket}?key=clip.webm`, 'video[data-preview=video]');
  await page.evaluate(() => {
    const v = document.querySelector('video');
    v.muted = true;
    v.play().catch(() => {});
  });
  await page.waitForFunction(() => document.querySelector('video').readyState >= 2);
  const position = await page.evaluate(() => new Promise((resolve, reject) => {
    const v = document.querySelector('video');
    v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
    setTimeout(() => reject(new Error(`no seek: readyState ${v.readyState}, error ${v.error && v.error.message}`)), 15000);
    v.currentTime = 4.5;
  }));
  assert.ok(Math.abs(position - 4.5) < 0.6, `seeked to ${position}`);
  assert.ok(await serverSaw(server, new RegExp(`GET ${bucket} clip\\.webm 206 `)), 'the server answered the video with partial content');
  await shot(page, 'object-video');
});

test('a text preview shows the object, and a share link opens in a fresh browser context, without the session', { timeout: STEP_TIMEOUT }, async () => {
  await open(`#/object/${bucket}?key=notes.txt`, 'pre[data-preview=text]');
  await page.waitForFunction(() => document.querySelector('pre[data-preview=text]').textContent === 'notes from the console test\n');
  await open(`#/object/${bucket}?key=notes.txt&tab=share`, '#share-expiry');
  await page.select('#share-expiry', '900');
  await clickText(page, 'button', 'Create link');
  const link = await (await page.waitForSelector('#share-url')).evaluate((e) => e.value);
  assert.match(link, /X-Amz-Signature=/);
  assert.match(link, /X-Amz-Expires=900/);
  await shot(page, 'object-share');
  const context = await browser.createBrowserContext();
  try {
    const stranger = await context.newPage();
    const response = await stranger.goto(link);
    assert.equal(response.status(), 200);
    assert.equal(await response.text(), 'notes from the console test\n');
    assert.equal((await stranger.cookies(base)).length, 0);
  } finally {
    await context.close();
  }
});

test('tags are edited and saved', { timeout: STEP_TIMEOUT }, async () => {
  await open(`#/object/${bucket}?key=notes.txt&tab=tags`, 'form[aria-label=Tags]');
  await clickText(page, 'button', 'Add tag');
  await page.type('[data-tag-key]', 'project');
  await page.type('[data-tag-value]', 'xos console');
  await clickText(page, 'button', 'Save tags');
  await page.waitForFunction(() => Array.from(document.querySelectorAll('.toast')).some((t) => t.textContent === 'Tags saved'));
  const tags = await server.client().getObjectTagging({ Bucket: bucket, Key: 'notes.txt' }).promise();
  assert.deepEqual(tags.TagSet, [{ Key: 'project', Value: 'xos console' }]);
});

test('the public toggle lets anyone read the object, and takes it back', { timeout: STEP_TIMEOUT }, async () => {
  const url = `${base}/${bucket}/notes.txt`;
  await open(`#/object/${bucket}?key=notes.txt&tab=access`, 'table');
  assert.equal((await request(url)).status, 403);
  await clickText(page, 'button', 'Make public');
  await page.waitForFunction(() => Array.from(document.querySelectorAll('td')).some((t) => t.textContent === 'Everyone (AllUsers)'));
  assert.equal((await request(url)).status, 200);
  await clickText(page, 'button', 'Make private');
  await page.waitForFunction(() => !Array.from(document.querySelectorAll('td')).some((t) => t.textContent === 'Everyone (AllUsers)'));
  assert.equal((await request(url)).status, 403);
});

test('versioning is enabled in the settings and an older version is restored', { timeout: STEP_TIMEOUT }, async () => {
  await open(`#/bucket/${bucket}/settings`, '#versioning-status');
  await page.select('#versioning-status', 'Enabled');
  await clickText(page, 'button', 'Save versioning');
  await page.waitForFunction(() => document.querySelector('#versioning-title .badge').textContent === 'Enabled');
  const s3 = server.client();
  const first = await s3.putObject({ Bucket: bucket, Key: 'doc.txt', Body: 'first draft' }).promise();
  await s3.putObject({ Bucket: bucket, Key: 'doc.txt', Body: 'second draft' }).promise();
  await open(`#/object/${bucket}?key=doc.txt&tab=versions`, `tr[data-version="${first.VersionId}"]`);
  await page.click(`tr[data-version="${first.VersionId}"] button[aria-label^=Restore]`);
  await page.waitForSelector('dialog[open] button.danger');
  await page.click('dialog[open] button.danger');
  await page.waitForFunction(() => document.querySelectorAll('tr[data-version]').length === 3);
  await shot(page, 'object-versions');
  const current = await s3.getObject({ Bucket: bucket, Key: 'doc.txt' }).promise();
  assert.equal(current.Body.toString(), 'first draft');

  // Deleted: a delete marker hides it from the listing, but not from "show deleted objects", whence it is restored.
  await s3.deleteObject({ Bucket: bucket, Key: 'doc.txt' }).promise();
  await open(`#/bucket/${bucket}`, '#show-deleted');
  assert.equal(await page.$('tr[data-key="doc.txt"]'), null);
  await page.click('#show-deleted');
  await (await page.waitForSelector('tr[data-key="doc.txt"][data-deleted] a')).click();
  await page.waitForFunction(() => document.querySelectorAll('tr[data-version]').length === 4 && document.querySelector('.badge:not(.on)'));
  assert.match(await page.$eval('tr[data-version]', (e) => e.textContent), /delete marker/);
  await page.click('tr[data-version]:nth-child(3) button[aria-label^=Restore]');
  await confirmDialog(page);
  await page.waitForFunction(() => document.querySelectorAll('tr[data-version]').length === 5);
  assert.equal((await s3.getObject({ Bucket: bucket, Key: 'doc.txt' }).promise()).Body.toString(), 'second draft');
});

test('objects and a folder chosen with their checkboxes are deleted after confirmation', { timeout: STEP_TIMEOUT }, async () => {
  await open(`#/bucket/${bucket}`, 'tr[data-key="photo.png"]');
  await page.click('tr[data-key="photo.png"] input[type=checkbox]');
  await page.click('tr[data-key="notes.txt"] input[type=checkbox]');
  await page.click('tr[data-prefix="album/"] input[type=checkbox]');
  await clickText(page, 'button', 'Delete selected');
  await confirmDialog(page);
  await page.waitForFunction(() => !document.querySelector('tr[data-key="photo.png"]') && !document.querySelector('tr[data-prefix="album/"]'));
  const listed = await server.client().listObjectsV2({ Bucket: bucket }).promise();
  assert.deepEqual(listed.Contents.map((c) => c.Key).sort(), ['big.bin', 'clip.webm', 'doc.txt']);
});

test('bucket settings are saved through S3, and a refusal shows the S3 error', { timeout: STEP_TIMEOUT }, async () => {
  await open(`#/bucket/${bucket}/settings`, '[data-save=cors]');
  await clickText(page, 'button', 'Add rule');
  await page.type('section[aria-labelledby=cors-title] textarea', 'https://app.example');
  await page.click('[data-save=cors]');
  await page.waitForFunction(() => document.querySelector('#cors-title .badge').textContent === 'set');
  const corsRules = await server.client().getBucketCors({ Bucket: bucket }).promise();
  assert.deepEqual(corsRules.CORSRules[0].AllowedOrigins, ['https://app.example']);

  const lifecycle = 'section[aria-labelledby=lifecycle-title]';
  await page.click(`${lifecycle} [role=tab]:nth-child(2)`);
  await page.$eval('#lifecycle-text', (t) => { t.value = '<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule></LifecycleConfiguration>'; });
  await page.click('[data-save=lifecycle]');
  const alert = await page.waitForSelector(`${lifecycle} [role=alert]`);
  const message = await alert.evaluate((e) => e.textContent);
  assert.match(message, /^InvalidArgument/);
  assert.doesNotMatch(message, /<|RequestId/);

  await clickText(page, 'button', 'Add statement');
  await page.click('[data-save=policy]');
  await page.waitForFunction(() => document.querySelector('#policy-title .badge').textContent === 'set');
  const policy = JSON.parse((await server.client().getBucketPolicy({ Bucket: bucket }).promise()).Policy);
  assert.deepEqual(policy.Statement[0].Action, ['s3:GetObject']);
  await shot(page, 'bucket-settings');
});

test('root adds a notification target; the bucket settings show its notification rules and refuse an unknown one', { timeout: STEP_TIMEOUT }, async () => {
  await open('#/admin/notify', 'input[name=target]');
  await page.type('input[name=target]', 'console');
  await page.$eval('textarea[name=settings]', (t) => { t.value = 'http://127.0.0.1:9/events\ntoken=console-secret'; });
  await clickText(page, 'button', 'Save target');
  const row = await page.waitForSelector('tr[data-target="arn:xos:sqs::console:webhook"]');
  const shown = await row.evaluate((e) => e.textContent);
  assert.match(shown, /token=\(set\)/);
  assert.doesNotMatch(shown, /console-secret/);

  const section = 'section[aria-labelledby=notifications-title]';
  await open(`#/bucket/${bucket}/settings`, '[data-notifications=none]');
  // Root is offered the targets it configured.
  await page.waitForSelector(`${section} datalist option[value="arn:xos:sqs::console:webhook"]`);
  // A rule to a destination nobody configured: the server's own error, at the form.
  await page.type('input[name=rule-destination]', 'arn:xos:sqs::nobody:webhook');
  await page.type('input[name=rule-id]', 'console-rule');
  await clickText(page, 'button', 'Add notification rule');
  assert.match(await (await page.waitForSelector(`${section} [role=alert]`)).evaluate((e) => e.textContent), /^InvalidArgument.*Unable to validate/);
  assert.equal((await server.client().getBucketNotificationConfiguration({ Bucket: bucket }).promise()).QueueConfigurations.length, 0);
  // The form's rule: the destination, two events, a prefix and a suffix, as AWS's SDK reads them back.
  await page.$eval('input[name=rule-destination]', (i) => { i.value = ''; });
  await page.type('input[name=rule-destination]', 'arn:xos:sqs::console:webhook');
  await page.click('input[name=rule-event][value="s3:ObjectRemoved:Delete"]');
  await page.type('input[name=rule-prefix]', 'videos/');
  await page.type('input[name=rule-suffix]', '.mp4');
  await clickText(page, 'button', 'Add notification rule');
  await page.waitForSelector('tr[data-notification="console-rule"]');
  const saved = await server.client().getBucketNotificationConfiguration({ Bucket: bucket }).promise();
  assert.equal(saved.QueueConfigurations.length, 1);
  const [queue] = saved.QueueConfigurations;
  assert.equal(queue.Id, 'console-rule');
  assert.equal(queue.QueueArn, 'arn:xos:sqs::console:webhook');
  assert.deepEqual(queue.Events.sort(), ['s3:ObjectCreated:*', 's3:ObjectRemoved:Delete']);
  assert.deepEqual(queue.Filter.Key.FilterRules.map((r) => `${r.Name.toLowerCase()}=${r.Value}`).sort(), ['prefix=videos/', 'suffix=.mp4']);
  // The form was cleared for the next rule, and the document under "Edit as XML" is the saved one.
  assert.equal(await page.$eval('input[name=rule-destination]', (i) => i.value), '');
  assert.deepEqual(await page.$$eval('input[name=rule-event]:checked', (boxes) => boxes.map((b) => b.value)), ['s3:ObjectCreated:*']);
  await clickText(page, 'summary', 'Edit as XML');
  assert.match(await page.$eval('textarea[name=notification]', (t) => t.value), /<Id>console-rule<\/Id>/);
  await shot(page, 'bucket-notifications');
  // Remove, after confirmation, leaves no rule.
  await page.click('button[aria-label="Remove rule console-rule"]');
  await confirmDialog(page);
  await page.waitForSelector('[data-notifications=none]');
  assert.equal((await server.client().getBucketNotificationConfiguration({ Bucket: bucket }).promise()).QueueConfigurations.length, 0);
  // The target answers nothing: the rule goes again, so later steps queue no events for it.
  await server.client().putBucketNotificationConfiguration({ Bucket: bucket, NotificationConfiguration: {} }).promise();
});

test('root creates a user and a role trusting them; the user signs in and sees only their own buckets', { timeout: STEP_TIMEOUT }, async () => {
  await open('#/admin/overview', '.cards .card');
  await page.waitForFunction(() => document.querySelector('.cards').textContent.includes('Requests per second'));
  await shot(page, 'overview');
  await open('#/admin/users', 'input[name=user]');
  const user = `alice-${process.pid}`;
  await page.type('input[name=user]', user);
  await clickText(page, 'button', 'Create user');
  await page.waitForSelector('#created-secret-key');
  const accessKey = await page.$eval('#created-access-key', (e) => e.value);
  const secretKey = await page.$eval('#created-secret-key', (e) => e.value);
  await shot(page, 'users');
  await clickText(page, 'dialog[open] button', 'Done');
  await page.waitForSelector(`tr[data-user="${user}"]`);
  await open('#/admin/roles', `select[name=trust] option[value="${user}"]`);
  await page.type('input[name=role]', 'uploader');
  await page.$eval('textarea[name=policy]', (t) => { t.value = '{"Statement": "not a policy"}'; });
  await clickText(page, 'button', 'Save role');
  assert.match(await (await page.waitForSelector('form[aria-label^=Create] [role=alert]')).evaluate((e) => e.textContent), /^InvalidRequest.*policy/);
  await page.$eval('textarea[name=policy]', (t) => { t.value = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }] }); });
  await page.select('select[name=trust]', user);
  await clickText(page, 'button', 'Save role');
  await page.waitForSelector('tr[data-role="uploader"]');
  assert.equal(await page.$eval('tr[data-role="uploader"] td:nth-child(2)', (e) => e.textContent), user);
  await clickText(page, 'button', 'Sign out');
  await page.waitForSelector('input[name=accessKey]');

  await signIn(page, base, accessKey, secretKey);
  await page.waitForSelector('input[name=bucket]');
  assert.equal(await page.$(`tr[data-bucket="${bucket}"]`), null, "root's bucket is not listed");
  assert.equal(await page.$eval('[data-admin]', (e) => e.hidden), true, 'no admin pages');
  const own = bucketName('alice');
  await page.type('input[name=bucket]', own);
  await clickText(page, 'button', 'Create bucket');
  await page.waitForSelector(`tr[data-bucket="${own}"]`);
  assert.equal(await page.$$eval('tr[data-bucket]', (rows) => rows.length), 1);
  await open(`#/bucket/${bucket}`, '[role=alert]');
  assert.match(await page.$eval('[role=alert]', (e) => e.textContent), /^AccessDenied/);
  await clickText(page, 'button', 'Sign out');
  await page.waitForSelector('input[name=accessKey]');
});

test('a session left idle is sent back to sign-in', { timeout: STEP_TIMEOUT }, async () => {
  const origin = `http://127.0.0.1:${idleServer.port}`;
  const p = await newPage();
  try {
    await signIn(p, origin, ACCESS_KEY, SECRET_KEY);
    await p.waitForSelector('input[name=bucket]');
    await new Promise((r) => setTimeout(r, 3000));
    await p.type('input[name=bucket]', 'too-late');
    await clickText(p, 'button', 'Create bucket');
    await p.waitForSelector('input[name=accessKey]');
    assert.match(await p.$eval('.notice', (e) => e.textContent), /expired/);
    const buckets = await idleServer.client().listBuckets().promise();
    assert.equal(buckets.Buckets.length, 0);
  } finally {
    await p.close();
  }
});

test('a POST from another page of the same site, without the CSRF token, is refused', { timeout: STEP_TIMEOUT }, async () => {
  await signIn(page, base, ACCESS_KEY, SECRET_KEY);
  const target = `${base}/${bucket}?delete`;
  const evil = await newPage();
  try {
    const forged = evil.waitForResponse((r) => r.url() === target && r.request().method() === 'POST');
    await evil.goto(`http://127.0.0.1:${attacker.address().port}/${encodeURIComponent(target)}`);
    assert.equal((await forged).status(), 403);
  } finally {
    await evil.close();
  }
  assert.ok(await serverSaw(server, new RegExp(`POST ${bucket} - 403 `)), 'the forged DeleteObjects reached the server and was refused');
  await server.client().headObject({ Bucket: bucket, Key: 'big.bin' }).promise();
  await open('#/buckets', `tr[data-bucket="${bucket}"]`);
  assert.equal(await page.$('input[name=accessKey]'), null, 'the forged sign-out did not end the session');
});

test('at a phone width, in dark mode, every control is labelled and nothing overflows', { timeout: STEP_TIMEOUT }, async () => {
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await page.setViewport({ width: 375, height: 740 });
  for (const [name, hash, selector] of [['buckets', '#/buckets', 'tr[data-bucket]'], ['objects', `#/bucket/${bucket}`, 'tr[data-key]'],
    ['object', `#/object/${bucket}?key=clip.webm`, 'dl.props'], ['settings', `#/bucket/${bucket}/settings`, '#cors-title'],
    ['users', '#/admin/users', 'tr[data-user]'], ['roles', '#/admin/roles', 'textarea[name=policy]'],
    ['notify', '#/admin/notify', 'tr[data-target]']]) {
    await open(hash, selector);
    const { width, unlabelled } = await layoutProblems(page);
    assert.ok(width <= 375, `${hash} is ${width}px wide`);
    assert.deepEqual(unlabelled, [], `unlabelled controls on ${hash}`);
    await shot(page, `phone-dark-${name}`);
  }
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = background.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 120, `dark background (${background})`);
});
