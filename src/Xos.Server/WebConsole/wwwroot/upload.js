// Uploads straight through S3's PUT and multipart upload: each file (or part, a File.slice of it) is sent by an
// XMLHttpRequest, whose upload progress drives the file's bar, so nothing is read into memory whatever its size.
import { s3, s3xml, objectPath, tokenHeaders, errorFromText, xml, text, ApiError } from './api.js';
import { h, fill, bytes } from './ui.js';

const MiB = 1024 * 1024;
export const PART_SIZE = 8 * MiB;
/** Files from this size on go as multipart uploads. */
export const MULTIPART_FROM = 16 * MiB;
const PARTS_IN_FLIGHT = 3;
const FILES_IN_FLIGHT = 2;
const MAX_PARTS = 10000;

const panel = () => document.getElementById('uploads');
const list = () => document.getElementById('upload-list');
const queue = [];
let running = 0;

document.getElementById('uploads-clear').addEventListener('click', () => {
  for (const li of list().querySelectorAll('li.done, li.failed, li.cancelled')) li.remove();
  if (!list().children.length) panel().hidden = true;
});

/** The part size for a file: 8 MiB, or more when 10,000 parts of 8 MiB would not hold it. */
export function partSizeFor(size) {
  return Math.max(PART_SIZE, Math.ceil(size / MAX_PARTS / MiB) * MiB);
}

class Upload {
  constructor(bucket, key, file, finished) {
    Object.assign(this, { bucket, key, file, finished, xhrs: new Set(), uploadId: null, cancelled: false, started: 0 });
    this.progress = h('progress', { max: Math.max(file.size, 1), value: 0, 'aria-label': `Upload of ${key}` });
    this.status = h('span', { class: 'status' }, 'waiting');
    this.cancelButton = h('button', { type: 'button', class: 'secondary', 'aria-label': `Cancel upload of ${key}` }, 'Cancel');
    this.cancelButton.addEventListener('click', () => this.cancel());
    this.el = h('li', { 'data-upload': key }, h('div', { class: 'name' }, key, h('span', { class: 'muted' }, ` (${bytes(file.size)})`)),
      h('div', { class: 'line' }, this.progress, this.status, this.cancelButton));
  }

  show(loaded) {
    this.progress.value = loaded;
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0.5 ? ` ${bytes(loaded / seconds)}/s` : '';
    fill(this.status, `${Math.floor((loaded / Math.max(this.file.size, 1)) * 100)}%${rate}`);
  }

  end(state, message) {
    this.el.className = state;
    this.cancelButton.hidden = true;
    fill(this.status, message);
    if (state === 'done') this.progress.value = this.progress.max;
  }

  async run() {
    this.started = performance.now();
    this.show(0);
    try {
      if (this.file.size >= MULTIPART_FROM) await this.multipart();
      else await this.send('PUT', objectPath(this.bucket, this.key), this.file, (loaded) => this.show(loaded));
      this.end('done', 'done');
    } catch (err) {
      if (this.cancelled) this.end('cancelled', 'cancelled');
      else this.end('failed', `${err.code || 'Error'}: ${err.message}`);
    }
    this.finished(this);
  }

  /** One request whose body is a Blob (a File or a slice of one); resolves with the XHR when it answered 2xx. */
  send(method, url, body, onProgress) {
    return new Promise((resolve, reject) => {
      if (this.cancelled) { reject(new ApiError(0, 'Cancelled', 'The upload was cancelled.')); return; }
      const xhr = new XMLHttpRequest();
      this.xhrs.add(xhr);
      xhr.open(method, url);
      for (const [k, v] of Object.entries({ ...tokenHeaders(), 'Content-Type': this.file.type || 'application/octet-stream' })) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => onProgress(e.loaded);
      xhr.onload = () => {
        this.xhrs.delete(xhr);
        if (xhr.status >= 200 && xhr.status < 300) resolve(xhr);
        else reject(errorFromText(xhr.status, xhr.statusText, xhr.responseText));
      };
      xhr.onerror = () => { this.xhrs.delete(xhr); reject(new ApiError(0, 'NetworkError', 'The connection to the server failed.')); };
      xhr.onabort = () => { this.xhrs.delete(xhr); reject(new ApiError(0, 'Cancelled', 'The upload was cancelled.')); };
      xhr.send(body);
    });
  }

  async multipart() {
    const path = objectPath(this.bucket, this.key);
    const created = await s3xml('POST', path, { query: { uploads: '' }, headers: { 'Content-Type': this.file.type || 'application/octet-stream' } });
    this.uploadId = text(created.documentElement, 'UploadId');
    if (this.cancelled) throw new ApiError(0, 'Cancelled', 'The upload was cancelled.');
    const size = partSizeFor(this.file.size);
    const count = Math.ceil(this.file.size / size);
    const loaded = new Array(count + 1).fill(0);
    const etags = [];
    let next = 1;
    const report = () => this.show(loaded.reduce((a, b) => a + b, 0));
    const worker = async () => {
      while (next <= count) {
        const n = next++;
        const blob = this.file.slice((n - 1) * size, Math.min(n * size, this.file.size));
        for (let attempt = 1; ; attempt++) {
          try {
            const xhr = await this.send('PUT', `${path}?partNumber=${n}&uploadId=${encodeURIComponent(this.uploadId)}`, blob,
              (l) => { loaded[n] = l; report(); });
            etags[n] = xhr.getResponseHeader('ETag');
            loaded[n] = blob.size;
            report();
            break;
          } catch (err) {
            // A dropped connection or a busy server is worth a second try of the part; a refusal is not.
            if (this.cancelled || attempt >= 3 || !(err.status === 0 || err.status >= 500) || err.code === 'Cancelled') throw err;
            loaded[n] = 0;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARTS_IN_FLIGHT, count) }, worker));
    const parts = [];
    for (let n = 1; n <= count; n++) parts.push(['Part', [['PartNumber', n], ['ETag', etags[n]]]]);
    const body = xml('CompleteMultipartUpload', parts);
    // CompleteMultipartUpload may answer 200 with an <Error> document: s3xml's caller must look.
    const done = await s3xml('POST', path, { query: { uploadId: this.uploadId }, body, headers: { 'Content-Type': 'application/xml' } });
    if (done.documentElement.localName === 'Error') {
      throw new ApiError(200, text(done.documentElement, 'Code'), text(done.documentElement, 'Message'));
    }
  }

  async cancel() {
    this.cancelled = true;
    for (const xhr of this.xhrs) xhr.abort();
    const index = queue.indexOf(this);
    if (index >= 0) {
      queue.splice(index, 1);
      this.end('cancelled', 'cancelled');
      this.finished(this);
    }
    if (this.uploadId) {
      await s3('DELETE', objectPath(this.bucket, this.key), { query: { uploadId: this.uploadId } }).catch(() => {});
    }
  }
}

function pump() {
  while (running < FILES_IN_FLIGHT && queue.length) {
    const upload = queue.shift();
    running += 1;
    upload.run().finally(() => { running -= 1; pump(); });
  }
}

/** Queues files for upload to bucket: items are { key, file }; onFinished runs after each one ends. */
export function enqueue(bucket, items, onFinished) {
  panel().hidden = false;
  for (const { key, file } of items) {
    const upload = new Upload(bucket, key, file, onFinished);
    list().append(upload.el);
    queue.push(upload);
  }
  pump();
}

/** Files dropped on the page, folders walked (DataTransfer items → FileSystemEntry), with their relative paths. */
export async function droppedFiles(dataTransfer) {
  const entries = Array.from(dataTransfer.items || [])
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null)).filter(Boolean);
  if (entries.length === 0) return Array.from(dataTransfer.files).map((file) => ({ path: file.name, file }));
  const out = [];
  const walk = async (entry, prefix) => {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push({ path: prefix + entry.name, file });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      // readEntries answers in batches (100 in Chromium) until it answers none.
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const e of batch) await walk(e, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const e of entries) await walk(e, '');
  return out;
}
