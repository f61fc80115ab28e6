'use strict';
// Media processing on read from aws-sdk v2, as Aliyun OSS and CTyun users write it: a presigned GetObject URL with
// the processing parameter appended after signing (s3.getSignedUrl('getObject', ...) + '&x-oss-process=...').
// Results are checked by their pixels: a BMP answer is read directly.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const zlib = require('node:zlib');
const { startServer, bucketName, request } = require('../lib/server');

let server;
let bucket;
before(async () => {
  server = await startServer();
  bucket = bucketName('media');
  await server.client().createBucket({ Bucket: bucket }).promise();
});
after(async () => { await server.stop(); });

const signedUrl = (client, op, params) => new Promise((resolve, reject) =>
  client.getSignedUrl(op, params, (err, u) => (err ? reject(err) : resolve(u))));

// A width x height RGB PNG, blue with a red 100-pixel square at its top-left corner.
function markedPng(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4); sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) {
      const red = x < 100 && y < 100;
      raw[row + 1 + x * 3] = red ? 255 : 0;
      raw[row + 3 + x * 3] = red ? 0 : 255;
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// Width, height and a pixel reader of a 24-bit bottom-up BMP.
function readBmp(buf) {
  assert.equal(buf.toString('ascii', 0, 2), 'BM');
  const offset = buf.readUInt32LE(10);
  const width = buf.readInt32LE(18);
  const height = buf.readInt32LE(22);
  const stride = (width * 3 + 3) & ~3;
  const pixel = (x, y) => {
    const at = offset + (height - 1 - y) * stride + x * 3;
    return [buf[at + 2], buf[at + 1], buf[at]];
  };
  return { width, height, pixel };
}

const isRed = ([r, g, b]) => r > 200 && g < 60 && b < 60;
const isBlue = ([r, g, b]) => r < 60 && g < 60 && b > 200;

for (const signatureVersion of [undefined, 'v4']) {
  const label = signatureVersion || 'v2 (default)';
  test(`a processing parameter appended to a presigned GetObject URL, ${label}`, async () => {
    const client = server.client({ signatureVersion });
    await client.putObject({ Bucket: bucket, Key: 'photo.png', Body: markedPng(400, 300), ContentType: 'image/png' }).promise();
    const signed = await signedUrl(client, 'getObject', { Bucket: bucket, Key: 'photo.png', Expires: 900 });
    for (const name of ['x-xos-process', 'x-oss-process', 'x-zos-process']) {
      const got = await request(`${signed}&${name}=image/resize,w_200/rotate,90/format,bmp`);
      assert.equal(got.status, 200, got.body.toString());
      assert.equal(got.headers['content-type'], 'image/bmp');
      const bmp = readBmp(got.body);
      assert.deepEqual([bmp.width, bmp.height], [150, 200]);
      assert.ok(isRed(bmp.pixel(140, 10)), 'a clockwise quarter turn puts the red corner top right');
      assert.ok(isBlue(bmp.pixel(10, 10)));
    }
    // The source's format is kept unless format names another.
    const png = await request(`${signed}&x-oss-process=image/resize,w_200`);
    assert.equal(png.status, 200);
    assert.deepEqual([...png.body.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const jpeg = await request(`${signed}&x-oss-process=image/resize,w_200/format,jpg`);
    assert.equal(jpeg.headers['content-type'], 'image/jpeg');
    assert.deepEqual([...jpeg.body.subarray(0, 2)], [0xff, 0xd8]);
    // Only that parameter is free: another appended one breaks the signature.
    const tampered = await request(`${signed}&x-oss-process=image/resize,w_200&response-content-type=text%2Fplain`);
    assert.equal(tampered.status, 403);
    assert.match(tampered.body.toString(), /SignatureDoesNotMatch/);
  });
}

test('malformed parameters are 400 InvalidArgument naming the action and the parameter', async () => {
  const client = server.client({ signatureVersion: 'v4' });
  await client.putObject({ Bucket: bucket, Key: 'p.png', Body: markedPng(200, 200) }).promise();
  const signed = await signedUrl(client, 'getObject', { Bucket: bucket, Key: 'p.png', Expires: 900 });
  const got = await request(`${signed}&x-oss-process=image/resize,w_abc`);
  assert.equal(got.status, 400);
  assert.match(got.body.toString(), /<Code>InvalidArgument<\/Code>/);
  assert.match(got.body.toString(), /image\/resize parameter 'w'/);
});
