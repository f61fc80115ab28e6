'use strict';
// The guide's multipart section: AWS.S3.ManagedUpload with 10 MiB parts, and the explicit
// createMultipartUpload / uploadPart / listParts / listMultipartUploads / uploadPartCopy /
// completeMultipartUpload / abortMultipartUpload calls.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, bucketName, AWS } = require('../lib/server');

let server;
let s3Client;
let bucket;
let dir;
before(async () => {
  server = await startServer();
  s3Client = server.client();
  bucket = bucketName('multipart');
  await s3Client.createBucket({ Bucket: bucket }).promise();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xos-node-mp-'));
});
after(async () => { await server.stop(); fs.rmSync(dir, { recursive: true, force: true }); });

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');
const md5 = (buf) => crypto.createHash('md5').update(buf).digest();

test("the guide's ManagedUpload example: a 25 MiB file stream in 10 MiB parts, with progress events", async () => {
  const localFile = path.join(dir, 'ExampleObject.txt');
  const content = crypto.randomBytes(25 * 1024 * 1024);
  fs.writeFileSync(localFile, content);
  const key = 'ExampleObject.txt';
  const f = fs.createReadStream(localFile);
  const upload = new AWS.S3.ManagedUpload({
    service: s3Client,
    partSize: 10 * 1024 * 1024,
    params: { Bucket: bucket, Key: key, Body: f, ACL: 'private', ContentType: 'text/plain' },
  });
  const progress = [];
  upload.on('httpUploadProgress', (p) => progress.push(p));
  const data = await new Promise((resolve, reject) => upload.send((err, d) => (err ? reject(err) : resolve(d))));
  assert.equal(data.Key, key);
  assert.equal(data.Bucket, bucket);
  assert.ok(data.Location.includes(key));
  assert.match(data.ETag, /^"[0-9a-f]{32}-3"$/);
  assert.ok(progress.length > 0 && progress[progress.length - 1].loaded === content.length);
  const got = await s3Client.getObject({ Bucket: bucket, Key: key }).promise();
  assert.equal(sha256(got.Body), sha256(content));
  assert.equal(got.ContentType, 'text/plain');
});

test('the explicit multipart calls, with listParts, listMultipartUploads, uploadPartCopy and complete', async () => {
  const key = 'explicit.bin';
  const part1 = crypto.randomBytes(5 * 1024 * 1024);
  const file1 = path.join(dir, 'part1.bin');
  fs.writeFileSync(file1, part1);
  const copySource = crypto.randomBytes(6 * 1024 * 1024);
  await s3Client.putObject({ Bucket: bucket, Key: 'copy-source.bin', Body: copySource }).promise();

  const created = await s3Client.createMultipartUpload({ Bucket: bucket, Key: key }).promise();
  assert.equal(created.Bucket, bucket);
  assert.equal(created.Key, key);
  const UploadId = created.UploadId;
  assert.ok(UploadId);

  const r1 = await s3Client.uploadPart({ Bucket: bucket, Key: key, PartNumber: 1, UploadId, Body: fs.createReadStream(file1) }).promise();
  const r2 = await s3Client.uploadPartCopy({ Bucket: bucket, Key: key, PartNumber: 2, UploadId,
    CopySource: `${bucket}/copy-source.bin`, CopySourceRange: 'bytes=0-5242879' }).promise();
  assert.ok(r2.CopyPartResult.ETag);
  const part3 = Buffer.from('the last part may be small');
  const r3 = await s3Client.uploadPart({ Bucket: bucket, Key: key, PartNumber: 3, UploadId, Body: part3 }).promise();

  const parts = await s3Client.listParts({ Bucket: bucket, Key: key, UploadId }).promise();
  assert.deepEqual(parts.Parts.map((p) => [p.PartNumber, p.Size]), [[1, part1.length], [2, 5242880], [3, part3.length]]);
  assert.equal(parts.IsTruncated, false);
  const page = await s3Client.listParts({ Bucket: bucket, Key: key, UploadId, MaxParts: 1, PartNumberMarker: 1 }).promise();
  assert.deepEqual(page.Parts.map((p) => p.PartNumber), [2]);
  assert.equal(page.IsTruncated, true);
  assert.equal(page.NextPartNumberMarker, 2);

  const uploads = await s3Client.listMultipartUploads({ Bucket: bucket }).promise();
  assert.ok(uploads.Uploads.some((u) => u.UploadId === UploadId && u.Key === key));

  const params = { Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [
    { ETag: r1.ETag, PartNumber: 1 }, { ETag: r2.CopyPartResult.ETag, PartNumber: 2 }, { ETag: r3.ETag, PartNumber: 3 }] } };
  const done = await s3Client.completeMultipartUpload(params).promise();
  const expectedEtag = crypto.createHash('md5')
    .update(Buffer.concat([md5(part1), md5(copySource.subarray(0, 5242880)), md5(part3)])).digest('hex');
  assert.equal(done.ETag, `"${expectedEtag}-3"`);
  assert.equal(done.Key, key);
  const got = await s3Client.getObject({ Bucket: bucket, Key: key }).promise();
  assert.equal(sha256(got.Body), sha256(Buffer.concat([part1, copySource.subarray(0, 5242880), part3])));
  const after = await s3Client.listMultipartUploads({ Bucket: bucket }).promise();
  assert.ok(!after.Uploads.some((u) => u.UploadId === UploadId));
});

test('abortMultipartUpload frees the upload: listParts is then NoSuchUpload (404)', async () => {
  const created = await s3Client.createMultipartUpload({ Bucket: bucket, Key: 'aborted.bin' }).promise();
  await s3Client.uploadPart({ Bucket: bucket, Key: 'aborted.bin', PartNumber: 1, UploadId: created.UploadId, Body: 'x' }).promise();
  await s3Client.abortMultipartUpload({ Bucket: bucket, Key: 'aborted.bin', UploadId: created.UploadId }).promise();
  await assert.rejects(s3Client.listParts({ Bucket: bucket, Key: 'aborted.bin', UploadId: created.UploadId }).promise(),
    (err) => err.code === 'NoSuchUpload' && err.statusCode === 404);
});

test('a part under 5 MiB that is not the last is EntityTooSmall at completion', async () => {
  const created = await s3Client.createMultipartUpload({ Bucket: bucket, Key: 'small.bin' }).promise();
  const UploadId = created.UploadId;
  const p1 = await s3Client.uploadPart({ Bucket: bucket, Key: 'small.bin', PartNumber: 1, UploadId, Body: 'tiny' }).promise();
  const p2 = await s3Client.uploadPart({ Bucket: bucket, Key: 'small.bin', PartNumber: 2, UploadId, Body: 'tiny' }).promise();
  await assert.rejects(s3Client.completeMultipartUpload({ Bucket: bucket, Key: 'small.bin', UploadId,
    MultipartUpload: { Parts: [{ ETag: p1.ETag, PartNumber: 1 }, { ETag: p2.ETag, PartNumber: 2 }] } }).promise(),
  (err) => err.code === 'EntityTooSmall' && err.statusCode === 400);
});
