// Managed policies: the account's own and AWS's built-in ones, listed; the account's created, given new versions
// (the default chosen), and deleted. Documents are checked by the server (MalformedPolicyDocument at the field).
import { iam, iamList, fields, policyText } from './iam.js';
import { h, fill, showError, clearError, confirmAction, toast, when } from './ui.js';
import { accessCrumbs, accessNav, table, readable, policyEditor, createWithDocument } from './access-common.js';

const isAws = (arn) => arn.startsWith('arn:aws:iam::aws:');

export async function iamPoliciesPage(page) {
  const list = h('div', {});
  const create = createWithDocument({
    what: 'policy',
    label: 'Policy document (JSON)',
    editorName: 'policy-document',
    create: (PolicyName, Description, PolicyDocument) => iam('CreatePolicy', { PolicyName, Description, PolicyDocument }),
    reload: () => load(),
  });
  await load();
  fill(page, accessNav('policies'), h('h1', {}, 'Managed policies'), create, list);
  async function load() {
    const policies = (await iamList('ListPolicies', 'Policies')).map(fields);
    fill(list, table(['Policy', 'Owner', 'Attached to', 'Default version', 'Actions'], policies.map((p) => {
      const aws = isAws(p.Arn);
      return h('tr', { 'data-policy': p.PolicyName },
        h('td', { class: 'name' }, h('a', { href: `#/access/policy/${encodeURIComponent(p.Arn)}` }, h('strong', {}, p.PolicyName)),
          h('div', { class: 'muted mono' }, p.Arn), p.Description ? h('div', { class: 'muted' }, p.Description) : null),
        h('td', {}, h('span', { class: 'badge' }, aws ? 'AWS managed' : 'this account')),
        h('td', { class: 'num' }, p.AttachmentCount),
        h('td', {}, p.DefaultVersionId),
        h('td', {}, aws ? null : h('button', { type: 'button', class: 'danger', 'aria-label': `Delete policy ${p.PolicyName}`, onclick: () => remove(p) }, 'Delete')));
    }), 'No policies.'));
  }
  async function remove(p) {
    if (!await confirmAction('Delete policy', `Delete the policy ${p.PolicyName}? It must be detached everywhere and have no versions but its default.`, { typed: p.PolicyName })) return;
    clearError(list);
    try {
      await iam('DeletePolicy', { PolicyArn: p.Arn });
      toast(`${p.PolicyName} deleted`);
      await load();
    } catch (err) { showError(list, readable(err, `The policy ${p.PolicyName}`)); }
  }
}

export async function iamPolicyPage(page, arn) {
  const policy = fields((await iam('GetPolicy', { PolicyArn: arn })).firstElementChild);
  const aws = isAws(arn);
  const shown = h('pre', { 'data-document': '1' });
  const versions = h('div', {});
  const setDefault = h('input', { type: 'checkbox', name: 'set-default', checked: true, id: 'set-default' });
  const editor = policyEditor({
    label: 'New version (JSON)',
    name: 'version-document',
    saveLabel: 'Save as a new version',
    extra: [h('div', { class: 'field' }, h('label', { class: 'inline', for: setDefault.id }, setDefault, ' Make it the default version'))],
    save: async (doc) => {
      const v = fields((await iam('CreatePolicyVersion', { PolicyArn: arn, PolicyDocument: doc, SetAsDefault: setDefault.checked ? 'true' : 'false' })).firstElementChild);
      toast(`Version ${v.VersionId} saved`);
      await load();
    },
  });
  const versionsPanel = h('section', { class: 'panel', 'aria-labelledby': 'versions-title' }, h('h2', { id: 'versions-title' }, 'Versions'), versions);
  fill(page, accessNav('policies'), accessCrumbs('policies', policy.PolicyName), h('h1', {}, `Policy ${policy.PolicyName}`),
    h('div', { class: 'panel' }, h('dl', { class: 'props' },
      h('dt', {}, 'ARN'), h('dd', { class: 'mono' }, arn),
      h('dt', {}, 'Description'), h('dd', {}, policy.Description || '–'),
      h('dt', {}, 'Attached to'), h('dd', {}, `${policy.AttachmentCount} users, groups or roles`),
      h('dt', {}, 'Updated'), h('dd', {}, aws ? 'built in' : when(policy.UpdateDate)))),
    h('section', { class: 'panel', 'aria-labelledby': 'document-title' }, h('h2', { id: 'document-title' }, 'Default version'), shown),
    versionsPanel,
    aws ? h('p', { class: 'muted' }, 'AWS managed policies are built in and cannot be changed.') : h('section', { class: 'panel' }, h('h2', {}, 'New version'), editor.form));
  async function load() {
    const current = fields((await iam('GetPolicy', { PolicyArn: arn })).firstElementChild);
    const version = fields((await iam('GetPolicyVersion', { PolicyArn: arn, VersionId: current.DefaultVersionId })).firstElementChild);
    fill(shown, policyText(version.Document));
    if (!aws && !editor.area.dataset.touched) editor.area.value = policyText(version.Document);
    const list = (await iamList('ListPolicyVersions', 'Versions', { PolicyArn: arn })).map(fields);
    fill(versions, table(['Version', 'Created', 'Actions'], list.map((v) => {
      const isDefault = v.IsDefaultVersion === 'true';
      return h('tr', { 'data-version': v.VersionId },
        h('td', {}, v.VersionId, ' ', isDefault ? h('span', { class: 'badge on' }, 'default') : null),
        h('td', {}, aws ? 'built in' : when(v.CreateDate)),
        h('td', {}, aws || isDefault ? null : h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', 'aria-label': `Make ${v.VersionId} the default`, onclick: () => change('SetDefaultPolicyVersion', v.VersionId) }, 'Make default'),
          h('button', { type: 'button', class: 'danger', 'aria-label': `Delete version ${v.VersionId}`, onclick: () => change('DeletePolicyVersion', v.VersionId) }, 'Delete'))));
    }), 'No versions.'));
  }
  editor.area.addEventListener('input', () => { editor.area.dataset.touched = '1'; });
  async function change(action, versionId) {
    if (action === 'DeletePolicyVersion' && !await confirmAction('Delete version', `Delete version ${versionId} of ${policy.PolicyName}?`)) return;
    clearError(versionsPanel);
    try {
      await iam(action, { PolicyArn: arn, VersionId: versionId });
      await load();
    } catch (err) { showError(versionsPanel, readable(err, `Version ${versionId}`)); }
  }
  await load();
}
