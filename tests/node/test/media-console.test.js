'use strict';
// The console as a media browser, in headless Chromium: a folder of images and a video shown as thumbnails (made by the
// server's processing on the objects' URLs, loaded lazily), an image's Media tab with its information and the pipeline
// builder, whose preview is checked by its pixels and whose copied link works without a session.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, bucketName, ACCESS_KEY, SECRET_KEY } = require('../lib/server');
const { launchBrowser } = require('../lib/browser');
const { signIn, screenshots } = require('../lib/console-page');
const { png: makePng } = require('../lib/png');

/** A width x height PNG: red on the left half, blue on the right. */
const png = (width, height) => makePng(width, height, (x) => (x < width / 2 ? [255, 0, 0] : [0, 0, 255]));

let server;
let browser;
let page;
let base;
let bucket;

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  base = `http://127.0.0.1:${server.port}`;
  bucket = bucketName('gallery');
  const s3 = server.client();
  await s3.createBucket({ Bucket: bucket }).promise();
  await s3.putObject({ Bucket: bucket, Key: 'album/photo.png', Body: png(640, 480), ContentType: 'image/png' }).promise();
  await s3.putObject({ Bucket: bucket, Key: 'album/wide.png', Body: png(1200, 300), ContentType: 'image/png' }).promise();
  await s3.putObject({ Bucket: bucket, Key: 'album/clip.webm', Body: fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'clip.webm')), ContentType: 'video/webm' }).promise();
  await s3.putObject({ Bucket: bucket, Key: 'album/notes.txt', Body: 'not media', ContentType: 'text/plain' }).promise();
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 860 });
  page.setDefaultTimeout(30000);
  await signIn(page, base, ACCESS_KEY, SECRET_KEY);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function open(hash, selector) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForSelector(selector);
}

test('a folder of images and videos is shown as thumbnails made by the server', async () => {
  await open(`#/bucket/${bucket}?prefix=album/`, 'select#view');
  await page.select('select#view', 'grid');
  await page.waitForSelector('.grid .tile img[data-thumbnail]');
  // Every media tile's picture loads (the browser decodes what the server made); the text file shows its extension.
  const tiles = await page.waitForFunction(() => {
    const imgs = Array.from(document.querySelectorAll('.grid img[data-thumbnail]'));
    return imgs.length === 3 && imgs.every((i) => i.complete && i.naturalWidth > 0)
      && imgs.map((i) => ({ key: i.closest('.tile').dataset.key, kind: i.dataset.thumbnail, w: i.naturalWidth, h: i.naturalHeight, src: i.getAttribute('src'), lazy: i.loading }));
  }, { timeout: 60000 }).then((h) => h.jsonValue());
  const byKey = Object.fromEntries(tiles.map((t) => [t.key, t]));
  assert.equal(byKey['album/photo.png'].kind, 'image');
  assert.equal(byKey['album/clip.webm'].kind, 'video');
  for (const t of tiles) {
    assert.equal(t.lazy, 'lazy', `${t.key} loads lazily`);
    assert.match(t.src, /\?x-xos-process=/);
  }
  // Square thumbnails of 320 pixels (twice the tile, for sharp screens), whatever the source's shape.
  assert.deepEqual([byKey['album/wide.png'].w, byKey['album/wide.png'].h], [320, 320]);
  assert.deepEqual([byKey['album/photo.png'].w, byKey['album/photo.png'].h], [320, 320]);
  assert.ok(byKey['album/clip.webm'].w > 0);
  assert.equal(await page.$eval('.grid .tile[data-key="album/notes.txt"] .tile-ext', (e) => e.textContent), 'TXT');
  // The thumbnail is a few KiB of WebP, not the original, and the browser may keep it (ETag of source and pipeline).
  const res = await page.evaluate(async (src) => {
    const r = await fetch(src, { credentials: 'same-origin' });
    return { status: r.status, type: r.headers.get('content-type'), etag: r.headers.get('etag'), size: (await r.arrayBuffer()).byteLength };
  }, byKey['album/photo.png'].src);
  assert.equal(res.status, 200);
  assert.equal(res.type, 'image/webp');
  assert.ok(res.etag);
  assert.ok(res.size < 20000, `thumbnail of ${res.size} bytes`);
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, 'gallery.png'), fullPage: true });
  await page.select('select#view', 'list');
});

test("an image's media tab shows its information and previews a pipeline, and the copied link works anonymously", async () => {
  await open(`#/object/${bucket}?key=${encodeURIComponent('album/photo.png')}&tab=media`, '[data-media-info="image"]');
  const facts = await page.$eval('[data-media-info="image"]', (dl) => dl.textContent);
  assert.match(facts, /640/);
  assert.match(facts, /480/);
  // The first preset: a 256-pixel square; then a rotation, whose left edge shows what was the top: red still on top-left
  // turns into red on top (rotating by 90 clockwise puts the left half on the top).
  const first = await page.waitForFunction(() => {
    const i = document.querySelector('[data-preview="result"]');
    return i && i.complete && i.naturalWidth > 0 && [i.naturalWidth, i.naturalHeight];
  }).then((h) => h.jsonValue());
  assert.deepEqual(first, [256, 256]);
  await page.$eval('#media-pipeline', (i) => { i.value = ''; });
  await page.type('#media-pipeline', 'image/rotate,90/format,png');
  await page.keyboard.press('Enter');
  const rotated = await page.waitForFunction(() => {
    const i = document.querySelector('[data-preview="result"]');
    if (!i || !i.complete || i.naturalWidth !== 480) return false;
    const c = document.createElement('canvas');
    c.width = i.naturalWidth; c.height = i.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(i, 0, 0);
    return { size: [i.naturalWidth, i.naturalHeight], top: Array.from(g.getImageData(240, 10, 1, 1).data).slice(0, 3),
      bottom: Array.from(g.getImageData(240, 630, 1, 1).data).slice(0, 3) };
  }).then((h) => h.jsonValue());
  assert.deepEqual(rotated.size, [480, 640]);
  assert.deepEqual(rotated.top, [255, 0, 0]);
  assert.deepEqual(rotated.bottom, [0, 0, 255]);
  // A bad pipeline shows S3's own error, naming the parameter.
  await page.$eval('#media-pipeline', (i) => { i.value = ''; });
  await page.type('#media-pipeline', 'image/resize,w_abc');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /InvalidArgument/.test(document.querySelector('form[aria-label="Pipeline builder"]').textContent));
  // The copied link is presigned with the session's key and carries the pipeline after the signature.
  await page.$eval('#media-pipeline', (i) => { i.value = ''; });
  await page.type('#media-pipeline', 'image/resize,w_100');
  await page.evaluate(() => Array.from(document.querySelectorAll('button')).find((b) => b.textContent.startsWith('Copy link')).click());
  const url = await page.waitForFunction(() => document.querySelector('#media-url').value).then((h) => h.jsonValue());
  assert.match(url, /X-Amz-Signature=.*&x-xos-process=image%2Fresize%2Cw_100$/);
  const anonymous = await fetch(url);
  assert.equal(anonymous.status, 200);
  const body = Buffer.from(await anonymous.arrayBuffer());
  assert.equal(body.readUInt32BE(16), 100, 'a PNG 100 pixels wide');
  await page.screenshot({ path: path.join(screenshots, 'media-tab.png'), fullPage: true });
});

test("a video's media tab shows its duration and streams", async () => {
  await open(`#/object/${bucket}?key=${encodeURIComponent('album/clip.webm')}&tab=media`, '[data-media-info="video"], form[aria-label="Pipeline builder"]');
  await page.waitForSelector('[data-media-info="video"]');
  const facts = await page.$eval('[data-media-info="video"]', (dl) => dl.textContent);
  assert.match(facts, /Duration/);
  assert.match(facts, /Stream 0/);
  const poster = await page.waitForFunction(() => {
    const i = document.querySelector('[data-preview="result"]');
    return i && i.complete && i.naturalWidth > 0 && i.naturalWidth;
  }).then((h) => h.jsonValue());
  assert.ok(poster > 0);
});
