'use strict';
// Event notifications as a media pipeline writes them with aws-sdk v2 (the example of docs/deployment.md): a webhook
// receiver gets the event of an uploaded video and has the server store a poster next to it (video/snapshot with
// sys/saveas); the browser's POST upload sends its event too.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
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

// What the worker does with an uploaded video: asks the server for a frame at 1 s, stored as a poster next to the video
// (video/snapshot with sys/saveas, a POST to the object with `?x-oss-process`). aws-sdk v2 has no call for it, so the
// worker builds a signed GetObject request and turns it into that POST before it is signed.
async function makePoster(record) {
  if (!record.eventName.startsWith('ObjectCreated:')) return;
  const Bucket = record.s3.bucket.name;
  const Key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
  const poster = Buffer.from(`${Key}.poster.jpg`).toString('base64url');
  const request = s3.getObject({ Bucket, Key });
  request.on('build', () => {
    request.httpRequest.method = 'POST';
    request.httpRequest.path += '?x-oss-process';
    request.httpRequest.headers['Content-Type'] = 'application/x-www-form-urlencoded';
    request.httpRequest.body = `x-oss-process=video/snapshot,t_1000,f_jpg|sys/saveas,o_${poster}`;
  });
  const saved = JSON.parse((await request.promise()).Body.toString());
  if (saved.status !== 'OK') throw new Error(`no poster: ${JSON.stringify(saved)}`);
}

// A 2-second 160x120 MPEG-4 clip, red, made by ffmpeg (which the server uses for video/snapshot too).
function clip() {
  const file = path.join(os.tmpdir(), `xos-clip-${process.pid}.mp4`);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=160x120:r=10:d=2', '-c:v', 'mpeg4', '-y', file]);
  const bytes = fs.readFileSync(file);
  fs.unlinkSync(file);
  return bytes;
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

  await s3.upload({ Bucket, Key: 'videos/holiday 2024.mp4', Body: clip(), ContentType: 'video/mp4' }).promise();
  const poster = await waitFor(() => s3.getObject({ Bucket, Key: 'videos/holiday 2024.mp4.poster.jpg' }).promise().catch(() => null));
  assert.equal(poster.ContentType, 'image/jpeg');
  assert.deepEqual([...poster.Body.subarray(0, 3)], [0xff, 0xd8, 0xff]); // a JPEG
  // The poster is the video's frame: the server reads its size as the clip's.
  const info = await s3.getObject({ Bucket, Key: 'videos/holiday 2024.mp4.poster.jpg' })
    .on('build', function () { this.httpRequest.path += '?x-oss-process=image/info'; }).promise();
  const { ImageWidth, ImageHeight } = JSON.parse(info.Body.toString());
  assert.deepEqual([ImageWidth.value, ImageHeight.value], ['160', '120']);
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
