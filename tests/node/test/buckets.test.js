'use strict';
// The guide's bucket section: createBucket, listBuckets, headBucket, deleteBucket (and BucketNotEmpty).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, bucketName } = require('../lib/server');

let server;
let s3Client;
before(async () => { server = await startServer(); s3Client = server.client(); });
after(async () => { await server.stop(); });

// The guide's examples pass a callback; these wrap exactly those calls.
const call = (method, params) => new Promise((resolve, reject) => {
  const cb = (err, data) => (err ? reject(err) : resolve(data));
  if (params === undefined) s3Client[method](cb); else s3Client[method](params, cb);
});

test('createBucket with ACL private and an empty LocationConstraint, then listBuckets shows it with its owner', async () => {
  const name = bucketName('guide');
  const bucketParams = { Bucket: name, ACL: 'private', CreateBucketConfiguration: { LocationConstraint: '' } };
  await call('createBucket', bucketParams);
  const data = await call('listBuckets');
  const found = data.Buckets.find((b) => b.Name === name);
  assert.ok(found, 'the new bucket is listed');
  assert.ok(found.CreationDate instanceof Date);
  assert.ok(data.Owner && data.Owner.ID, 'Owner.ID is returned');
});

test('headBucket succeeds for an existing bucket and fails with 404 for a missing one', async () => {
  const name = bucketName('head');
  await call('createBucket', { Bucket: name });
  await call('headBucket', { Bucket: name });
  await assert.rejects(call('headBucket', { Bucket: bucketName('missing') }), (err) => err.statusCode === 404);
});

test('a LocationConstraint is stored and returned by getBucketLocation', async () => {
  const name = bucketName('loc');
  await call('createBucket', { Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'cn-east-1' } });
  const data = await call('getBucketLocation', { Bucket: name });
  assert.equal(data.LocationConstraint, 'cn-east-1');
});

test('deleteBucket of a non-empty bucket is BucketNotEmpty (409); once empty it is deleted', async () => {
  const name = bucketName('del');
  await call('createBucket', { Bucket: name });
  await call('putObject', { Bucket: name, Key: 'x', Body: 'x' });
  await assert.rejects(call('deleteBucket', { Bucket: name }), (err) => err.code === 'BucketNotEmpty' && err.statusCode === 409);
  await call('deleteObject', { Bucket: name, Key: 'x' });
  await call('deleteBucket', { Bucket: name });
  const data = await call('listBuckets');
  assert.ok(!data.Buckets.some((b) => b.Name === name));
});

test('creating a bucket twice succeeds in us-east-1 and is BucketAlreadyOwnedByYou elsewhere; an invalid name is InvalidBucketName', async () => {
  const name = bucketName('twice');
  await call('createBucket', { Bucket: name });
  await call('createBucket', { Bucket: name });
  const regional = bucketName('twice-eu');
  const inEu = { Bucket: regional, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } };
  await call('createBucket', inEu);
  await assert.rejects(call('createBucket', inEu), (err) => err.code === 'BucketAlreadyOwnedByYou' && err.statusCode === 409);
  await assert.rejects(call('createBucket', { Bucket: 'ab' }), (err) => err.code === 'InvalidBucketName' && err.statusCode === 400);
});
