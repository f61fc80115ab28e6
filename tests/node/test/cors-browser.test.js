'use strict';
// CORS as a browser enforces it: headless Chromium loads a page from another origin that uploads with a
// presigned PUT and reads the object back with fetch. A page from an origin the rules do not allow is blocked.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { startServer, bucketName } = require('../lib/server');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
let server;
let pages;
let bucket;

function servePage(html) {
  return new Promise((resolve) => {
    const srv = http.createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end(html); });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

function pageFor(putUrl, getUrl) {
  return `<!doctype html><html><body><pre id="result">pending</pre><script>
  (async () => {
    let result;
    try {
      const put = await fetch(${JSON.stringify(putUrl)}, { method: 'PUT', body: 'hello from the browser' });
      const etag = put.headers.get('ETag');
      const got = await fetch(${JSON.stringify(getUrl)});
      result = put.status + '|' + etag + '|' + got.status + '|' + (await got.text());
    } catch (e) {
      result = 'blocked: ' + e.name;
    }
    document.getElementById('result').textContent = result;
  })();
  </script></body></html>`;
}

function runChromium(url) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'xos-chromium-'));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--virtual-time-budget=15000', '--dump-dom', url];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, args, { timeout: 60000 }, (err, stdout) => {
      fs.rmSync(profile, { recursive: true, force: true });
      if (err && !stdout) reject(err); else resolve(stdout);
    });
  });
}

const resultOf = (dom) => (dom.match(/<pre id="result">([^<]*)<\/pre>/) || [])[1];

before(async () => {
  server = await startServer();
  const s3 = server.client();
  bucket = bucketName('browser');
  await s3.createBucket({ Bucket: bucket }).promise();
  pages = { allowed: null, other: null };
  pages.allowed = await servePage('');
  pages.other = await servePage('');
  const allowedOrigin = `http://127.0.0.1:${pages.allowed.address().port}`;
  await s3.putBucketCors({ Bucket: bucket, CORSConfiguration: { CORSRules: [{
    AllowedOrigins: [allowedOrigin], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 60,
  }] } }).promise();
  const signer = server.client({ signatureVersion: 'v4' });
  const putUrl = signer.getSignedUrl('putObject', { Bucket: bucket, Key: 'from-browser.txt', Expires: 900 });
  const getUrl = signer.getSignedUrl('getObject', { Bucket: bucket, Key: 'from-browser.txt', Expires: 900 });
  const html = pageFor(putUrl, getUrl);
  for (const srv of [pages.allowed, pages.other]) srv.removeAllListeners('request').on('request', (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(html);
  });
});

after(async () => {
  for (const srv of Object.values(pages || {})) if (srv) srv.close();
  await server.stop();
});

test('a page from an allowed origin uploads with a presigned PUT and reads the object back', async () => {
  const dom = await runChromium(`http://127.0.0.1:${pages.allowed.address().port}/`);
  const [putStatus, etag, getStatus, body] = (resultOf(dom) || '').split('|');
  assert.equal(putStatus, '200', dom);
  assert.match(etag, /^"[0-9a-f]{32}"$/, 'the ETag header is exposed to the page');
  assert.equal(getStatus, '200');
  assert.equal(body, 'hello from the browser');
  const stored = await server.client().getObject({ Bucket: bucket, Key: 'from-browser.txt' }).promise();
  assert.equal(stored.Body.toString(), 'hello from the browser');
});

test('a page from an origin the rules do not name is blocked by the browser', async () => {
  const dom = await runChromium(`http://127.0.0.1:${pages.other.address().port}/`);
  assert.match(resultOf(dom) || '', /^blocked/, dom);
});
