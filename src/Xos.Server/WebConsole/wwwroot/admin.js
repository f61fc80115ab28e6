// Root's pages, over the admin API (/_xos/admin/...): the server at a glance, users and their keys, roles.
import { admin } from './api.js';
import { h, fill, field, input, showError, clearError, confirmAction, dialog, copyText, bytes, when, duration, toast } from './ui.js';

export async function overviewPage(page) {
  const cards = h('div', { class: 'cards' });
  fill(page, h('h1', {}, 'Server overview'), cards, h('p', { class: 'muted' }, 'Refreshed every 5 seconds.'));
  const card = (label, value, extra) => h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), extra || null);
  const draw = async () => {
    const o = await admin('GET', 'overview');
    const used = o.totalBytes - o.freeBytes;
    const bar = h('div', { class: 'bar', role: 'img', 'aria-label': `${Math.round((used / o.totalBytes) * 100)}% of the disk used` }, h('span', {}));
    bar.firstChild.style.width = `${Math.min(100, (used / o.totalBytes) * 100)}%`;
    fill(cards,
      card('Version', o.version, h('div', { class: 'muted' }, `commit ${o.commit}`)),
      card('Uptime', duration(o.uptimeSeconds), h('div', { class: 'muted' }, `since ${when(o.startedAt)}`)),
      card('Requests per second', o.requestsPerSecond.toFixed(1), h('div', { class: 'muted' }, `${o.requests.toLocaleString()} since start`)),
      card('Objects', o.objects.toLocaleString(), h('div', { class: 'muted' }, `${o.versions.toLocaleString()} versions stored`)),
      card('Data', bytes(o.bytes), h('div', { class: 'muted' }, `${bytes(o.storedBytes)} with old versions`)),
      card('Buckets', o.buckets.toLocaleString()),
      card('Users', o.users.toLocaleString()),
      card('Free space', bytes(o.freeBytes), h('div', {}, bar, h('div', { class: 'muted' }, `of ${bytes(o.totalBytes)}; writes stop below ${bytes(o.reserveBytes)}`))),
      card('Data folder', h('code', {}, o.dataDirectory), h('div', { class: 'muted' }, o.metadata)));
  };
  await draw();
  const timer = setInterval(() => {
    if (!cards.isConnected) { clearInterval(timer); return; }
    draw().catch(() => {});
  }, 5000);
}

/** The one time a secret is shown: the user must copy it now. */
async function showCreatedKey(created) {
  const ak = input({ value: created.accessKey, readonly: true, id: 'created-access-key' });
  const sk = input({ value: created.secretKey, readonly: true, id: 'created-secret-key' });
  await dialog(`Keys for ${created.user}`, h('div', {},
    h('p', {}, 'The secret is shown only now: copy it somewhere safe. It cannot be shown again.'),
    h('div', { class: 'secret-box' },
      h('label', { for: ak.id }, 'Access key'), ak, h('button', { type: 'button', class: 'secondary', onclick: () => copyText(ak.value, ak) }, 'Copy'),
      h('label', { for: sk.id }, 'Secret key'), sk, h('button', { type: 'button', class: 'secondary', onclick: () => copyText(sk.value, sk) }, 'Copy')),
    h('p', { class: 'muted' }, `Canonical user id: ${created.canonicalId}`)), [['Done', null]]);
}

export async function usersPage(page) {
  const name = input({ name: 'user', required: true });
  const create = h('form', { class: 'panel', 'aria-label': 'Create a user' },
    h('div', { class: 'row' }, h('div', { class: 'grow' }, field('New user name', name)), h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Create user'))));
  const list = h('div', {});
  fill(page, h('h1', {}, 'Users'), create, list);
  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(create);
    try {
      const created = await admin('POST', 'users', { name: name.value.trim() });
      name.value = '';
      await load();
      await showCreatedKey(created);
    } catch (err) { showError(create, err); }
  });
  async function load() {
    const users = await admin('GET', 'users');
    fill(list, h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'User'), h('th', { scope: 'col' }, 'Access keys'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Created'), h('th', { scope: 'col' }, 'Actions'))),
      h('tbody', {}, users.map((u) => {
        const isRoot = u.name === 'root';
        const addKey = h('button', { type: 'button', class: 'secondary', disabled: isRoot, 'aria-label': `New access key for ${u.name}` }, 'New key');
        addKey.addEventListener('click', async () => {
          try {
            const created = await admin('POST', `users/${encodeURIComponent(u.name)}/keys`, {});
            await load();
            await showCreatedKey(created);
          } catch (err) { showError(list, err); }
        });
        const remove = h('button', { type: 'button', class: 'danger', disabled: isRoot, 'aria-label': `Delete user ${u.name}` }, 'Delete');
        remove.addEventListener('click', async () => {
          if (!await confirmAction('Delete user', `Delete ${u.name} and their keys? A user who still owns buckets cannot be deleted.`, { typed: u.name })) return;
          try {
            await admin('DELETE', `users/${encodeURIComponent(u.name)}`);
            toast(`${u.name} deleted`);
            await load();
          } catch (err) { showError(list, err); }
        });
        return h('tr', { 'data-user': u.name },
          h('td', { class: 'name' }, h('strong', {}, u.name), h('div', { class: 'muted mono' }, u.canonicalId)),
          h('td', {}, h('ul', { class: 'plain' }, u.accessKeys.map((k) => h('li', {}, h('code', {}, k), ' ',
            isRoot ? h('span', { class: 'badge' }, 'root key') : h('button', { type: 'button', class: 'link', 'aria-label': `Revoke key ${k}`, onclick: () => revoke(k) }, 'revoke'))))),
          h('td', { class: 'hide-narrow' }, when(u.created)),
          h('td', {}, h('div', { class: 'actions' }, addKey, remove)));
      })))));
  }
  async function revoke(key) {
    if (!await confirmAction('Revoke key', `Revoke ${key}? Requests signed with it, and console sessions opened with it, stop working at once.`, { action: 'Revoke' })) return;
    try {
      await admin('DELETE', `keys/${encodeURIComponent(key)}`);
      toast(`${key} revoked`);
      await load();
    } catch (err) { showError(list, err); }
  }
  await load();
}

const SAMPLE_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: ['arn:aws:s3:::media/*'] }] }, null, 2);

export async function rolesPage(page) {
  const name = input({ name: 'role', required: true });
  const trust = h('select', { multiple: true, size: 4, name: 'trust' });
  const policyText = h('textarea', { rows: 10, name: 'policy', spellcheck: 'false' }, SAMPLE_POLICY);
  const form = h('form', { class: 'panel', 'aria-label': 'Create or change a role' },
    h('h2', {}, 'Create or change a role'),
    h('div', { class: 'grid2' }, field('Role name', name), field('Users who may assume it', trust, 'Ctrl/Cmd-click to choose several.')),
    field('Role policy (JSON): what its sessions may do', policyText),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save role')));
  const list = h('div', {});
  fill(page, h('h1', {}, 'Roles'), list, form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(form);
    try {
      await admin('POST', 'roles', { name: name.value.trim(), policy: policyText.value, trust: Array.from(trust.selectedOptions).map((o) => o.value) });
      toast(`Role ${name.value.trim()} saved`);
      await load();
    } catch (err) { showError(form, err); }
  });
  async function load() {
    const [roles, users] = await Promise.all([admin('GET', 'roles'), admin('GET', 'users')]);
    const chosen = new Set(Array.from(trust.selectedOptions).map((o) => o.value));
    fill(trust, users.filter((u) => u.name !== 'root').map((u) => h('option', { value: u.name, selected: chosen.has(u.name) ? 'selected' : null }, u.name)));
    if (roles.length === 0) { fill(list, h('p', { class: 'muted' }, 'No roles yet.')); return; }
    fill(list, h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Role'), h('th', { scope: 'col' }, 'Trusted users'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Policy'), h('th', { scope: 'col' }, 'Actions'))),
      h('tbody', {}, roles.map((r) => h('tr', { 'data-role': r.name },
        h('td', { class: 'name' }, h('strong', {}, r.name), h('div', { class: 'muted mono' }, r.arn)),
        h('td', {}, r.trustedUsers.join(', ') || '–'),
        h('td', { class: 'hide-narrow' }, h('details', {}, h('summary', {}, 'show'), h('pre', {}, pretty(r.policy)))),
        h('td', {}, h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', 'aria-label': `Edit role ${r.name}`, onclick: () => edit(r) }, 'Edit'),
          h('button', { type: 'button', class: 'danger', 'aria-label': `Delete role ${r.name}`, onclick: () => remove(r) }, 'Delete')))))))));
  }
  function edit(r) {
    name.value = r.name;
    policyText.value = pretty(r.policy);
    for (const o of trust.options) o.selected = r.trustedUsers.includes(o.value);
    name.focus();
  }
  async function remove(r) {
    if (!await confirmAction('Delete role', `Delete the role ${r.name}? Its sessions can do nothing any more.`)) return;
    try {
      await admin('DELETE', `roles/${encodeURIComponent(r.name)}`);
      await load();
    } catch (err) { showError(list, err); }
  }
  await load();
}

function pretty(json) {
  try { return JSON.stringify(JSON.parse(json), null, 2); } catch { return json; }
}
