// Talking to the server: S3's own REST API (path style) and the admin API (the IAM API in iam.js), all with the
// session cookie and the session's CSRF token; the console's few JSON operations under /_xos/console/api/. The secret
// never reaches here except in the sign-in form, which sends it to the server once.

let session = null;
let onSessionEnded = () => {};

export function currentSession() { return session; }
export function setSession(info) { session = info; }
export function whenSessionEnds(handler) { onSessionEnded = handler; }

/** An error answered by the server: S3's Code and Message (or the console's / admin API's JSON code and message). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const statusCodes = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'AccessDenied', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict', 412: 'PreconditionFailed', 500: 'InternalError', 503: 'ServiceUnavailable' };

/** Reads an error response: XML <Error>, or JSON {code, message}; never shows the raw body. */
export async function errorFrom(res) {
  return errorFromText(res.status, res.statusText, await res.text().catch(() => ''));
}

export function errorFromText(status, statusText, body) {
  let code = null;
  let message = null;
  const t = (body || '').trim();
  if (t.startsWith('<')) {
    const doc = new DOMParser().parseFromString(t, 'application/xml');
    code = doc.querySelector('Error > Code')?.textContent || null;
    message = doc.querySelector('Error > Message')?.textContent || null;
  } else if (t.startsWith('{')) {
    try {
      const j = JSON.parse(t);
      code = j.code || j.Code || null;
      message = j.message || j.Message || null;
    } catch { /* not JSON after all */ }
  }
  const err = new ApiError(status, code || statusCodes[status] || `HTTP${status}`, message || `The server answered ${status} ${statusText || ''}.`.replace(' .', '.'));
  if (status === 401 && err.code === 'ConsoleSessionExpired') onSessionEnded(err);
  return err;
}

/** The CSRF header every console request carries. */
export function tokenHeaders() {
  return session ? { 'X-XOS-CSRF': session.csrfToken } : {};
}

function withToken(headers = {}) {
  return { ...tokenHeaders(), ...headers };
}

export function bucketPath(bucket) {
  return `/${encodeURIComponent(bucket)}`;
}

/** The path of a bucket or object, path style: each key segment percent-encoded, slashes kept. */
export function objectPath(bucket, key = '') {
  return `/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

function url(path, query) {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) q.append(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * Reads are never answered from the browser's cache (a listing or an object may have changed since). Writes keep the
 * default mode: the other modes add a Cache-Control request header, which S3 would store as the object's own.
 */
function cacheMode(method) {
  return method === 'GET' || method === 'HEAD' ? 'no-store' : 'default';
}

/** One S3 request; resolves with the Response when it succeeded, rejects with an ApiError otherwise. */
export async function s3(method, path, { query, headers, body, signal } = {}) {
  const res = await fetch(url(path, query), { method, headers: withToken(headers), body, signal, credentials: 'same-origin', cache: cacheMode(method) });
  if (!res.ok) throw await errorFrom(res);
  return res;
}

/** An S3 request whose answer is XML: resolves with the parsed document. */
export async function s3xml(method, path, options) {
  const res = await s3(method, path, options);
  const text = await res.text();
  return new DOMParser().parseFromString(text, 'application/xml');
}

async function jsonRequest(url, method, body) {
  const res = await fetch(url, {
    method,
    headers: withToken(body ? { 'Content-Type': 'application/json' } : {}),
    body: body ? JSON.stringify(body) : undefined,
    credentials: 'same-origin',
    cache: cacheMode(method),
  });
  if (!res.ok) throw await errorFrom(res);
  return res.status === 204 ? null : res.json();
}

/** The admin API (root only): JSON in and out. */
export const admin = (method, path, body) => jsonRequest(`/_xos/admin/${path}`, method, body);

/** The console's own operations. */
export const consoleApi = (method, path, body) => jsonRequest(`/_xos/console/api/${path}`, method, body);

export async function signIn(accessKey, secretKey, sessionToken) {
  session = await consoleApi('POST', 'session', { accessKey, secretKey, sessionToken: sessionToken || null });
  return session;
}

/** The session the cookie holds, if any (after a reload). */
export async function resume() {
  const res = await fetch('/_xos/console/api/session', { credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) return null;
  session = await res.json();
  return session;
}

export async function signOut() {
  try {
    await consoleApi('POST', 'sign-out');
  } finally {
    session = null;
  }
}

// ------------------------------------------------------------------ XML helpers

export const S3NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** Direct children of el named `name` (S3's namespace or none). */
export function children(el, name) {
  return el ? Array.from(el.children).filter((c) => c.localName === name) : [];
}

export function child(el, name) {
  return children(el, name)[0] || null;
}

export function text(el, name) {
  const c = child(el, name);
  return c ? c.textContent : null;
}

export function escapeXml(s) {
  return String(s).replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' }[c]));
}

/** xml('Tagging', [['TagSet', [['Tag', [['Key', 'a'], ['Value', 'b']]]]]]): an S3 request body. */
export function xml(root, content, attrs = ` xmlns="${S3NS}"`) {
  const render = (items) => items.map(([name, value]) => {
    if (value === undefined || value === null) return '';
    const inner = Array.isArray(value) ? render(value) : escapeXml(value);
    return `<${name}>${inner}</${name}>`;
  }).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><${root}${attrs}>${render(content)}</${root}>`;
}

// CRC-32 (IEEE), for the x-amz-checksum-crc32 that S3 wants on some configuration bodies (lifecycle); WebCrypto's
// digests exist only in secure contexts, and a console on plain HTTP on a LAN address is not one.
const crcTable = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32Base64(str) {
  const data = new TextEncoder().encode(str);
  let c = 0xffffffff;
  for (const b of data) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  c = (c ^ 0xffffffff) >>> 0;
  return btoa(String.fromCharCode((c >>> 24) & 0xff, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff));
}
