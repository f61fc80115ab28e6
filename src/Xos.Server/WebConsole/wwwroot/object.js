// One object: preview (streamed from S3 with Range requests by the browser's own media elements), properties,
// tags, ACL, versions and share links.
import { s3, s3xml, consoleApi, objectPath, bucketPath, child, children, text, xml, escapeXml, S3NS } from './api.js';
import { mediaTab } from './media.js';
import { h, fill, field, input, select, showError, clearError, confirmAction, copyText, tabStrip, bytes, when, toast } from './ui.js';
import { breadcrumbs, hrefObject } from './objects.js';

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-yaml|yaml|x-sh|toml|x-ndjson|csv))|\+json|\+xml/;
const TEXT_EXTENSIONS = /\.(txt|md|json|log|csv|tsv|xml|ya?ml|js|mjs|ts|css|html?|sh|py|ini|conf|cfg|toml|sql|srt|vtt)$/i;
const TEXT_PREVIEW_BYTES = 256 * 1024;
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

export async function objectPage(page, bucket, key, initialTab) {
  const path = objectPath(bucket, key);
  const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  const name = key.slice(folder.length);
  let head;
  try {
    head = await s3('HEAD', path);
  } catch (err) {
    if (err.status === 404 && await hasVersions(bucket, key)) {
      // The current version is a delete marker: the versions are still there, and one can be restored.
      fill(page, breadcrumbs(bucket, folder, name), h('h1', {}, name),
        h('div', { class: 'notice', role: 'status' }, 'This object is deleted: its current version is a delete marker. Restore an older version to bring it back.'),
        tabStrip([['versions', 'Versions', (p) => versions(p, bucket, key, () => objectPage(page, bucket, key, 'versions'))]]));
      return;
    }
    // A HEAD answer has no body to tell why.
    const why = {
      404: ['NoSuchKey', `There is no object ${key} in ${bucket} (it may have been deleted).`],
      403: ['AccessDenied', `You may not read ${key}.`],
      400: ['InvalidRequest', `The server will not describe ${key}: an object encrypted with a customer key (SSE-C) needs that key, which the console does not send.`],
    }[err.status];
    if (why) Object.assign(err, { code: why[0], message: why[1] });
    throw err;
  }
  const info = describe(head.headers);
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
  remove.addEventListener('click', async () => {
    if (!await confirmAction('Delete object', `Delete ${key}?${info.versionId ? ' The bucket is versioned: a delete marker hides it, its versions stay.' : ''}`)) return;
    try {
      await s3('DELETE', path);
      toast(`${name} deleted`);
      location.hash = `#/bucket/${encodeURIComponent(bucket)}${folder ? `?prefix=${encodeURIComponent(folder)}` : ''}`;
    } catch (err) { showError(page, err); }
  });
  fill(page,
    breadcrumbs(bucket, folder, name),
    h('h1', {}, name),
    h('div', { class: 'actions' },
      h('a', { class: 'button', href: path, download: name }, 'Download'),
      h('a', { class: 'button secondary', href: hrefObject(bucket, key, 'share') }, 'Share'),
      remove),
    h('p', {}),
    tabStrip([
      ['overview', 'Overview', (p) => overview(p, bucket, key, path, info)],
      ['media', 'Media', (p) => mediaTab(p, bucket, key, path, info)],
      ['tags', 'Tags', (p) => tags(p, path)],
      ['access', 'Access', (p) => access(p, path)],
      ['versions', 'Versions', (p) => versions(p, bucket, key, () => objectPage(page, bucket, key, 'versions'))],
      ['share', 'Share', (p) => share(p, bucket, key)],
    ], initialTab));
}

function describe(headers) {
  const metadata = [];
  for (const [k, v] of headers) if (k.startsWith('x-amz-meta-')) metadata.push([k.slice('x-amz-meta-'.length), v]);
  return {
    size: Number(headers.get('content-length')),
    etag: headers.get('etag'),
    type: headers.get('content-type') || '',
    modified: headers.get('last-modified'),
    versionId: headers.get('x-amz-version-id'),
    storageClass: headers.get('x-amz-storage-class') || 'STANDARD',
    encryption: headers.get('x-amz-server-side-encryption'),
    kmsKey: headers.get('x-amz-server-side-encryption-aws-kms-key-id'),
    cacheControl: headers.get('cache-control'),
    disposition: headers.get('content-disposition'),
    tagCount: headers.get('x-amz-tagging-count'),
    metadata,
  };
}

function overview(panel, bucket, key, path, info) {
  const props = [
    ['Size', `${bytes(info.size)} (${info.size.toLocaleString()} bytes)`],
    ['Type', info.type],
    ['Last modified', when(info.modified)],
    ['ETag', info.etag],
    ['Storage class', info.storageClass],
    ['Encryption', info.encryption ? `${info.encryption}${info.kmsKey ? ` (key ${info.kmsKey})` : ''}` : 'none'],
    ['Version', info.versionId || '(unversioned)'],
    info.cacheControl ? ['Cache-Control', info.cacheControl] : null,
    info.disposition ? ['Content-Disposition', info.disposition] : null,
    ...info.metadata.map(([k, v]) => [`Metadata: ${k}`, v]),
  ].filter(Boolean);
  fill(panel,
    h('section', { class: 'panel preview', 'aria-label': 'Preview' }, previewOf(key, path, info)),
    h('section', { class: 'panel', 'aria-label': 'Properties' }, h('h2', {}, 'Properties'),
      h('dl', { class: 'props' }, props.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { class: k === 'ETag' ? 'mono' : null }, v)]))));
}

/** The browser fetches media itself from the object's URL (the session cookie authenticates it), seeking with Range requests. */
function previewOf(key, path, info) {
  const type = info.type.split(';')[0].trim().toLowerCase();
  if (type.startsWith('image/')) return h('img', { src: path, alt: `Preview of ${key}`, 'data-preview': 'image' });
  if (type.startsWith('video/')) return h('video', { src: path, controls: true, preload: 'metadata', 'aria-label': `Video ${key}`, 'data-preview': 'video' });
  if (type.startsWith('audio/')) return h('audio', { src: path, controls: true, preload: 'metadata', 'aria-label': `Audio ${key}`, 'data-preview': 'audio' });
  if (type === 'application/pdf') return h('iframe', { src: path, title: `PDF ${key}`, 'data-preview': 'pdf' });
  if (TEXT_TYPES.test(type) || TEXT_EXTENSIONS.test(key)) {
    const pre = h('pre', { 'data-preview': 'text', tabindex: '0', 'aria-label': `Text of ${key}` }, 'Loading…');
    s3('GET', path, { headers: { Range: `bytes=0-${TEXT_PREVIEW_BYTES - 1}` } })
      .then((res) => res.text())
      .then((body) => {
        const whole = info.size <= TEXT_PREVIEW_BYTES;
        let shown = body;
        if (whole && (type.includes('json') || /\.json$/i.test(key))) {
          try { shown = JSON.stringify(JSON.parse(body), null, 2); } catch { /* shown as it is */ }
        }
        fill(pre, shown, whole ? '' : `\n… (first ${bytes(TEXT_PREVIEW_BYTES)} of ${bytes(info.size)})`);
      })
      .catch((err) => fill(pre, `${err.code}: ${err.message}`));
    return pre;
  }
  return h('p', { class: 'muted' }, `No preview for ${type || 'this type'}: download it instead.`);
}

async function tags(panel, path) {
  const doc = await s3xml('GET', path, { query: { tagging: '' } }).catch((err) => { showError(panel, err); return null; });
  if (!doc) return;
  const rows = h('div', {});
  const addRow = (k = '', v = '') => {
    const keyBox = input({ value: k, 'aria-label': 'Tag key', maxlength: 128, 'data-tag-key': '' });
    const valueBox = input({ value: v, 'aria-label': 'Tag value', maxlength: 256, 'data-tag-value': '' });
    const row = h('div', { class: 'row' }, h('div', { class: 'grow' }, keyBox), h('div', { class: 'grow' }, valueBox),
      h('button', { type: 'button', class: 'secondary', 'aria-label': 'Remove this tag', onclick: () => row.remove() }, 'Remove'));
    rows.append(row);
    return keyBox;
  };
  for (const t of children(child(doc.documentElement, 'TagSet'), 'Tag')) addRow(text(t, 'Key'), text(t, 'Value'));
  const form = h('form', { class: 'panel', 'aria-label': 'Tags' },
    h('p', { class: 'muted' }, 'Up to 10 tags; keys are unique.'), rows,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => addRow().focus() }, 'Add tag'),
      h('button', { type: 'submit' }, 'Save tags')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(form);
    const set = Array.from(rows.querySelectorAll('.row')).map((r) => [r.querySelector('[data-tag-key]').value.trim(), r.querySelector('[data-tag-value]').value])
      .filter(([k]) => k);
    const body = xml('Tagging', [['TagSet', set.map(([k, v]) => ['Tag', [['Key', k], ['Value', v]]])]]);
    try {
      await s3('PUT', path, { query: { tagging: '' }, body, headers: { 'Content-Type': 'application/xml' } });
      toast('Tags saved');
    } catch (err) { showError(form, err); }
  });
  fill(panel, form);
}

async function access(panel, path) {
  let doc;
  try {
    doc = await s3xml('GET', path, { query: { acl: '' } });
  } catch (err) { showError(panel, err); return; }
  const owner = child(doc.documentElement, 'Owner');
  const ownerId = text(owner, 'ID');
  const grants = children(child(doc.documentElement, 'AccessControlList'), 'Grant').map((g) => {
    const grantee = child(g, 'Grantee');
    return { id: text(grantee, 'ID'), name: text(grantee, 'DisplayName'), uri: text(grantee, 'URI'), permission: text(g, 'Permission') };
  });
  const isPublic = grants.some((g) => g.uri === ALL_USERS && (g.permission === 'READ' || g.permission === 'FULL_CONTROL'));
  const canned = async (acl) => {
    try {
      await s3('PUT', path, { query: { acl: '' }, headers: { 'x-amz-acl': acl } });
      toast(acl === 'private' ? 'The object is private' : 'Anyone can read the object');
      await access(panel, path);
    } catch (err) { showError(panel, err); }
  };
  const list = h('tbody', {});
  const draw = () => fill(list, grants.map((g, i) => h('tr', {},
    h('td', { class: 'name' }, g.uri === ALL_USERS ? 'Everyone (AllUsers)' : g.uri === AUTHENTICATED_USERS ? 'Any signed-in user' : `${g.name || ''} ${g.id || g.uri || ''}`),
    h('td', {}, g.permission),
    h('td', {}, h('button', { type: 'button', class: 'secondary', 'aria-label': `Remove grant ${i + 1}`, onclick: () => { grants.splice(i, 1); draw(); } }, 'Remove')))));
  draw();
  const grantee = input({ placeholder: 'canonical user id', 'aria-label': 'Grantee canonical id' });
  const kind = select([['user', 'User (canonical id)'], ['all', 'Everyone'], ['auth', 'Any signed-in user']], 'user', { 'aria-label': 'Grantee type' });
  const permission = select(['READ', 'READ_ACP', 'WRITE_ACP', 'FULL_CONTROL'].map((p) => [p, p]), 'READ', { 'aria-label': 'Permission' });
  const add = h('button', { type: 'button', class: 'secondary' }, 'Add grant');
  add.addEventListener('click', () => {
    if (kind.value === 'user' && !grantee.value.trim()) { grantee.focus(); return; }
    grants.push(kind.value === 'user' ? { id: grantee.value.trim(), permission: permission.value }
      : { uri: kind.value === 'all' ? ALL_USERS : AUTHENTICATED_USERS, permission: permission.value });
    grantee.value = '';
    draw();
  });
  const save = h('button', { type: 'button' }, 'Save grants');
  save.addEventListener('click', async () => {
    const xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
    const body = `<?xml version="1.0" encoding="UTF-8"?><AccessControlPolicy xmlns="${S3NS}"><Owner><ID>${escapeXml(ownerId)}</ID></Owner><AccessControlList>${
      grants.map((g) => `<Grant><Grantee ${xsi} xsi:type="${g.uri ? 'Group' : 'CanonicalUser'}">${g.uri ? `<URI>${escapeXml(g.uri)}</URI>` : `<ID>${escapeXml(g.id)}</ID>`}</Grantee><Permission>${g.permission}</Permission></Grant>`).join('')
    }</AccessControlList></AccessControlPolicy>`;
    try {
      await s3('PUT', path, { query: { acl: '' }, body, headers: { 'Content-Type': 'application/xml' } });
      toast('Grants saved');
      await access(panel, path);
    } catch (err) { showError(panel, err); }
  });
  fill(panel,
    h('section', { class: 'panel' }, h('h2', {}, 'Public access'),
      h('p', {}, isPublic ? 'Anyone with the URL can read this object.' : 'Only the owner and the grants below can read this object.'),
      h('div', { class: 'actions' },
        h('button', { type: 'button', disabled: isPublic, onclick: () => canned('public-read') }, 'Make public'),
        h('button', { type: 'button', class: 'secondary', disabled: !isPublic && grants.length <= 1, onclick: () => canned('private') }, 'Make private'))),
    h('section', { class: 'panel' }, h('h2', {}, 'Grants'),
      h('p', { class: 'muted' }, `Owner: ${text(owner, 'DisplayName') || ''} `, h('code', {}, ownerId)),
      h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Grantee'), h('th', {}, 'Permission'), h('th', {}, ''))), list)),
      h('div', { class: 'row' }, h('div', {}, kind), h('div', { class: 'grow' }, grantee), h('div', {}, permission), add),
      h('p', {}), save));
}

async function hasVersions(bucket, key) {
  const doc = await s3xml('GET', bucketPath(bucket), { query: { versions: '', prefix: key, 'max-keys': '1' } }).catch(() => null);
  return !!doc && Array.from(doc.documentElement.children).some((e) => (e.localName === 'Version' || e.localName === 'DeleteMarker') && text(e, 'Key') === key);
}

/** The key's versions and delete markers; `changed` redraws the page after a restore or a deletion. */
async function versions(panel, bucket, key, changed) {
  const entries = [];
  let keyMarker;
  let versionMarker;
  let more = false;
  for (let pages = 0; pages < 10; pages++) {
    const doc = await s3xml('GET', bucketPath(bucket), { query: { versions: '', prefix: key, 'max-keys': '1000', 'key-marker': keyMarker, 'version-id-marker': versionMarker } })
      .catch((err) => { showError(panel, err); return null; });
    if (!doc) return;
    for (const el of Array.from(doc.documentElement.children)) {
      if ((el.localName !== 'Version' && el.localName !== 'DeleteMarker') || text(el, 'Key') !== key) continue;
      entries.push({ marker: el.localName === 'DeleteMarker', id: text(el, 'VersionId'), latest: text(el, 'IsLatest') === 'true',
        modified: text(el, 'LastModified'), size: Number(text(el, 'Size') || 0), etag: text(el, 'ETag') });
    }
    keyMarker = text(doc.documentElement, 'NextKeyMarker');
    versionMarker = text(doc.documentElement, 'NextVersionIdMarker');
    more = text(doc.documentElement, 'IsTruncated') === 'true' && keyMarker === key;
    if (!more) break;
  }
  const path = objectPath(bucket, key);
  const restore = async (v) => {
    if (!await confirmAction('Restore version', `Copy version ${v.id} over the current ${key}? The current version stays as an older one.`, { action: 'Restore' })) return;
    try {
      const copySource = `${bucketPath(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}?versionId=${encodeURIComponent(v.id)}`;
      const doc = await s3xml('PUT', path, { headers: { 'x-amz-copy-source': copySource } });
      if (doc.documentElement.localName === 'Error') throw { code: text(doc.documentElement, 'Code'), message: text(doc.documentElement, 'Message') };
      toast('Version restored');
      await changed();
    } catch (err) { showError(panel, err); }
  };
  const removeVersion = async (v) => {
    if (!await confirmAction('Delete version', `Delete version ${v.id} of ${key} for good?`)) return;
    try {
      await s3('DELETE', path, { query: { versionId: v.id } });
      toast('Version deleted');
      await changed();
    } catch (err) { showError(panel, err); }
  };
  if (entries.length === 0 || (entries.length === 1 && entries[0].id === 'null')) {
    fill(panel, h('p', { class: 'muted' }, 'This object has no other versions. Enable versioning in the bucket settings to keep them.'));
    if (entries.length === 0) return;
  }
  fill(panel, h('div', { class: 'table-wrap' }, h('table', {},
    h('caption', { class: 'muted' }, `${entries.length} version${entries.length === 1 ? '' : 's'}${more ? ' (the newest 10,000 shown)' : ''}`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Version'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Modified'), h('th', { scope: 'col', class: 'num' }, 'Size'), h('th', { scope: 'col' }, 'Actions'))),
    h('tbody', {}, entries.map((v) => h('tr', { 'data-version': v.id },
      h('td', {}, h('code', {}, v.id), ' ', v.latest ? h('span', { class: 'badge on' }, 'current') : null, v.marker ? h('span', { class: 'badge' }, 'delete marker') : null),
      h('td', { class: 'hide-narrow' }, when(v.modified)),
      h('td', { class: 'num' }, v.marker ? '' : bytes(v.size)),
      h('td', {}, h('div', { class: 'actions' },
        v.marker ? null : h('a', { class: 'button secondary', href: `${path}?versionId=${encodeURIComponent(v.id)}`, download: key.split('/').pop(), 'aria-label': `Download version ${v.id}` }, 'Download'),
        v.marker || v.latest ? null : h('button', { type: 'button', class: 'secondary', 'aria-label': `Restore version ${v.id}`, onclick: () => restore(v) }, 'Restore'),
        h('button', { type: 'button', class: 'secondary', 'aria-label': `Delete version ${v.id}`, onclick: () => removeVersion(v) }, 'Delete')))))))));
}

function share(panel, bucket, key) {
  const expiry = select([['900', '15 minutes'], ['3600', '1 hour'], ['86400', '1 day'], ['604800', '7 days']], '3600', { id: 'share-expiry' });
  const download = h('input', { type: 'checkbox', id: 'share-download' });
  const result = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'panel', 'aria-label': 'Share link' },
    h('p', {}, 'A link anyone can open, without signing in, until it expires. It is signed with your access key and stops working if the key is revoked.'),
    h('div', { class: 'row' }, h('div', {}, field('Expires after', expiry)), h('label', { class: 'inline', for: 'share-download' }, download, 'Download instead of opening'),
      h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Create link'))),
    result);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(form);
    try {
      const link = await consoleApi('POST', 'share', { bucket, key, expiresSeconds: Number(expiry.value), download: download.checked });
      const box = input({ value: link.url, readonly: true, id: 'share-url', 'aria-label': 'Share link' });
      fill(result, field('Link', box, `Valid until ${when(link.expires)}`),
        h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => copyText(link.url, box) }, 'Copy link'),
          h('a', { class: 'button secondary', href: link.url, target: '_blank', rel: 'noopener noreferrer' }, 'Open')));
      box.select();
    } catch (err) { showError(form, err); }
  });
  fill(panel, form);
}
