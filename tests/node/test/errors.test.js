'use strict';
// Error answers as aws-sdk v2 sees them: code, HTTP status and request id.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, bucketName, ACCESS_KEY } = require('../lib/server');

let server;
let s3Client;
let bucket;
before(async () => {
  server = await startServer();
  s3Client = server.client();
  bucket = bucketName('errors');
  await s3Client.createBucket({ Bucket: bucket }).promise();
});
after(async () => { await server.stop(); });

const rejectsWith = (promise, code, status) => assert.rejects(promise, (err) => {
  assert.equal(err.code, code);
  assert.equal(err.statusCode, status);
  assert.ok(err.requestId, 'the error carries the request id');
  return true;
});

test('a wrong secret is SignatureDoesNotMatch (403)', async () => {
  const wrong = server.client({ credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: 'not-the-secret' } });
  await rejectsWith(wrong.listObjects({ Bucket: bucket }).promise(), 'SignatureDoesNotMatch', 403);
});

test('an unknown access key is InvalidAccessKeyId (403)', async () => {
  const unknown = server.client({ credentials: { accessKeyId: 'AKIDUNKNOWNKEY000000', secretAccessKey: 'whatever' } });
  await rejectsWith(unknown.listObjects({ Bucket: bucket }).promise(), 'InvalidAccessKeyId', 403);
});

test('a missing bucket is NoSuchBucket (404)', async () => {
  await rejectsWith(s3Client.listObjects({ Bucket: bucketName('absent') }).promise(), 'NoSuchBucket', 404);
  await rejectsWith(s3Client.putObject({ Bucket: bucketName('absent'), Key: 'k', Body: 'x' }).promise(), 'NoSuchBucket', 404);
});

test('a missing key is NoSuchKey (404) on getObject and NotFound (404) on headObject', async () => {
  await rejectsWith(s3Client.getObject({ Bucket: bucket, Key: 'absent' }).promise(), 'NoSuchKey', 404);
  await assert.rejects(s3Client.headObject({ Bucket: bucket, Key: 'absent' }).promise(), (err) => err.statusCode === 404 && err.code === 'NotFound');
});

test('a key of 1025 bytes is KeyTooLongError (400); 1024 bytes is accepted', async () => {
  await s3Client.putObject({ Bucket: bucket, Key: 'k'.repeat(1024), Body: 'x' }).promise();
  await rejectsWith(s3Client.putObject({ Bucket: bucket, Key: 'k'.repeat(1025), Body: 'x' }).promise(), 'KeyTooLongError', 400);
});

test('a wrong Content-MD5 is BadDigest (400) and stores nothing', async () => {
  await rejectsWith(s3Client.putObject({ Bucket: bucket, Key: 'digest', Body: 'hello', ContentMD5: '1B2M2Y8AsgTpgAmY7PhCfg==' }).promise(), 'BadDigest', 400);
  await assert.rejects(s3Client.headObject({ Bucket: bucket, Key: 'digest' }).promise(), (err) => err.statusCode === 404);
});

test('completing with a wrong part ETag is InvalidPart; an unknown upload id is NoSuchUpload', async () => {
  const created = await s3Client.createMultipartUpload({ Bucket: bucket, Key: 'parts' }).promise();
  await s3Client.uploadPart({ Bucket: bucket, Key: 'parts', PartNumber: 1, UploadId: created.UploadId, Body: 'x' }).promise();
  await rejectsWith(s3Client.completeMultipartUpload({ Bucket: bucket, Key: 'parts', UploadId: created.UploadId,
    MultipartUpload: { Parts: [{ ETag: '"00000000000000000000000000000000"', PartNumber: 1 }] } }).promise(), 'InvalidPart', 400);
  await rejectsWith(s3Client.uploadPart({ Bucket: bucket, Key: 'parts', PartNumber: 1, UploadId: 'no-such-upload', Body: 'x' }).promise(), 'NoSuchUpload', 404);
});
