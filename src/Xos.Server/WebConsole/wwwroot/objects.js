// The object browser: one page of ListObjectsV2 at a time (delimiter '/' for folders, continuation tokens for the
// next page), so a bucket of a million keys costs what one page costs. Uploads, downloads, folders and deletes.
import { s3, s3xml, objectPath, bucketPath, children, text, xml, crc32Base64 } from './api.js';
import { h, fill, input, select, field, showError, clearError, confirmAction, dialog, bytes, when, toast } from './ui.js';
import { enqueue, droppedFiles } from './upload.js';
import { tile } from './media.js';

const hrefFolder = (bucket, prefix) => `#/bucket/${encodeURIComponent(bucket)}${prefix ? `?prefix=${encodeURIComponent(prefix)}` : ''}`;
export const hrefObject = (bucket, key, tab) => `#/object/${encodeURIComponent(bucket)}?key=${encodeURIComponent(key)}${tab ? `&tab=${tab}` : ''}`;

/** Buckets / bucket / folder / ... as links. */
export function breadcrumbs(bucket, prefix, last) {
  const items = [h('li', {}, h('a', { href: '#/buckets' }, 'Buckets')), h('li', {}, h('a', { href: hrefFolder(bucket, '') }, bucket))];
  let path = '';
  for (const segment of prefix.split('/').filter((s, i, all) => i < all.length - 1 || s)) {
    path += `${segment}/`;
    items.push(h('li', {}, h('a', { href: hrefFolder(bucket, path) }, segment)));
  }
  if (last) items.push(h('li', { 'aria-current': 'page' }, last));
  return h('nav', { 'aria-label': 'Breadcrumbs' }, h('ol', { class: 'crumbs' }, items));
}

export async function objectsPage(page, bucket, prefix, search) {
  const state = { tokens: [], token: null, pageSize: 100, deleted: false };
  const listing = h('div', { 'aria-live': 'polite' });
  const searchBox = input({ type: 'search', name: 'search', value: search, placeholder: 'name starts with…' });
  const searchForm = h('form', { role: 'search', class: 'grow' }, field('Search this folder by prefix', searchBox));
  searchForm.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `${hrefFolder(bucket, prefix)}${prefix ? '&' : '?'}search=${encodeURIComponent(searchBox.value)}`;
  });

  const files = h('input', { type: 'file', multiple: true, hidden: true, id: 'upload-files', 'aria-label': 'Files to upload' });
  const folder = h('input', { type: 'file', multiple: true, webkitdirectory: true, hidden: true, id: 'upload-folder', 'aria-label': 'Folder to upload' });
  const uploadButton = h('button', { type: 'button', onclick: () => files.click() }, 'Upload files');
  const folderButton = h('button', { type: 'button', class: 'secondary', onclick: () => folder.click() }, 'Upload folder');
  const newFolder = h('button', { type: 'button', class: 'secondary' }, 'New folder');
  const deleteButton = h('button', { type: 'button', class: 'danger', disabled: true }, 'Delete selected');
  const refresh = h('button', { type: 'button', class: 'secondary' }, 'Refresh');
  const pageSize = select([['50', '50'], ['100', '100'], ['500', '500'], ['1000', '1000']], '100', { id: 'page-size' });
  const showDeleted = h('input', { type: 'checkbox', id: 'show-deleted' });
  // List or grid of thumbnails (images, and video posters), remembered across visits.
  const view = select([['list', 'List'], ['grid', 'Thumbnails']], localStorage.getItem('xos.view') === 'grid' ? 'grid' : 'list', { id: 'view' });
  const drop = h('div', { class: 'dropzone' }, 'Drop files or folders here to upload them to ', h('strong', {}, prefix || bucket));

  fill(page,
    breadcrumbs(bucket, prefix),
    h('h1', {}, prefix ? prefix : bucket),
    h('div', { class: 'row' }, searchForm, h('div', { class: 'field' }, h('label', { for: 'page-size' }, 'Per page'), pageSize),
      h('div', { class: 'field' }, h('label', { for: 'view' }, 'View'), view),
      h('div', { class: 'field' }, h('label', { class: 'inline', for: 'show-deleted' }, showDeleted, 'Show deleted objects'))),
    h('div', { class: 'actions' }, uploadButton, folderButton, newFolder, deleteButton, refresh,
      h('a', { class: 'button secondary', href: `#/bucket/${encodeURIComponent(bucket)}/settings` }, 'Bucket settings'), files, folder),
    h('p', {}),
    drop,
    listing);

  const afterUpload = debounce(() => load(state.token), 400);
  const upload = (items) => enqueue(bucket, items.map(({ path, file }) => ({ key: prefix + path, file })), afterUpload);
  files.addEventListener('change', () => { upload(Array.from(files.files).map((file) => ({ path: file.name, file }))); files.value = ''; });
  folder.addEventListener('change', () => { upload(Array.from(folder.files).map((file) => ({ path: file.webkitRelativePath || file.name, file }))); folder.value = ''; });
  page.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  page.addEventListener('dragleave', (e) => { if (e.target === page || e.target === drop) drop.classList.remove('over'); });
  page.addEventListener('drop', async (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    upload(await droppedFiles(e.dataTransfer));
  });
  refresh.addEventListener('click', () => load(state.token));
  pageSize.addEventListener('change', () => { state.pageSize = Number(pageSize.value); state.tokens = []; load(null); });
  showDeleted.addEventListener('change', () => { state.deleted = showDeleted.checked; state.tokens = []; load(null); });
  view.addEventListener('change', () => { localStorage.setItem('xos.view', view.value); load(state.token); });
  newFolder.addEventListener('click', async () => {
    const box = input({ name: 'folder' });
    const pending = dialog('New folder', field(`Folder name (in ${prefix || bucket})`, box), [['Create', 'yes'], ['Cancel', null, 'secondary']]);
    box.focus();
    const name = (await pending) === 'yes' ? box.value.trim() : '';
    if (!name) return;
    try {
      await s3('PUT', objectPath(bucket, `${prefix}${name.replace(/\/+$/, '')}/`), { body: '' });
      await load(state.token);
    } catch (err) { showError(listing, err); }
  });
  deleteButton.addEventListener('click', async () => {
    const chosen = Array.from(listing.querySelectorAll('input[data-key]:checked')).map((c) => ({ key: c.dataset.key, folder: c.dataset.folder === '1' }));
    if (chosen.length === 0) return;
    const folders = chosen.filter((c) => c.folder).length;
    const what = `${chosen.length} item${chosen.length === 1 ? '' : 's'}${folders ? ` (with everything in ${folders} folder${folders === 1 ? '' : 's'})` : ''}`;
    if (!await confirmAction('Delete objects', `Delete ${what}? In a versioned bucket this adds delete markers; older versions stay.`)) return;
    try {
      const keys = [];
      for (const c of chosen) {
        if (c.folder) keys.push(...await allKeys(bucket, c.key));
        else keys.push(c.key);
      }
      const failed = await deleteKeys(bucket, keys);
      toast(failed.length ? `${keys.length - failed.length} deleted, ${failed.length} refused` : `${keys.length} deleted`);
      if (failed.length) showError(listing, failed[0]);
      await load(state.token);
    } catch (err) { showError(listing, err); }
  });

  async function load(token) {
    clearError(listing);
    const found = state.deleted ? await latestVersions(token) : await keys(token);
    state.token = token;
    render(found.folders, found.objects, found.next);
  }

  async function keys(token) {
    const doc = await s3xml('GET', bucketPath(bucket), {
      query: { 'list-type': '2', delimiter: '/', prefix: prefix + (search || ''), 'max-keys': String(state.pageSize), 'continuation-token': token || undefined },
    });
    const root = doc.documentElement;
    return {
      folders: children(root, 'CommonPrefixes').map((p) => text(p, 'Prefix')),
      objects: children(root, 'Contents').map((c) => ({ key: text(c, 'Key'), size: Number(text(c, 'Size')), modified: text(c, 'LastModified') }))
        .filter((o) => o.key !== prefix),
      next: text(root, 'IsTruncated') === 'true' ? text(root, 'NextContinuationToken') : null,
    };
  }

  /** The same page from ListObjectVersions: every key's latest version, delete markers included, so deleted keys show. */
  async function latestVersions(token) {
    const doc = await s3xml('GET', bucketPath(bucket), {
      query: { versions: '', delimiter: '/', prefix: prefix + (search || ''), 'max-keys': String(state.pageSize), 'key-marker': token?.key, 'version-id-marker': token?.version },
    });
    const root = doc.documentElement;
    return {
      folders: children(root, 'CommonPrefixes').map((p) => text(p, 'Prefix')),
      objects: Array.from(root.children)
        .filter((e) => (e.localName === 'Version' || e.localName === 'DeleteMarker') && text(e, 'IsLatest') === 'true' && text(e, 'Key') !== prefix)
        .map((e) => ({ key: text(e, 'Key'), size: Number(text(e, 'Size') || 0), modified: text(e, 'LastModified'), deleted: e.localName === 'DeleteMarker' })),
      next: text(root, 'IsTruncated') === 'true' ? { key: text(root, 'NextKeyMarker'), version: text(root, 'NextVersionIdMarker') } : null,
    };
  }

  function render(folders, objects, next) {
    const selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select all on this page' });
    const rows = [
      ...folders.map((p) => h('tr', { 'data-prefix': p },
        h('td', { class: 'check' }, h('input', { type: 'checkbox', 'data-key': p, 'data-folder': '1', 'aria-label': `Select folder ${p.slice(prefix.length)}` })),
        h('td', { class: 'name' }, h('a', { href: hrefFolder(bucket, p), class: 'folder' }, p.slice(prefix.length))),
        h('td', { class: 'num' }, ''), h('td', { class: 'hide-narrow' }, ''), h('td', {}, ''))),
      ...objects.map((o) => h('tr', { 'data-key': o.key, 'data-deleted': o.deleted ? '1' : null },
        h('td', { class: 'check' }, o.deleted ? null : h('input', { type: 'checkbox', 'data-key': o.key, 'aria-label': `Select ${o.key.slice(prefix.length)}` })),
        h('td', { class: 'name' }, h('a', { href: hrefObject(bucket, o.key, o.deleted ? 'versions' : null) }, o.key.slice(prefix.length)),
          o.deleted ? [' ', h('span', { class: 'badge' }, 'deleted')] : null),
        h('td', { class: 'num' }, o.deleted ? '' : bytes(o.size)),
        h('td', { class: 'hide-narrow' }, when(o.modified)),
        h('td', {}, o.deleted ? '' : h('a', { href: objectPath(bucket, o.key), download: o.key.split('/').pop(), 'aria-label': `Download ${o.key.slice(prefix.length)}` }, 'Download')))),
    ];
    const pager = h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', disabled: state.tokens.length === 0, onclick: () => load(state.tokens.pop()) }, 'Previous page'),
      h('button', { type: 'button', class: 'secondary', disabled: !next, onclick: () => { state.tokens.push(state.token); load(next); } }, 'Next page'),
      h('span', { class: 'muted' }, `Page ${state.tokens.length + 1}`));
    const grid = () => h('div', { class: 'grid', 'aria-label': 'Thumbnails' },
      folders.map((p) => h('a', { class: 'tile folder', href: hrefFolder(bucket, p), title: p },
        h('span', { class: 'tile-ext' }, 'FOLDER'), h('span', { class: 'tile-name' }, p.slice(prefix.length)))),
      objects.filter((o) => !o.deleted).map((o) => tile(bucket, o.key, o.key.slice(prefix.length), hrefObject(bucket, o.key))));
    fill(listing,
      rows.length === 0
        ? h('p', { class: 'muted' }, search ? `Nothing here starts with “${search}”.` : 'This folder is empty: upload files, or drop them here.')
        : view.value === 'grid' ? grid() : h('div', { class: 'table-wrap' }, h('table', {},
          h('thead', {}, h('tr', {}, h('th', { class: 'check' }, selectAll), h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col', class: 'num' }, 'Size'),
            h('th', { scope: 'col', class: 'hide-narrow' }, 'Last modified'), h('th', { scope: 'col' }, 'Download'))),
          h('tbody', {}, rows))),
      h('p', {}), pager);
    const boxes = () => Array.from(listing.querySelectorAll('input[data-key]'));
    const update = () => { deleteButton.disabled = !boxes().some((b) => b.checked); };
    selectAll.addEventListener('change', () => { for (const b of boxes()) b.checked = selectAll.checked; update(); });
    for (const b of boxes()) b.addEventListener('change', update);
    update();
  }

  await load(null);
}

/** Every key under a prefix (no delimiter), page by page. */
async function allKeys(bucket, prefix) {
  const keys = [];
  let token;
  do {
    const doc = await s3xml('GET', bucketPath(bucket), { query: { 'list-type': '2', prefix, 'max-keys': '1000', 'continuation-token': token } });
    keys.push(...children(doc.documentElement, 'Contents').map((c) => text(c, 'Key')));
    token = text(doc.documentElement, 'IsTruncated') === 'true' ? text(doc.documentElement, 'NextContinuationToken') : undefined;
  } while (token);
  return keys;
}

/** DeleteObjects in batches of 1000; returns the keys S3 refused, as errors. */
export async function deleteKeys(bucket, keys) {
  const failed = [];
  for (let i = 0; i < keys.length; i += 1000) {
    const body = xml('Delete', [['Quiet', 'true'], ...keys.slice(i, i + 1000).map((k) => ['Object', [['Key', k]]])]);
    const doc = await s3xml('POST', bucketPath(bucket), { query: { delete: '' }, body, headers: { 'Content-Type': 'application/xml', 'x-amz-checksum-crc32': crc32Base64(body) } });
    for (const e of children(doc.documentElement, 'Error')) {
      failed.push({ code: text(e, 'Code'), message: `${text(e, 'Key')}: ${text(e, 'Message')}` });
    }
  }
  return failed;
}

function debounce(fn, ms) {
  let t;
  return () => { clearTimeout(t); t = setTimeout(fn, ms); };
}
