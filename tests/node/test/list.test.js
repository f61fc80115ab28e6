'use strict';
// The guide's listObjects examples: the simple call, and the full pagination loop that relies on NextMarker
// alone (no Delimiter), over more than 1000 keys; plus Prefix/Delimiter and listObjectsV2.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, bucketName } = require('../lib/server');

let server;
let s3Client;
let bucket;
const keys = [];
before(async () => {
  server = await startServer();
  s3Client = server.client();
  bucket = bucketName('list');
  await s3Client.createBucket({ Bucket: bucket }).promise();
  for (let i = 0; i < 2500; i++) keys.push(`photos/${String(i).padStart(5, '0')}.jpg`);
  keys.push('videos/a.mp4', 'videos/b.mp4', 'readme.txt');
  for (let i = 0; i < keys.length; i += 32) {
    await Promise.all(keys.slice(i, i + 32).map((Key) => s3Client.putObject({ Bucket: bucket, Key, Body: 'x' }).promise()));
  }
  keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
});
after(async () => { await server.stop(); });

test('the simple listObjects call returns the first 1000 keys, truncated', async () => {
  const data = await s3Client.listObjects({ Bucket: bucket }).promise();
  assert.equal(data.Contents.length, 1000);
  assert.equal(data.IsTruncated, true);
  assert.equal(data.MaxKeys, 1000);
});

test("the guide's pagination loop visits every key exactly once, in order, using only NextMarker", async () => {
  const seen = [];
  await new Promise((resolve, reject) => {
    const marker = '';
    const params = { Bucket: bucket, MaxKeys: 1000, Marker: marker };
    const fetchObjects = () => {
      s3Client.listObjects(params, (err, data) => {
        if (err) { reject(err); return; }
        if (data.Contents && data.Contents.length > 0) data.Contents.forEach((obj) => seen.push(obj.Key));
        if (data.IsTruncated) {
          params.Marker = data.NextMarker || '';
          if (!data.NextMarker) { reject(new Error('truncated page without NextMarker')); return; }
          fetchObjects();
        } else {
          resolve();
        }
      });
    };
    fetchObjects();
  });
  assert.equal(seen.length, keys.length);
  assert.deepEqual(seen, keys);
});

test('Prefix and Delimiter roll keys up into CommonPrefixes', async () => {
  const data = await s3Client.listObjects({ Bucket: bucket, Delimiter: '/' }).promise();
  assert.deepEqual(data.CommonPrefixes.map((p) => p.Prefix), ['photos/', 'videos/']);
  assert.deepEqual(data.Contents.map((c) => c.Key), ['readme.txt']);
  const videos = await s3Client.listObjects({ Bucket: bucket, Prefix: 'videos/' }).promise();
  assert.deepEqual(videos.Contents.map((c) => c.Key), ['videos/a.mp4', 'videos/b.mp4']);
});

test('listObjectsV2 pages with continuation tokens and StartAfter', async () => {
  const seen = [];
  let ContinuationToken;
  do {
    const data = await s3Client.listObjectsV2({ Bucket: bucket, MaxKeys: 700, ContinuationToken }).promise();
    data.Contents.forEach((c) => seen.push(c.Key));
    assert.equal(data.KeyCount, data.Contents.length);
    ContinuationToken = data.IsTruncated ? data.NextContinuationToken : undefined;
  } while (ContinuationToken);
  assert.deepEqual(seen, keys);
  const after = await s3Client.listObjectsV2({ Bucket: bucket, StartAfter: 'photos/02498.jpg', MaxKeys: 3 }).promise();
  assert.deepEqual(after.Contents.map((c) => c.Key), ['photos/02499.jpg', 'readme.txt', 'videos/a.mp4']);
});

test('MaxKeys above 1000 is capped at 1000', async () => {
  const data = await s3Client.listObjects({ Bucket: bucket, MaxKeys: 5000 }).promise();
  assert.equal(data.Contents.length, 1000);
});
