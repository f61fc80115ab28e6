'use strict';
// The guide's ACL, lifecycle, CORS, versioning, listObjectVersions and object tagging examples.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, bucketName, request } = require('../lib/server');

let server;
let s3Client;
before(async () => { server = await startServer(); s3Client = server.client(); });
after(async () => { await server.stop(); });

const newBucket = async (hint) => {
  const Bucket = bucketName(hint);
  await s3Client.createBucket({ Bucket }).promise();
  return Bucket;
};

test("putObjectAcl with ACL 'public-read-write' makes the object readable without a signature; getObjectAcl shows the grant", async () => {
  const Bucket = await newBucket('acl');
  await s3Client.putObject({ Bucket, Key: 'photo.jpg', Body: 'jpeg' }).promise();
  const anonymousBefore = await request(`http://${Bucket}.localhost:${server.port}/photo.jpg`);
  assert.equal(anonymousBefore.status, 403);
  await s3Client.putObjectAcl({ Bucket, Key: 'photo.jpg', ACL: 'public-read-write' }).promise();
  const anonymous = await request(`http://${Bucket}.localhost:${server.port}/photo.jpg`);
  assert.equal(anonymous.status, 200);
  assert.equal(anonymous.body.toString(), 'jpeg');
  const acl = await s3Client.getObjectAcl({ Bucket, Key: 'photo.jpg' }).promise();
  assert.ok(acl.Grants.some((g) => g.Grantee.URI === 'http://acs.amazonaws.com/groups/global/AllUsers' && g.Permission === 'READ'));
});

test('putBucketAcl with an AccessControlPolicy naming the owner, then getBucketAcl returns its Grants', async () => {
  const Bucket = await newBucket('bacl');
  const owner = (await s3Client.getBucketAcl({ Bucket }).promise()).Owner.ID;
  const params = {
    Bucket,
    AccessControlPolicy: {
      Grants: [{ Grantee: { ID: owner, Type: 'CanonicalUser' }, Permission: 'FULL_CONTROL' }],
      Owner: { ID: owner },
    },
  };
  await s3Client.putBucketAcl(params).promise();
  const data = await s3Client.getBucketAcl({ Bucket }).promise();
  assert.deepEqual(data.Grants.map((g) => [g.Grantee.ID, g.Permission]), [[owner, 'FULL_CONTROL']]);
  await s3Client.putBucketAcl({ Bucket, ACL: 'public-read' }).promise();
  const listing = await request(`http://${Bucket}.localhost:${server.port}/`);
  assert.equal(listing.status, 200);
});

test("the guide's lifecycle rule is stored and returned; deleteBucketLifecycle removes it", async () => {
  const Bucket = await newBucket('life');
  const params = {
    Bucket,
    LifecycleConfiguration: {
      Rules: [{
        Expiration: { Days: 3650 },
        Filter: { Prefix: '' },
        ID: 'TestOnly',
        Status: 'Enabled',
        Transitions: [{ Days: 365, StorageClass: 'GLACIER' }],
        NoncurrentVersionExpiration: { NoncurrentDays: 123 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 123 },
      }],
    },
  };
  await s3Client.putBucketLifecycleConfiguration(params).promise();
  const data = await s3Client.getBucketLifecycleConfiguration({ Bucket }).promise();
  const rule = data.Rules[0];
  assert.equal(rule.ID, 'TestOnly');
  assert.equal(rule.Expiration.Days, 3650);
  assert.equal(rule.Transitions[0].StorageClass, 'GLACIER');
  assert.equal(rule.NoncurrentVersionExpiration.NoncurrentDays, 123);
  assert.equal(rule.AbortIncompleteMultipartUpload.DaysAfterInitiation, 123);
  await s3Client.putObject({ Bucket, Key: 'expiring.txt', Body: 'x' }).promise();
  const head = await s3Client.headObject({ Bucket, Key: 'expiring.txt' }).promise();
  assert.match(head.Expiration, /rule-id="TestOnly"/);
  await s3Client.deleteBucketLifecycle({ Bucket }).promise();
  await assert.rejects(s3Client.getBucketLifecycleConfiguration({ Bucket }).promise(),
    (err) => err.code === 'NoSuchLifecycleConfiguration' && err.statusCode === 404);
});

test("the guide's CORS rule is stored, answers preflights, and deleteBucketCors removes it", async () => {
  const Bucket = await newBucket('cors');
  const corsParams = {
    Bucket,
    CORSConfiguration: {
      CORSRules: [{
        AllowedHeaders: ['*'],
        AllowedMethods: ['POST', 'GET', 'PUT', 'DELETE', 'HEAD'],
        AllowedOrigins: ['*'],
        ExposeHeaders: ['ETag'],
        MaxAgeSeconds: 3600,
      }],
    },
  };
  await s3Client.putBucketCors(corsParams).promise();
  const data = await s3Client.getBucketCors({ Bucket }).promise();
  assert.deepEqual(data.CORSRules[0].AllowedMethods, ['POST', 'GET', 'PUT', 'DELETE', 'HEAD']);
  const preflight = await request(`http://${Bucket}.localhost:${server.port}/file.txt`, {
    method: 'OPTIONS', headers: { Origin: 'https://www.example.org', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
  });
  assert.equal(preflight.status, 200);
  assert.equal(preflight.headers['access-control-allow-origin'], '*');
  assert.equal(preflight.headers['access-control-max-age'], '3600');
  await s3Client.deleteBucketCors({ Bucket }).promise();
  await assert.rejects(s3Client.getBucketCors({ Bucket }).promise(), (err) => err.code === 'NoSuchCORSConfiguration' && err.statusCode === 404);
});

test('putBucketVersioning Enabled then Suspended; listObjectVersions shows versions and delete markers', async () => {
  const Bucket = await newBucket('ver');
  await s3Client.putBucketVersioning({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }).promise();
  assert.equal((await s3Client.getBucketVersioning({ Bucket }).promise()).Status, 'Enabled');
  const v1 = await s3Client.putObject({ Bucket, Key: 'doc.txt', Body: 'one' }).promise();
  const v2 = await s3Client.putObject({ Bucket, Key: 'doc.txt', Body: 'two' }).promise();
  assert.notEqual(v1.VersionId, v2.VersionId);
  await s3Client.deleteObject({ Bucket, Key: 'doc.txt' }).promise();
  const data = await s3Client.listObjectVersions({ Bucket }).promise();
  assert.deepEqual(data.Versions.map((v) => v.VersionId), [v2.VersionId, v1.VersionId]);
  assert.equal(data.DeleteMarkers.length, 1);
  assert.equal(data.DeleteMarkers[0].IsLatest, true);
  const old = await s3Client.getObject({ Bucket, Key: 'doc.txt', VersionId: v1.VersionId }).promise();
  assert.equal(old.Body.toString(), 'one');
  await s3Client.putBucketVersioning({ Bucket, VersioningConfiguration: { Status: 'Suspended' } }).promise();
  assert.equal((await s3Client.getBucketVersioning({ Bucket }).promise()).Status, 'Suspended');
  // A write in a suspended bucket replaces the "null" version and, as in an unversioned bucket, names no version.
  const suspended = await s3Client.putObject({ Bucket, Key: 'doc.txt', Body: 'three' }).promise();
  assert.equal(suspended.VersionId, undefined);
  const after = await s3Client.listObjectVersions({ Bucket }).promise();
  assert.equal(after.Versions.find((v) => v.IsLatest).VersionId, 'null');
});

test("object tagging: the guide's lowercase key/value is an erratum; Key/Value tags are stored, read and deleted", async () => {
  const Bucket = await newBucket('tags');
  await s3Client.putObject({ Bucket, Key: 'tagged.txt', Body: 'x' }).promise();
  const asWritten = { Bucket, Key: 'tagged.txt', Tagging: { TagSet: [{ key: 'key1', value: 'value1' }] } };
  await assert.rejects(s3Client.putObjectTagging(asWritten).promise(), (err) => /Missing required key 'Key'/.test(err.message));
  await s3Client.putObjectTagging({ Bucket, Key: 'tagged.txt', Tagging: { TagSet: [{ Key: 'key1', Value: 'value1' }] } }).promise();
  const data = await s3Client.getObjectTagging({ Bucket, Key: 'tagged.txt' }).promise();
  assert.deepEqual(data.TagSet, [{ Key: 'key1', Value: 'value1' }]);
  const tooMany = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
  await assert.rejects(s3Client.putObjectTagging({ Bucket, Key: 'tagged.txt', Tagging: { TagSet: tooMany } }).promise(),
    (err) => err.code === 'InvalidTag' && err.statusCode === 400);
  await s3Client.deleteObjectTagging({ Bucket, Key: 'tagged.txt' }).promise();
  assert.deepEqual((await s3Client.getObjectTagging({ Bucket, Key: 'tagged.txt' }).promise()).TagSet, []);
});

test("the guide's server-side encryption example: putObject with ServerSideEncryption AES256, and SM4", async () => {
  const Bucket = await newBucket('sse');
  for (const algorithm of ['AES256', 'SM4']) {
    const params = { Bucket, Key: `secret-${algorithm}.txt`, Body: 'classified', ServerSideEncryption: algorithm };
    const put = await s3Client.putObject(params).promise();
    assert.equal(put.ServerSideEncryption, algorithm);
    const got = await s3Client.getObject({ Bucket, Key: `secret-${algorithm}.txt` }).promise();
    assert.equal(got.Body.toString(), 'classified');
    assert.equal(got.ServerSideEncryption, algorithm);
  }
  // aws:kms without a key id uses the built-in key service's default key, as AWS uses aws/s3.
  const kms = await s3Client.putObject({ Bucket, Key: 'secret-kms.txt', Body: 'classified', ServerSideEncryption: 'aws:kms' }).promise();
  assert.equal(kms.ServerSideEncryption, 'aws:kms');
  assert.ok(kms.SSEKMSKeyId, 'the key id is returned');
  const gotKms = await s3Client.getObject({ Bucket, Key: 'secret-kms.txt' }).promise();
  assert.equal(gotKms.Body.toString(), 'classified');
  assert.equal(gotKms.SSEKMSKeyId, kms.SSEKMSKeyId);
  await assert.rejects(s3Client.putObject({ Bucket, Key: 'x', Body: 'x', ServerSideEncryption: 'AES128' }).promise(),
    (err) => err.code === 'InvalidArgument' && err.statusCode === 400);
});

test("the guide's bucket policy: anyone may GetObject; getBucketPolicy returns it; deleteBucketPolicy removes it", async () => {
  const Bucket = await newBucket('policy');
  await s3Client.putObject({ Bucket, Key: 'shared.jpg', Body: 'jpeg' }).promise();
  await assert.rejects(s3Client.getBucketPolicy({ Bucket }).promise(), (err) => err.code === 'NoSuchBucketPolicy' && err.statusCode === 404);
  const policy = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'AddPerm', Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${Bucket}/*`] }],
  };
  await s3Client.putBucketPolicy({ Bucket, Policy: JSON.stringify(policy) }).promise();
  const anonymous = await request(`http://${Bucket}.localhost:${server.port}/shared.jpg`);
  assert.equal(anonymous.status, 200);
  const data = await s3Client.getBucketPolicy({ Bucket }).promise();
  assert.deepEqual(JSON.parse(data.Policy), policy);
  await s3Client.deleteBucketPolicy({ Bucket }).promise();
  assert.equal((await request(`http://${Bucket}.localhost:${server.port}/shared.jpg`)).status, 403);
  await assert.rejects(s3Client.putBucketPolicy({ Bucket, Policy: '{"Version":"2012-10-17"}' }).promise(),
    (err) => err.code === 'MalformedPolicy' && err.statusCode === 400);
});

test('a public access block makes the guide\'s public-read ACL and public policy impossible; ownership controls disable ACLs', async () => {
  const Bucket = await newBucket('block');
  await s3Client.putPublicAccessBlock({
    Bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
  }).promise();
  const got = await s3Client.getPublicAccessBlock({ Bucket }).promise();
  assert.deepEqual(got.PublicAccessBlockConfiguration,
    { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
  await s3Client.putObject({ Bucket, Key: 'photo.jpg', Body: 'jpeg' }).promise();
  await assert.rejects(s3Client.putObjectAcl({ Bucket, Key: 'photo.jpg', ACL: 'public-read-write' }).promise(),
    (err) => err.code === 'AccessDenied' && err.statusCode === 403);
  const policy = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${Bucket}/*`] }],
  };
  await assert.rejects(s3Client.putBucketPolicy({ Bucket, Policy: JSON.stringify(policy) }).promise(),
    (err) => err.code === 'AccessDenied' && err.statusCode === 403);
  assert.equal((await request(`http://${Bucket}.localhost:${server.port}/photo.jpg`)).status, 403);
  await s3Client.deletePublicAccessBlock({ Bucket }).promise();
  await assert.rejects(s3Client.getPublicAccessBlock({ Bucket }).promise(),
    (err) => err.code === 'NoSuchPublicAccessBlockConfiguration' && err.statusCode === 404);

  await s3Client.putBucketOwnershipControls({ Bucket, OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } }).promise();
  const controls = await s3Client.getBucketOwnershipControls({ Bucket }).promise();
  assert.equal(controls.OwnershipControls.Rules[0].ObjectOwnership, 'BucketOwnerEnforced');
  await assert.rejects(s3Client.putObjectAcl({ Bucket, Key: 'photo.jpg', ACL: 'public-read' }).promise(),
    (err) => err.code === 'AccessControlListNotSupported' && err.statusCode === 400);
  await s3Client.deleteBucketOwnershipControls({ Bucket }).promise();
  await s3Client.putObjectAcl({ Bucket, Key: 'photo.jpg', ACL: 'public-read' }).promise();
  assert.equal((await request(`http://${Bucket}.localhost:${server.port}/photo.jpg`)).status, 200);
});
