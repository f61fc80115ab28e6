// The account's IAM users: the list, and a user's page with its access keys (a new key's secret shown once), its
// groups, and its inline and attached policies. Everything through the IAM API (iam.js).
import { iam, iamList, fields, entityHash } from './iam.js';
import { h, fill, input, showError, clearError, confirmAction, dialog, copyText, toast, when } from './ui.js';
import { accessCrumbs, accessNav, entityListPage, inlinePolicies, attachedPolicies, linkedSection, table, readable } from './access-common.js';

export function iamUsersPage(page) {
  return entityListPage(page, { kind: 'User', section: 'users', title: 'IAM users' });
}

export async function iamUserPage(page, name) {
  const user = fields((await iam('GetUser', { UserName: name })).firstElementChild);
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete user');
  const head = h('div', { class: 'panel' }, h('dl', { class: 'props' },
    h('dt', {}, 'ARN'), h('dd', { class: 'mono' }, user.Arn),
    h('dt', {}, 'User id'), h('dd', { class: 'mono' }, user.UserId),
    h('dt', {}, 'Created'), h('dd', {}, when(user.CreateDate))), h('div', { class: 'actions' }, remove));
  const sections = [accessKeys(name), groupsOf(name), inlinePolicies('User', name), attachedPolicies('User', name)];
  fill(page, accessNav('users'), accessCrumbs('users', name), h('h1', {}, `IAM user ${name}`), head, ...sections.map((s) => s.el));
  remove.addEventListener('click', async () => {
    if (!await confirmAction('Delete user', `Delete the IAM user ${name}? Its access keys and policies must be deleted first.`, { typed: name })) return;
    clearError(head);
    try {
      await iam('DeleteUser', { UserName: name });
      toast(`${name} deleted`);
      location.hash = '#/access/users';
    } catch (err) { showError(head, readable(err, `The user ${name}`)); }
  });
  await Promise.all(sections.map((s) => s.load().catch((err) => showError(s.el, err))));
}

/** The one time a secret is shown: the person must copy it now; it is kept nowhere in the page afterwards. */
async function showNewKey(key) {
  const ak = input({ value: key.AccessKeyId, readonly: true, id: 'new-access-key' });
  const sk = input({ value: key.SecretAccessKey, readonly: true, id: 'new-secret-key' });
  await dialog(`New access key for ${key.UserName}`, h('div', {},
    h('p', {}, 'The secret is shown only now: copy it somewhere safe. It cannot be shown again.'),
    h('div', { class: 'secret-box' },
      h('label', { for: ak.id }, 'Access key'), ak, h('button', { type: 'button', class: 'secondary', onclick: () => copyText(ak.value, ak) }, 'Copy'),
      h('label', { for: sk.id }, 'Secret key'), sk, h('button', { type: 'button', class: 'secondary', onclick: () => copyText(sk.value, sk) }, 'Copy'))),
  [['Done', null]]);
}

function accessKeys(name) {
  const list = h('div', {});
  const create = h('button', { type: 'button' }, 'Create access key');
  const el = h('section', { class: 'panel', 'aria-labelledby': 'keys-title' }, h('h2', { id: 'keys-title' }, 'Access keys'), list,
    h('div', { class: 'actions' }, create), h('p', { class: 'muted' }, 'At most two keys per user. A secret is shown once, when its key is created.'));
  create.addEventListener('click', async () => {
    clearError(el);
    try {
      const result = await iam('CreateAccessKey', { UserName: name });
      const key = fields(result.firstElementChild);
      await load();
      await showNewKey(key);
    } catch (err) { showError(el, err); }
  });
  async function load() {
    const keys = (await iamList('ListAccessKeys', 'AccessKeyMetadata', { UserName: name })).map(fields);
    fill(list, table(['Access key', 'Status', 'Created', 'Actions'], keys.map((k) => {
      const active = k.Status === 'Active';
      return h('tr', { 'data-key': k.AccessKeyId },
        h('td', {}, h('code', {}, k.AccessKeyId)),
        h('td', {}, h('span', { class: active ? 'badge on' : 'badge' }, k.Status)),
        h('td', {}, when(k.CreateDate)),
        h('td', {}, h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', 'aria-label': `${active ? 'Deactivate' : 'Activate'} key ${k.AccessKeyId}`,
            onclick: () => change(k.AccessKeyId, active ? 'Inactive' : 'Active') }, active ? 'Deactivate' : 'Activate'),
          h('button', { type: 'button', class: 'danger', 'aria-label': `Delete key ${k.AccessKeyId}`, onclick: () => remove(k.AccessKeyId) }, 'Delete'))));
    }), 'No access keys.'));
  }
  async function change(id, status) {
    clearError(el);
    try {
      await iam('UpdateAccessKey', { UserName: name, AccessKeyId: id, Status: status });
      toast(`${id} is now ${status.toLowerCase()}`);
      await load();
    } catch (err) { showError(el, err); }
  }
  async function remove(id) {
    if (!await confirmAction('Delete access key', `Delete ${id}? Requests signed with it, and console sessions opened with it, stop working at once.`)) return;
    clearError(el);
    try {
      await iam('DeleteAccessKey', { UserName: name, AccessKeyId: id });
      toast(`${id} deleted`);
      await load();
    } catch (err) { showError(el, err); }
  }
  return { el, load };
}

function groupsOf(name) {
  return linkedSection({
    key: 'group',
    title: 'Groups',
    choiceName: 'add-to-group',
    choiceLabel: 'Group',
    addLabel: 'Add to group',
    removeLabel: 'Leave',
    column: 'Group',
    empty: 'In no group.',
    fetch: async () => {
      const [mine, all] = await Promise.all([
        iamList('ListGroupsForUser', 'Groups', { UserName: name }).then((m) => m.map(fields)),
        iamList('ListGroups', 'Groups').then((m) => m.map(fields)),
      ]);
      const have = new Set(mine.map((g) => g.GroupName));
      return {
        linked: mine.map((g) => ({ id: g.GroupName, label: g.GroupName, href: entityHash('Group', g.GroupName) })),
        candidates: all.filter((g) => !have.has(g.GroupName)).map((g) => ({ id: g.GroupName, label: g.GroupName })),
      };
    },
    add: (group) => iam('AddUserToGroup', { UserName: name, GroupName: group }),
    remove: (group) => iam('RemoveUserFromGroup', { UserName: name, GroupName: group }),
  });
}
