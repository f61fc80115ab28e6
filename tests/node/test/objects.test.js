'use strict';
// The guide's object section: putObject (string and file stream), getObject, headObject, copyObject
// (with a URL-encoded Chinese key, as the guide advises), deleteObject, deleteObjects.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, bucketName } = require('../lib/server');

let server;
let s3Client;
let bucket;
before(async () => {
  server = await startServer();
  s3Client = server.client();
  bucket = bucketName('objects');
  await s3Client.createBucket({ Bucket: bucket }).promise();
});
after(async () => { await server.stop(); });

test('putObject of a string with ACL and ContentType, then getObject returns what the guide lists', async () => {
  const params = { Bucket: bucket, Key: 'hello.txt', Body: 'STRING_VALUE', ACL: 'private', ContentType: 'text/plain', Metadata: { author: 'xos' } };
  const put = await s3Client.putObject(params).promise();
  assert.equal(put.ETag, `"${crypto.createHash('md5').update('STRING_VALUE').digest('hex')}"`);
  const data = await s3Client.getObject({ Bucket: bucket, Key: 'hello.txt' }).promise();
  assert.equal(data.Body.toString(), 'STRING_VALUE');
  assert.equal(data.ContentLength, 12);
  assert.equal(data.ContentType, 'text/plain');
  assert.deepEqual(data.Metadata, { author: 'xos' });
  assert.equal(data.ETag, put.ETag);
  assert.ok(data.LastModified instanceof Date);
});

test('putObject with fs.createReadStream uploads the file byte for byte', async () => {
  const file = path.join(os.tmpdir(), `xos-node-${process.pid}-stream.bin`);
  const content = crypto.randomBytes(3 * 1024 * 1024 + 17);
  fs.writeFileSync(file, content);
  try {
    await s3Client.putObject({ Bucket: bucket, Key: 'stream.bin', Body: fs.createReadStream(file), ACL: 'private', ContentType: 'application/octet-stream' }).promise();
    const data = await s3Client.getObject({ Bucket: bucket, Key: 'stream.bin' }).promise();
    assert.equal(Buffer.compare(data.Body, content), 0);
  } finally {
    fs.rmSync(file, { force: true });
  }
});

test('ContentType defaults to application/octet-stream; headObject returns it without a body', async () => {
  await s3Client.putObject({ Bucket: bucket, Key: 'untyped', Body: 'x' }).promise();
  const head = await s3Client.headObject({ Bucket: bucket, Key: 'untyped' }).promise();
  assert.equal(head.ContentType, 'application/octet-stream');
  assert.equal(head.ContentLength, 1);
  assert.equal(head.Body, undefined);
});

test('getObject with a Range returns 206 content', async () => {
  await s3Client.putObject({ Bucket: bucket, Key: 'range.txt', Body: '0123456789' }).promise();
  const data = await s3Client.getObject({ Bucket: bucket, Key: 'range.txt', Range: 'bytes=2-5' }).promise();
  assert.equal(data.Body.toString(), '2345');
  assert.equal(data.ContentRange, 'bytes 2-5/10');
});

test('copyObject with CopySource "bucket/key", the Chinese key URL-encoded as the guide advises', async () => {
  const source = '中文/文件 1.txt';
  await s3Client.putObject({ Bucket: bucket, Key: source, Body: '媒体内容', ContentType: 'text/plain; charset=utf-8' }).promise();
  const params = { Bucket: bucket, Key: '副本.txt', CopySource: `${bucket}/${encodeURIComponent(source)}` };
  const data = await s3Client.copyObject(params).promise();
  assert.ok(data.CopyObjectResult.ETag);
  assert.ok(data.CopyObjectResult.LastModified instanceof Date);
  const copy = await s3Client.getObject({ Bucket: bucket, Key: '副本.txt' }).promise();
  assert.equal(copy.Body.toString(), '媒体内容');
  assert.equal(copy.ContentType, 'text/plain; charset=utf-8');
});

test('copyObject of an ASCII key across buckets', async () => {
  const other = bucketName('copy-target');
  await s3Client.createBucket({ Bucket: other }).promise();
  await s3Client.putObject({ Bucket: bucket, Key: 'plain.txt', Body: 'plain' }).promise();
  await s3Client.copyObject({ Bucket: other, Key: 'plain-copy.txt', CopySource: `${bucket}/plain.txt` }).promise();
  const copy = await s3Client.getObject({ Bucket: other, Key: 'plain-copy.txt' }).promise();
  assert.equal(copy.Body.toString(), 'plain');
});

test('deleteObject removes the key, and deleting a missing key still succeeds', async () => {
  await s3Client.putObject({ Bucket: bucket, Key: 'gone.txt', Body: 'x' }).promise();
  await s3Client.deleteObject({ Bucket: bucket, Key: 'gone.txt' }).promise();
  await assert.rejects(s3Client.headObject({ Bucket: bucket, Key: 'gone.txt' }).promise(), (err) => err.statusCode === 404);
  await s3Client.deleteObject({ Bucket: bucket, Key: 'never-existed.txt' }).promise();
});

test("deleteObjects: the guide's lowercase `key` is rejected by aws-sdk v2 itself; `Key` deletes both objects", async () => {
  await s3Client.putObject({ Bucket: bucket, Key: 'ExampleObject.txt', Body: 'a' }).promise();
  await s3Client.putObject({ Bucket: bucket, Key: 'ExampleObject1.txt', Body: 'b' }).promise();
  const asWritten = { Bucket: bucket, Delete: { Objects: [{ key: 'ExampleObject.txt' }, { key: 'ExampleObject1.txt' }] } };
  await assert.rejects(s3Client.deleteObjects(asWritten).promise(), (err) => ['MultipleValidationErrors', 'MissingRequiredParameter', 'UnexpectedParameter'].includes(err.code) && /Missing required key 'Key'/.test(err.message));
  const corrected = { Bucket: bucket, Delete: { Objects: [{ Key: 'ExampleObject.txt' }, { Key: 'ExampleObject1.txt' }] } };
  const data = await s3Client.deleteObjects(corrected).promise();
  assert.deepEqual(data.Deleted.map((d) => d.Key).sort(), ['ExampleObject.txt', 'ExampleObject1.txt']);
  await assert.rejects(s3Client.headObject({ Bucket: bucket, Key: 'ExampleObject.txt' }).promise(), (err) => err.statusCode === 404);
});
