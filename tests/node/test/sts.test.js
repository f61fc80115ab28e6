'use strict';
// The guide's 安全凭证服务 (STS) section: assumeRole with region 'ctyun', then an S3 client using the temporary
// credentials with sessionToken, limited by each of the guide's three example policies.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, bucketName, request, AWS, agent } = require('../lib/server');

let server;
let bucket;
before(async () => {
  server = await startServer();
  bucket = bucketName('sts');
  await server.client().createBucket({ Bucket: bucket }).promise();
  const rolePolicy = path.join(os.tmpdir(), `xos-role-${process.pid}.json`);
  fs.writeFileSync(rolePolicy, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::*'] }] }));
  assert.equal(server.admin('role', 'add', 'guide-role', '--policy', rolePolicy).trim(), 'arn:aws:iam::role/guide-role');
  fs.rmSync(rolePolicy);
});
after(async () => { await server.stop(); });

const guidePolicy = (actions) =>
  `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":${JSON.stringify(actions)},"Resource":["arn:aws:s3:::${bucket}","arn:aws:s3:::${bucket}//*"]}}`;

async function temporaryClient(policy) {
  const stsClient = server.sts();
  const params = { Policy: policy, RoleArn: 'arn:aws:iam::role/guide-role', RoleSessionName: 'guide-session', DurationSeconds: 900 };
  const data = await new Promise((resolve, reject) => stsClient.assumeRole(params, (err, d) => (err ? reject(err) : resolve(d))));
  assert.ok(data.Credentials.AccessKeyId && data.Credentials.SecretAccessKey && data.Credentials.SessionToken);
  assert.ok(data.Credentials.Expiration instanceof Date);
  const credentials = {
    accessKeyId: data.Credentials.AccessKeyId,
    secretAccessKey: data.Credentials.SecretAccessKey,
    sessionToken: data.Credentials.SessionToken,
  };
  return { s3: new AWS.S3({ credentials, endpoint: server.endpoint, httpOptions: { agent } }), credentials, data };
}

const denied = (promise) => assert.rejects(promise, (err) => err.code === 'AccessDenied' && err.statusCode === 403);

test('policy "all actions": the temporary client may do everything in the bucket', async () => {
  const { s3, data } = await temporaryClient(guidePolicy(['s3:*']));
  assert.equal(data.AssumedRoleUser.Arn, 'arn:aws:sts::assumed-role/guide-role/guide-session');
  await s3.putObject({ Bucket: bucket, Key: 'all/a.txt', Body: 'a' }).promise();
  assert.equal((await s3.listObjects({ Bucket: bucket, Prefix: 'all/' }).promise()).Contents.length, 1);
  await s3.deleteObject({ Bucket: bucket, Key: 'all/a.txt' }).promise();
  await denied(s3.listBuckets().promise()); // outside the policy's resources
});

test('policy "upload and download only": PutObject and GetObject work, listing and deleting do not', async () => {
  const { s3 } = await temporaryClient(guidePolicy(['s3:PutObject', 's3:GetObject']));
  await s3.putObject({ Bucket: bucket, Key: 'updown/a.txt', Body: 'up' }).promise();
  assert.equal((await s3.getObject({ Bucket: bucket, Key: 'updown/a.txt' }).promise()).Body.toString(), 'up');
  await denied(s3.listObjects({ Bucket: bucket }).promise());
  await denied(s3.deleteObject({ Bucket: bucket, Key: 'updown/a.txt' }).promise());
  const url = s3.getSignedUrl('getObject', { Bucket: bucket, Key: 'updown/a.txt' });
  assert.match(url, /x-amz-security-token=/);
  const got = await request(url);
  assert.equal(got.status, 200);
  assert.equal(got.body.toString(), 'up');
});

test('policy "multipart upload": a ManagedUpload completes, but reading the object back is denied', async () => {
  const { s3 } = await temporaryClient(guidePolicy(['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListBucketMultipartUploads', 's3:ListMultipartUploadParts']));
  const body = Buffer.alloc(11 * 1024 * 1024, 7);
  const upload = new AWS.S3.ManagedUpload({ service: s3, partSize: 5 * 1024 * 1024, params: { Bucket: bucket, Key: 'mp/video.mp4', Body: body } });
  const done = await upload.promise();
  assert.match(done.ETag, /-3"$/);
  const created = await s3.createMultipartUpload({ Bucket: bucket, Key: 'mp/pending' }).promise();
  assert.ok((await s3.listMultipartUploads({ Bucket: bucket }).promise()).Uploads.some((u) => u.UploadId === created.UploadId));
  await s3.listParts({ Bucket: bucket, Key: 'mp/pending', UploadId: created.UploadId }).promise();
  await s3.abortMultipartUpload({ Bucket: bucket, Key: 'mp/pending', UploadId: created.UploadId }).promise();
  await denied(s3.getObject({ Bucket: bucket, Key: 'mp/video.mp4' }).promise());
  const head = await server.client().headObject({ Bucket: bucket, Key: 'mp/video.mp4' }).promise();
  assert.equal(head.ContentLength, body.length);
});

test('temporary credentials without their token are InvalidToken; a bad role or session name is refused', async () => {
  const { credentials } = await temporaryClient(guidePolicy(['s3:*']));
  const noToken = new AWS.S3({ credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey }, endpoint: server.endpoint, httpOptions: { agent } });
  await assert.rejects(noToken.listObjects({ Bucket: bucket }).promise(), (err) => err.code === 'InvalidToken' && err.statusCode === 400);
  const wrongToken = new AWS.S3({ credentials: { ...credentials, sessionToken: 'forged' }, endpoint: server.endpoint, httpOptions: { agent } });
  await assert.rejects(wrongToken.listObjects({ Bucket: bucket }).promise(), (err) => err.code === 'InvalidToken');
  const sts = server.sts();
  await assert.rejects(sts.assumeRole({ RoleArn: 'arn:aws:iam::role/missing', RoleSessionName: 'ok-name' }).promise(), (err) => err.code === 'AccessDenied');
  await assert.rejects(sts.assumeRole({ RoleArn: 'arn:aws:iam::role/guide-role', RoleSessionName: 'x' }).promise(), (err) => err.code === 'ValidationError');
  await assert.rejects(sts.assumeRole({ RoleArn: 'arn:aws:iam::role/guide-role', RoleSessionName: 'ok-name', DurationSeconds: 899 }).promise(), (err) => err.code === 'ValidationError');
  await assert.rejects(sts.assumeRole({ RoleArn: 'arn:aws:iam::role/guide-role', RoleSessionName: 'ok-name', Policy: 'not json' }).promise(), (err) => err.code === 'MalformedPolicyDocument');
  await assert.rejects(sts.assumeRole({ RoleArn: 'arn:aws:iam::role/guide-role', RoleSessionName: 'ok-name', Policy: 'x'.repeat(2049) }).promise(), (err) => err.code === 'ValidationError');
});
