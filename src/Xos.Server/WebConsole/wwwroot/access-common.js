// What the Access pages share: the policy editor (whose errors are the server's own validation, shown at the field),
// the inline and attached policies of a user, group or role, entity lists, and IAM's refusals said readably.
import { iam, iamList, fields, policyText, entityHash, KINDS } from './iam.js';
import { h, fill, field, input, showError, clearError, confirmAction, toast, errorBox } from './ui.js';

export const SAMPLE_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::my-bucket/shared/*' }],
}, null, 2);

/** The breadcrumbs of an Access page: Access › section › name. */
export function accessCrumbs(section, name) {
  const items = [h('li', {}, h('a', { href: `#/access/${section}` }, `Access: ${section}`))];
  if (name) items.push(h('li', { 'aria-current': 'page' }, name));
  return h('nav', { 'aria-label': 'Breadcrumbs' }, h('ol', { class: 'crumbs' }, items));
}

/** The Access area's own tabs (links, so each is an address). */
export function accessNav(current) {
  const links = [['users', 'Users'], ['groups', 'Groups'], ['roles', 'Roles'], ['policies', 'Policies']];
  return h('nav', { 'aria-label': 'Access', class: 'tabs' }, links.map(([id, label]) =>
    h('a', { href: `#/access/${id}`, 'aria-current': id === current ? 'page' : null }, label)));
}

/** An IAM refusal to delete, said so a person knows what to do; other errors as the server said them. */
export function readable(err, what) {
  if (err && err.code === 'DeleteConflict') {
    return Object.assign(new Error(`${what} cannot be deleted yet. ${err.message} Remove what still depends on it, then delete it.`), { code: 'DeleteConflict', status: err.status });
  }
  return err;
}

/** Whether IAM refused the document itself (rather than a name or a limit on versions). */
function aboutDocument(err) {
  return err.code === 'MalformedPolicyDocument'
    || (err.code === 'LimitExceeded' && /policy size/i.test(err.message))
    || (err.code === 'ValidationError' && /Document'/.test(err.message));
}

/**
 * A JSON textarea whose Save sends the document to the server; a refusal of the document (MalformedPolicyDocument,
 * its size, its length) is shown under the field, described by it, exactly as the server worded it; other refusals
 * above the form.
 */
export function policyEditor({ label, value = SAMPLE_POLICY, name = 'policy', save, saveLabel = 'Save policy', extra = [] }) {
  const area = h('textarea', { rows: 12, name, spellcheck: 'false', class: 'mono' }, value);
  const message = h('div', { class: 'field-error', id: `${name}-error-${Math.random().toString(36).slice(2, 8)}`, hidden: true });
  const button = h('button', { type: 'submit' }, saveLabel);
  const form = h('form', { class: 'policy-editor', 'aria-label': label },
    field(label, area), message, ...extra, h('div', { class: 'actions' }, button));
  const clear = () => {
    message.hidden = true;
    fill(message);
    area.removeAttribute('aria-invalid');
    area.removeAttribute('aria-describedby');
    clearError(form);
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear();
    button.disabled = true;
    try {
      await save(area.value);
    } catch (err) {
      if (aboutDocument(err)) {
        fill(message, errorBox(err));
        message.hidden = false;
        area.setAttribute('aria-invalid', 'true');
        area.setAttribute('aria-describedby', message.id);
        area.focus();
      } else {
        showError(form, err);
      }
    } finally {
      button.disabled = false;
    }
  });
  return { form, area, clear };
}

/**
 * "Create a role" or "Create a policy": a name, a description and a document in the policy editor, made by
 * `create(name, description, document)`; `reload()` after.
 */
export function createWithDocument({ what, label, editorName, value, create, reload }) {
  const name = input({ name: `new-${what}`, required: true });
  const description = input({ name: `${what}-description` });
  const editor = policyEditor({
    label,
    name: editorName,
    value,
    saveLabel: `Create ${what}`,
    save: async (doc) => {
      const n = name.value.trim();
      await create(n, description.value.trim() || null, doc);
      name.value = '';
      description.value = '';
      toast(`${what[0].toUpperCase()}${what.slice(1)} ${n} created`);
      await reload();
    },
  });
  editor.form.prepend(h('div', { class: 'grid2' }, field(`New ${what} name`, name), field('Description', description)));
  return h('details', { class: 'panel' }, h('summary', {}, `Create a ${what}`), editor.form);
}

/** A table of rows, or a line saying there are none. */
export function table(headers, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'muted' }, empty);
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)));
}

/** The inline policies of a user, group or role: listed, shown, changed and deleted, and new ones added. */
export function inlinePolicies(kind, name) {
  const params = { [KINDS[kind].param]: name };
  const list = h('div', {});
  const policyName = input({ name: 'inline-name', required: true });
  const editor = policyEditor({
    label: 'Policy document (JSON)',
    name: 'inline-document',
    extra: [],
    save: async (doc) => {
      const n = policyName.value.trim();
      await iam(`Put${kind}Policy`, { ...params, PolicyName: n, PolicyDocument: doc });
      toast(`Inline policy ${n} saved`);
      await load();
    },
  });
  editor.form.prepend(field('Inline policy name', policyName));
  const el = h('section', { class: 'panel', 'aria-labelledby': `inline-${kind}` },
    h('h2', { id: `inline-${kind}` }, 'Inline policies'), list,
    h('details', {}, h('summary', {}, 'Add or change an inline policy'), editor.form));
  async function load() {
    const names = (await iamList(`List${kind}Policies`, 'PolicyNames', params)).map((m) => m.textContent);
    fill(list, table(['Policy', 'Actions'], names.map((n) => h('tr', { 'data-inline-policy': n },
      h('td', { class: 'name' }, h('strong', {}, n)),
      h('td', {}, h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', 'aria-label': `Edit inline policy ${n}`, onclick: () => edit(n) }, 'Edit'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete inline policy ${n}`, onclick: () => remove(n) }, 'Delete'))))),
    'No inline policies.'));
  }
  async function edit(n) {
    clearError(el);
    try {
      const got = await iam(`Get${kind}Policy`, { ...params, PolicyName: n });
      policyName.value = n;
      editor.clear();
      editor.area.value = policyText(fields(got).PolicyDocument);
      editor.form.closest('details').open = true;
      editor.area.focus();
    } catch (err) { showError(el, err); }
  }
  async function remove(n) {
    if (!await confirmAction('Delete inline policy', `Delete the inline policy ${n} of ${name}?`)) return;
    try {
      await iam(`Delete${kind}Policy`, { ...params, PolicyName: n });
      toast(`Inline policy ${n} deleted`);
      await load();
    } catch (err) { showError(el, err); }
  }
  return { el, load };
}

/**
 * A section of what is linked to an entity (a user's groups, a group's members, attached policies): each linked item
 * with its Remove button, and a choice of the others to add. `fetch()` answers { linked: [{ id, label, href, detail }],
 * candidates: [{ id, label }] }; `add(id)` and `remove(id)` make the change.
 */
export function linkedSection({ key, title, choiceName, choiceLabel, addLabel, removeLabel, column, empty, fetch, add, remove }) {
  const list = h('div', {});
  const choice = h('select', { name: choiceName });
  const form = h('form', { 'aria-label': addLabel },
    h('div', { class: 'row' }, h('div', { class: 'grow' }, field(choiceLabel, choice)),
      h('div', { class: 'field' }, h('button', { type: 'submit' }, addLabel))));
  const el = h('section', { class: 'panel', 'aria-labelledby': `${key}-title` }, h('h2', { id: `${key}-title` }, title), list, form);
  const change = async (action, id) => {
    clearError(el);
    try {
      await action(id);
      await load();
    } catch (err) { showError(el, err); }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    return change(add, choice.value);
  });
  async function load() {
    const { linked, candidates } = await fetch();
    fill(choice, candidates.map((c) => h('option', { value: c.id }, c.label)));
    form.hidden = candidates.length === 0;
    fill(list, table([column, 'Actions'], linked.map((x) => h('tr', { [`data-${key}`]: x.id },
      h('td', { class: 'name' }, h('a', { href: x.href }, x.label), x.detail ? h('div', { class: 'muted mono' }, x.detail) : null),
      h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': `${removeLabel} ${x.label}`, onclick: () => change(remove, x.id) }, removeLabel)))),
    empty));
  }
  return { el, load };
}

/** The managed policies attached to a user, group or role, and a choice of the account's and AWS's to attach. */
export function attachedPolicies(kind, name) {
  const params = { [KINDS[kind].param]: name };
  return linkedSection({
    key: 'attached-policy',
    title: 'Attached managed policies',
    choiceName: 'attach-policy',
    choiceLabel: 'Managed policy',
    addLabel: 'Attach policy',
    removeLabel: 'Detach',
    column: 'Policy',
    empty: 'No managed policies attached.',
    fetch: async () => {
      const [attached, all] = await Promise.all([
        iamList(`ListAttached${kind}Policies`, 'AttachedPolicies', params).then((m) => m.map(fields)),
        iamList('ListPolicies', 'Policies').then((m) => m.map(fields)),
      ]);
      const have = new Set(attached.map((p) => p.PolicyArn));
      return {
        linked: attached.map((p) => ({ id: p.PolicyArn, label: p.PolicyName, href: `#/access/policy/${encodeURIComponent(p.PolicyArn)}`, detail: p.PolicyArn })),
        candidates: all.filter((p) => !have.has(p.Arn)).map((p) => ({ id: p.Arn, label: `${p.PolicyName} (${p.Arn})` })),
      };
    },
    add: (arn) => iam(`Attach${kind}Policy`, { ...params, PolicyArn: arn }),
    remove: (arn) => iam(`Detach${kind}Policy`, { ...params, PolicyArn: arn }),
  });
}

/**
 * A list page of users, groups or roles: a create form (by default just the name; `createForm(reload)` builds another),
 * a table linking each to its page, and Delete with IAM's DeleteConflict said readably.
 */
export async function entityListPage(page, { kind, section, title, createForm, extraColumn }) {
  const { param, label } = KINDS[kind];
  const list = h('div', {});
  const create = (createForm || ((reload) => nameForm(kind, reload)))(() => load());
  // Listed first: a key that may not list sees IAM's refusal alone, not a form it could not use.
  await load();
  fill(page, accessNav(section), h('h1', {}, title), create, list);
  async function load() {
    const items = (await iamList(`List${kind}s`, `${kind}s`)).map(fields);
    fill(list, table([kind, extraColumn ? extraColumn[0] : null, 'Created', 'Actions'].filter(Boolean), items.map((x) => {
      const n = x[param];
      const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${label} ${n}` }, 'Delete');
      remove.addEventListener('click', async () => {
        if (!await confirmAction(`Delete ${label}`, `Delete the ${label} ${n}?`, { typed: n })) return;
        clearError(list);
        try {
          await iam(`Delete${kind}`, { [param]: n });
          toast(`${n} deleted`);
          await load();
        } catch (err) { showError(list, readable(err, `The ${label} ${n}`)); }
      });
      return h('tr', { [`data-${label}`]: n },
        h('td', { class: 'name' }, h('a', { href: entityHash(kind, n) }, h('strong', {}, n)), h('div', { class: 'muted mono' }, x.Arn)),
        extraColumn ? h('td', {}, extraColumn[1](x)) : null,
        h('td', {}, new Date(x.CreateDate).toLocaleString()),
        h('td', {}, h('div', { class: 'actions' }, remove)));
    }), `No ${label}s yet.`));
  }
}

/** Creating a user or group: its name is all it takes. */
function nameForm(kind, reload) {
  const { param, label } = KINDS[kind];
  const name = input({ name: `new-${label}`, required: true });
  const form = h('form', { class: 'panel', 'aria-label': `Create a ${label}` },
    h('div', { class: 'row' }, h('div', { class: 'grow' }, field(`New ${label} name`, name)),
      h('div', { class: 'field' }, h('button', { type: 'submit' }, `Create ${label}`))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(form);
    try {
      const n = name.value.trim();
      await iam(`Create${kind}`, { [param]: n });
      name.value = '';
      toast(`${kind} ${n} created`);
      await reload();
    } catch (err) { showError(form, err); }
  });
  return form;
}
