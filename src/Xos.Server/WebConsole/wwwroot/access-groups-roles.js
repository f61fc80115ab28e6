// The account's IAM groups (members, policies) and roles (trust policy, policies), through the IAM API (iam.js).
import { iam, iamList, fields, members, policyText, entityHash } from './iam.js';
import { h, fill, showError, clearError, confirmAction, toast, when } from './ui.js';
import { accessCrumbs, accessNav, entityListPage, inlinePolicies, attachedPolicies, linkedSection, readable, policyEditor, createWithDocument } from './access-common.js';

export function iamGroupsPage(page) {
  return entityListPage(page, { kind: 'Group', section: 'groups', title: 'IAM groups' });
}

export async function iamGroupPage(page, name) {
  const sections = [groupMembers(name), inlinePolicies('Group', name), attachedPolicies('Group', name)];
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete group');
  const head = h('div', { class: 'panel' }, h('div', { class: 'actions' }, remove));
  fill(page, accessNav('groups'), accessCrumbs('groups', name), h('h1', {}, `IAM group ${name}`), head, ...sections.map((s) => s.el));
  remove.addEventListener('click', () => deleteEntity(head, 'Group', name, '#/access/groups'));
  await Promise.all(sections.map((s) => s.load().catch((err) => showError(s.el, err))));
}

/** Deletes a user, group or role from its page, and goes back to the list; a conflict is said readably. */
async function deleteEntity(container, kind, name, back) {
  const label = kind.toLowerCase();
  if (!await confirmAction(`Delete ${label}`, `Delete the ${label} ${name}?`, { typed: name })) return;
  clearError(container);
  try {
    await iam(`Delete${kind}`, { [`${kind}Name`]: name });
    toast(`${name} deleted`);
    location.hash = back;
  } catch (err) { showError(container, readable(err, `The ${label} ${name}`)); }
}

function groupMembers(name) {
  return linkedSection({
    key: 'member',
    title: 'Members',
    choiceName: 'add-member',
    choiceLabel: 'User',
    addLabel: 'Add member',
    removeLabel: 'Remove',
    column: 'User',
    empty: 'No members.',
    fetch: async () => {
      const [group, users] = await Promise.all([
        iam('GetGroup', { GroupName: name, MaxItems: '1000' }),
        iamList('ListUsers', 'Users').then((m) => m.map(fields)),
      ]);
      const inGroup = members(group, 'Users').map(fields);
      const have = new Set(inGroup.map((u) => u.UserName));
      return {
        linked: inGroup.map((u) => ({ id: u.UserName, label: u.UserName, href: entityHash('User', u.UserName) })),
        candidates: users.filter((u) => !have.has(u.UserName)).map((u) => ({ id: u.UserName, label: u.UserName })),
      };
    },
    add: (user) => iam('AddUserToGroup', { GroupName: name, UserName: user }),
    remove: (user) => iam('RemoveUserFromGroup', { GroupName: name, UserName: user }),
  });
}

/** A trust policy letting this account's principals assume the role: what a new role starts from. */
function sampleTrust() {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::ACCOUNT:root' }, Action: 'sts:AssumeRole' }],
  }, null, 2);
}

export function iamRolesPage(page, account) {
  return entityListPage(page, {
    kind: 'Role',
    section: 'roles',
    title: 'IAM roles',
    extraColumn: ['Description', (r) => r.Description || ''],
    createForm: (reload) => createWithDocument({
      what: 'role',
      label: 'Trust policy (JSON): who may assume the role',
      editorName: 'trust',
      value: sampleTrust().replace('ACCOUNT', account),
      create: (RoleName, Description, AssumeRolePolicyDocument) => iam('CreateRole', { RoleName, Description, AssumeRolePolicyDocument }),
      reload,
    }),
  });
}

export async function iamRolePage(page, name) {
  const role = fields((await iam('GetRole', { RoleName: name })).firstElementChild);
  const trust = policyEditor({
    label: 'Trust policy (JSON): who may assume the role',
    name: 'trust',
    value: policyText(role.AssumeRolePolicyDocument),
    saveLabel: 'Save trust policy',
    save: async (doc) => {
      await iam('UpdateAssumeRolePolicy', { RoleName: name, PolicyDocument: doc });
      toast('Trust policy saved');
    },
  });
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete role');
  const head = h('div', { class: 'panel' }, h('dl', { class: 'props' },
    h('dt', {}, 'ARN'), h('dd', { class: 'mono' }, role.Arn),
    h('dt', {}, 'Description'), h('dd', {}, role.Description || '–'),
    h('dt', {}, 'Longest session'), h('dd', {}, `${Number(role.MaxSessionDuration) / 3600} h`),
    h('dt', {}, 'Created'), h('dd', {}, when(role.CreateDate))), h('div', { class: 'actions' }, remove));
  const sections = [inlinePolicies('Role', name), attachedPolicies('Role', name)];
  fill(page, accessNav('roles'), accessCrumbs('roles', name), h('h1', {}, `IAM role ${name}`), head,
    h('section', { class: 'panel', 'aria-labelledby': 'trust-title' }, h('h2', { id: 'trust-title' }, 'Trust policy'), trust.form),
    ...sections.map((s) => s.el));
  remove.addEventListener('click', () => deleteEntity(head, 'Role', name, '#/access/roles'));
  await Promise.all(sections.map((s) => s.load().catch((err) => showError(s.el, err))));
}
