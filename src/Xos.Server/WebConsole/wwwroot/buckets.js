// The caller's buckets (ListBuckets): create, delete after confirmation, and what each holds.
import { s3, s3xml, consoleApi, child, children, text, bucketPath } from './api.js';
import { h, fill, field, input, showError, clearError, confirmAction, bytes, when, toast } from './ui.js';

export async function bucketsPage(page) {
  const name = input({ name: 'bucket', required: true, pattern: '[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]', placeholder: 'my-bucket' });
  const lock = h('input', { type: 'checkbox', id: 'new-bucket-lock' });
  const create = h('form', { class: 'panel', 'aria-label': 'Create a bucket' },
    h('div', { class: 'row' },
      h('div', { class: 'grow' }, field('New bucket name', name)),
      h('label', { class: 'inline', for: 'new-bucket-lock' }, lock, 'Object lock'),
      h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Create bucket'))));
  const list = h('div', {});
  fill(page, h('h1', {}, 'Buckets'), create, list);

  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(create);
    try {
      await s3('PUT', bucketPath(name.value.trim()), {
        headers: lock.checked ? { 'x-amz-bucket-object-lock-enabled': 'true' } : {},
      });
      toast(`Bucket ${name.value.trim()} created`);
      name.value = '';
      await load();
    } catch (err) {
      showError(create, err);
    }
  });

  async function load() {
    const doc = await s3xml('GET', '/');
    const buckets = children(child(doc.documentElement, 'Buckets'), 'Bucket')
      .map((b) => ({ name: text(b, 'Name'), created: text(b, 'CreationDate') }));
    if (buckets.length === 0) {
      fill(list, h('p', { class: 'muted' }, 'No buckets yet: create one above.'));
      return;
    }
    const rows = buckets.map((b) => {
      const objects = h('td', { class: 'num', 'data-objects': b.name }, '…');
      const size = h('td', { class: 'num', 'data-bytes': b.name }, '…');
      consoleApi('GET', `usage?bucket=${encodeURIComponent(b.name)}`)
        .then((u) => { fill(objects, u.objects.toLocaleString()); fill(size, bytes(u.bytes)); size.title = `${bytes(u.storedBytes)} stored in ${u.versions} versions`; })
        .catch(() => { fill(objects, '–'); fill(size, '–'); });
      const remove = h('button', { type: 'button', class: 'secondary', 'aria-label': `Delete bucket ${b.name}` }, 'Delete');
      remove.addEventListener('click', async () => {
        if (!await confirmAction('Delete bucket', `Delete the bucket ${b.name}? Only an empty bucket can be deleted.`, { typed: b.name })) return;
        try {
          await s3('DELETE', bucketPath(b.name));
          toast(`Bucket ${b.name} deleted`);
          await load();
        } catch (err) {
          showError(list, err);
        }
      });
      return h('tr', { 'data-bucket': b.name },
        h('td', { class: 'name' }, h('a', { href: `#/bucket/${encodeURIComponent(b.name)}` }, b.name)),
        objects, size,
        h('td', { class: 'hide-narrow' }, when(b.created)),
        h('td', {}, h('div', { class: 'actions' },
          h('a', { class: 'button secondary', href: `#/bucket/${encodeURIComponent(b.name)}/settings`, 'aria-label': `Settings of ${b.name}` }, 'Settings'),
          remove)));
    });
    fill(list, h('div', { class: 'table-wrap' }, h('table', {},
      h('caption', { class: 'muted' }, `${buckets.length} bucket${buckets.length === 1 ? '' : 's'}`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col', class: 'num' }, 'Objects'), h('th', { scope: 'col', class: 'num' }, 'Size'),
        h('th', { scope: 'col', class: 'hide-narrow' }, 'Created'), h('th', { scope: 'col' }, 'Actions'))),
      h('tbody', {}, rows))));
  }

  await load();
}
