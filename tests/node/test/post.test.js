'use strict';
// The guide's POST upload: createPresignedPost, then the HTML form's fields posted as multipart/form-data
// (Node's FormData, encoded as a browser would), with the file as the last field.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer, bucketName } = require('../lib/server');

let server;
let s3Client;
let bucket;
before(async () => {
  server = await startServer();
  s3Client = server.client();
  bucket = bucketName('post');
  await s3Client.createBucket({ Bucket: bucket }).promise();
});
after(async () => { await server.stop(); });

const presign = (params) => new Promise((resolve, reject) =>
  s3Client.createPresignedPost(params, (err, data) => (err ? reject(err) : resolve(data))));

// The guide's form: the returned fields as hidden inputs, then the file input last.
async function submit(data, content, extraFields = {}, fileName = 'photo.jpg') {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...data.fields, ...extraFields })) form.append(name, value);
  form.append('file', new Blob([content]), fileName);
  const url = data.url.replace('//localhost:', '//127.0.0.1:');
  const response = await fetch(url, { method: 'POST', body: form, redirect: 'manual' });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

test("the guide's createPresignedPost example uploads through the form", async () => {
  const key = 'uploads/photo.jpg';
  const params = { Bucket: bucket, Fields: { key }, Conditions: [['starts-with', '$key', key]], Expires: 900 };
  const data = await presign(params);
  assert.ok(data.fields.Policy && data.fields['X-Amz-Signature'] && data.fields['X-Amz-Credential']);
  const content = crypto.randomBytes(100000);
  const result = await submit(data, content);
  assert.equal(result.status, 204, result.body);
  assert.equal(result.headers.get('etag'), `"${crypto.createHash('md5').update(content).digest('hex')}"`);
  const got = await s3Client.getObject({ Bucket: bucket, Key: key }).promise();
  assert.equal(Buffer.compare(got.Body, content), 0);
});

test('the commented-out conditions of the guide: acl, Content-Type prefix and content-length-range', async () => {
  const params = {
    Bucket: bucket,
    // createPresignedPost turns every field into an exact condition, and S3 checks the key after replacing ${filename}:
    // a ${filename} key needs a starts-with condition of its own (see the test after it), not a field.
    Fields: { key: 'images/cat.jpg', acl: 'public-read', 'Content-Type': 'image/jpeg', success_action_status: '201', 'x-amz-meta-camera': 'a7' },
    Conditions: [['starts-with', '$key', 'images/'], { acl: 'public-read' }, ['starts-with', '$Content-Type', 'image/jpeg'],
      ['content-length-range', 10, 1024], { success_action_status: '201' }, ['starts-with', '$x-amz-meta-camera', '']],
    Expires: 900,
  };
  const data = await presign(params);
  const ok = await submit(data, Buffer.alloc(500, 1), {}, 'cat.jpg');
  assert.equal(ok.status, 201, ok.body);
  assert.match(ok.body, /<Key>images\/cat.jpg<\/Key>/);
  const head = await s3Client.headObject({ Bucket: bucket, Key: 'images/cat.jpg' }).promise();
  assert.equal(head.ContentType, 'image/jpeg');
  assert.equal(head.Metadata.camera, 'a7');
  const anonymous = await fetch(`http://127.0.0.1:${server.port}/${bucket}/images/cat.jpg`);
  assert.equal(anonymous.status, 200, 'the acl field made it public-read');

  const tooBig = await submit(data, Buffer.alloc(2000, 1), {}, 'big.jpg');
  assert.equal(tooBig.status, 400);
  assert.match(tooBig.body, /EntityTooLarge/);
  const tooSmall = await submit(data, Buffer.alloc(5, 1), {}, 'small.jpg');
  assert.match(tooSmall.body, /EntityTooSmall/);
  const wrongType = await submit(data, Buffer.alloc(500, 1), { 'Content-Type': 'text/html' }, 'x.jpg');
  assert.equal(wrongType.status, 403);
  assert.match(wrongType.body, /AccessDenied/);
});

test('a ${filename} key takes the name of the uploaded file and is checked after the replacement', async () => {
  const data = await presign({ Bucket: bucket, Conditions: [['starts-with', '$key', 'images/']], Expires: 900 });
  const ok = await submit(data, Buffer.from('woof'), { key: 'images/${filename}' }, 'dog.jpg');
  assert.equal(ok.status, 204, ok.body);
  const got = await s3Client.getObject({ Bucket: bucket, Key: 'images/dog.jpg' }).promise();
  assert.equal(got.Body.toString(), 'woof');
  const outside = await submit(data, Buffer.from('woof'), { key: '${filename}' }, 'dog.jpg');
  assert.equal(outside.status, 403, outside.body);
});

test('an expired or tampered policy, or a field the policy does not name, is AccessDenied', async () => {
  const expired = await presign({ Bucket: bucket, Fields: { key: 'late.txt' }, Expires: 1 });
  await new Promise((r) => setTimeout(r, 2100));
  const late = await submit(expired, Buffer.from('late'));
  assert.equal(late.status, 403);
  assert.match(late.body, /Policy expired/);

  const data = await presign({ Bucket: bucket, Fields: { key: 'fine.txt' }, Expires: 900 });
  const extra = await submit(data, Buffer.from('x'), { 'x-amz-meta-sneaky': 'yes' });
  assert.equal(extra.status, 403);
  assert.match(extra.body, /Extra input fields/);
  const tampered = await submit({ ...data, fields: { ...data.fields, key: 'other.txt' } }, Buffer.from('x'));
  assert.equal(tampered.status, 403);
  const forged = await submit({ ...data, fields: { ...data.fields, 'X-Amz-Signature': '0'.repeat(64) } }, Buffer.from('x'));
  assert.equal(forged.status, 403);
  assert.match(forged.body, /SignatureDoesNotMatch/);
});

test('a success_action_redirect answers 303 with the bucket, key and ETag', async () => {
  const data = await presign({
    Bucket: bucket,
    Fields: { key: 'redirected.txt', success_action_redirect: 'http://app.example.com/done' },
    Conditions: [{ success_action_redirect: 'http://app.example.com/done' }],
    Expires: 900,
  });
  const result = await submit(data, Buffer.from('hello'));
  assert.equal(result.status, 303);
  assert.match(result.headers.get('location'), /^http:\/\/app\.example\.com\/done\?bucket=.*&key=redirected\.txt&etag=/);
});
