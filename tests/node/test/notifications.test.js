'use strict';
// Event notifications as a media pipeline writes them with aws-sdk v2 (the example of docs/deployment.md): a webhook
// receiver gets the event of an uploaded video and stores a poster next to it; the browser's POST upload sends its
// event too.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { startServer, bucketName } = require('../lib/server');

let server;
let s3;
let receiver;
const events = [];

// The pipeline's worker: an HTTP endpoint that receives the S3 events.
function startReceiver(onRecord) {
  return new Promise((resolve) => {
    const srv = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', async () => {
        const message = JSON.parse(body);
        try {
          for (const record of message.Records || []) {
            events.push(record);
            await onRecord(record);
          }
          res.writeHead(200).end();
        } catch (e) {
          res.writeHead(500).end(String(e)); // not acknowledged: the server sends the event again
        }
      });
    });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

// What the worker does with an uploaded video: a poster next to it (downloaded and uploaded again until the server's
// media processing can make one).
async function makePoster(record) {
  if (!record.eventName.startsWith('ObjectCreated:')) return;
  const Bucket = record.s3.bucket.name;
  const Key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
  const video = await s3.getObject({ Bucket, Key }).promise();
  await s3.putObject({ Bucket, Key: `${Key}.poster.jpg`, Body: video.Body.subarray(0, 4), ContentType: 'image/jpeg' }).promise();
}

const waitFor = async (check, ms = 60000) => {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
};

before(async () => {
  receiver = await startReceiver(makePoster);
  server = await startServer({ XOS_NOTIFY_WEBHOOK_pipeline: `http://127.0.0.1:${receiver.address().port}/s3-events` });
  s3 = server.client();
});
after(async () => {
  await server.stop();
  receiver.close();
});

test('an uploaded video gets its poster from a webhook pipeline', async () => {
  const Bucket = bucketName('media');
  await s3.createBucket({ Bucket }).promise();
  await s3.putBucketNotificationConfiguration({
    Bucket,
    NotificationConfiguration: {
      QueueConfigurations: [{
        Id: 'posters',
        QueueArn: 'arn:xos:sqs::pipeline:webhook',
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'videos/' }, { Name: 'suffix', Value: '.mp4' }] } },
      }],
    },
  }).promise();
  const config = await s3.getBucketNotificationConfiguration({ Bucket }).promise();
  assert.equal(config.QueueConfigurations[0].QueueArn, 'arn:xos:sqs::pipeline:webhook');

  await s3.upload({ Bucket, Key: 'videos/holiday 2024.mp4', Body: Buffer.from('MP4 video bytes') }).promise();
  const poster = await waitFor(() => s3.getObject({ Bucket, Key: 'videos/holiday 2024.mp4.poster.jpg' }).promise().catch(() => null));
  assert.equal(poster.Body.toString(), 'MP4 ');
  const record = events.find((e) => e.s3.bucket.name === Bucket);
  assert.equal(record.eventName, 'ObjectCreated:Put');
  assert.equal(record.s3.object.key, 'videos/holiday+2024.mp4');
  assert.equal(record.s3.configurationId, 'posters');
  // The poster (not .mp4) caused no event.
  assert.equal(events.filter((e) => e.s3.bucket.name === Bucket).length, 1);
});

test('an unknown destination is refused as AWS refuses it', async () => {
  const Bucket = bucketName('bad');
  await s3.createBucket({ Bucket }).promise();
  await assert.rejects(s3.putBucketNotificationConfiguration({
    Bucket,
    NotificationConfiguration: { QueueConfigurations: [{ QueueArn: 'arn:xos:sqs::nobody:webhook', Events: ['s3:ObjectCreated:*'] }] },
  }).promise(), (e) => e.code === 'InvalidArgument' && e.statusCode === 400 && /Unable to validate/.test(e.message));
});

test('a browser POST upload sends ObjectCreated:Post', async () => {
  const Bucket = bucketName('post');
  await s3.createBucket({ Bucket }).promise();
  await s3.putBucketNotificationConfiguration({
    Bucket,
    NotificationConfiguration: { QueueConfigurations: [{ QueueArn: 'arn:xos:sqs::pipeline:webhook', Events: ['s3:ObjectCreated:Post'] }] },
  }).promise();
  const data = await new Promise((resolve, reject) =>
    s3.createPresignedPost({ Bucket, Fields: { key: 'form/photo.jpg' } }, (err, d) => (err ? reject(err) : resolve(d))));
  const form = new FormData();
  for (const [name, value] of Object.entries(data.fields)) form.append(name, value);
  form.append('file', new Blob(['jpeg']), 'photo.jpg');
  const response = await fetch(data.url.replace('//localhost:', '//127.0.0.1:'), { method: 'POST', body: form, redirect: 'manual' });
  assert.equal(response.status, 204);
  const record = await waitFor(() => events.find((e) => e.s3.bucket.name === Bucket));
  assert.equal(record.eventName, 'ObjectCreated:Post');
  assert.equal(record.s3.object.key, 'form/photo.jpg');
});
