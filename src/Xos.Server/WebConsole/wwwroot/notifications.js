// Event notifications: the targets root configures (through the admin API) and each bucket's notification rules
// (GET/PUT ?notification, so the server's own parser decides what is valid and its errors are what the user reads).
import { admin, s3, children, child, text } from './api.js';
import { h, fill, field, input, select, showError, clearError, confirmAction, toast, when } from './ui.js';

// The event types the server sends (EventTypes.cs), in the order a user looks for them.
const EVENTS = [
  ['s3:ObjectCreated:*', 'Created (any)'], ['s3:ObjectCreated:Put', 'PUT'], ['s3:ObjectCreated:Post', 'POST'], ['s3:ObjectCreated:Copy', 'Copy'],
  ['s3:ObjectCreated:CompleteMultipartUpload', 'Multipart complete'], ['s3:ObjectRemoved:*', 'Removed (any)'], ['s3:ObjectRemoved:Delete', 'Delete'],
  ['s3:ObjectRemoved:DeleteMarkerCreated', 'Delete marker'], ['s3:ObjectTagging:*', 'Tagging'], ['s3:ObjectAcl:Put', 'ACL change'],
  ['s3:LifecycleExpiration:*', 'Lifecycle expiration'],
];
const KINDS = [['TopicConfiguration', 'Topic'], ['QueueConfiguration', 'Queue'], ['CloudFunctionConfiguration', 'CloudFunction']];

/** The element a destination's ARN goes in, by its service: sns -> Topic, lambda -> CloudFunction, else Queue (XOS's sqs targets). */
function kindOf(arn) {
  const service = arn.split(':')[2] || '';
  return service === 'sns' ? KINDS[0] : service === 'lambda' ? KINDS[2] : KINDS[1];
}

/**
 * The bucket settings section: the rules as a table (each with a Remove button), a form that adds a rule, and the
 * NotificationConfiguration document itself for what the form does not cover. The form and Remove change the document
 * the server last returned (so elements the form does not know survive) and PUT it: the server's parser decides what
 * is valid, and its errors are what the user reads.
 */
export function notificationsSection(path) {
  const rules = h('div', {});
  const doc = h('textarea', { rows: 8, name: 'notification', spellcheck: 'false', 'aria-label': 'NotificationConfiguration document (XML)' });
  const targets = h('datalist', { id: `notify-targets-${Math.random().toString(36).slice(2)}` });
  const id = input({ name: 'rule-id', placeholder: 'generated when empty' });
  const arn = input({ name: 'rule-destination', required: true, list: targets.id, placeholder: 'arn:xos:sqs::NAME:webhook' });
  const events = EVENTS.map(([value, label]) => {
    const box = h('input', { type: 'checkbox', name: 'rule-event', value });
    box.defaultChecked = value === 's3:ObjectCreated:*'; // what the form starts with, and returns to after a rule is added
    return h('label', { class: 'check' }, box, ` ${label}`);
  });
  const prefix = input({ name: 'rule-prefix', placeholder: 'e.g. videos/' });
  const suffix = input({ name: 'rule-suffix', placeholder: 'e.g. .mp4' });
  const form = h('form', { class: 'subpanel', 'aria-label': 'Add a notification rule' },
    h('h3', {}, 'Add a notification rule'),
    h('div', { class: 'grid2' }, field('Destination', arn, 'A target root configured; root sees them listed here.'), field('Id', id)),
    h('fieldset', { class: 'checks' }, h('legend', {}, 'Events'), events),
    h('div', { class: 'grid2' }, field('Key prefix', prefix), field('Key suffix', suffix)),
    targets,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add notification rule')));
  const el = h('section', { class: 'panel', 'aria-labelledby': 'notifications-title' },
    h('h2', { id: 'notifications-title' }, 'Event notifications'),
    h('p', { class: 'muted' }, 'Where this bucket sends S3 events. Destinations are the targets root configures (arn:xos:sqs::NAME:KIND).'),
    rules,
    form,
    h('details', {}, h('summary', {}, 'Edit as XML'),
      field('NotificationConfiguration (XML)', doc),
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => put(doc.value) }, 'Save notifications'))));
  let current = null;

  async function load() {
    const response = await s3('GET', path, { query: { notification: '' } });
    const body = await response.text();
    doc.value = body;
    current = new DOMParser().parseFromString(body, 'application/xml');
    const found = KINDS.flatMap(([element, arnName]) => children(current.documentElement, element).map((c) => ({
      node: c,
      id: text(c, 'Id'),
      arn: text(c, arnName),
      events: children(c, 'Event').map((e) => e.textContent).join(', '),
      filter: children(child(child(c, 'Filter') || c, 'S3Key') || c, 'FilterRule').map((r) => `${text(r, 'Name')}=${text(r, 'Value')}`).join(' '),
    })));
    if (found.length === 0) fill(rules, h('p', { class: 'muted', 'data-notifications': 'none' }, 'No event notifications.'));
    else {
      fill(rules, h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['Id', 'Destination', 'Events', 'Filter', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, found.map((r) => h('tr', { 'data-notification': r.id },
          h('td', {}, r.id), h('td', { class: 'mono' }, r.arn), h('td', {}, r.events), h('td', { class: 'mono' }, r.filter || '–'),
          h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': `Remove rule ${r.id}`, onclick: () => removeRule(r) }, 'Remove'))))))));
    }
    // Root can list the targets; anyone else types the ARN root gave them.
    admin('GET', 'notify/targets').then((list) => fill(targets, list.map((t) => h('option', { value: t.arn }, t.name))), () => {});
  }

  async function put(body) {
    clearError(el);
    try {
      await s3('PUT', path, { query: { notification: '' }, body, headers: { 'Content-Type': 'application/xml' } });
      toast('Event notifications saved');
      await load();
      return true;
    } catch (err) { showError(el, err); return false; }
  }

  function serialized(document) { return new XMLSerializer().serializeToString(document); }

  async function removeRule(rule) {
    if (!await confirmAction('Remove rule', `Stop sending this bucket's events to ${rule.arn} (rule ${rule.id})?`)) return;
    const copy = current.cloneNode(true);
    const [node] = KINDS.flatMap(([element]) => children(copy.documentElement, element)).filter((c) => text(c, 'Id') === rule.id);
    if (node) node.remove();
    await put(serialized(copy));
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = events.map((l) => l.querySelector('input')).filter((c) => c.checked).map((c) => c.value);
    const destination = arn.value.trim();
    const [element, arnName] = kindOf(destination);
    const copy = current.cloneNode(true);
    const root = copy.documentElement;
    const add = (parent, name, value) => {
      const node = root.namespaceURI ? copy.createElementNS(root.namespaceURI, name) : copy.createElement(name);
      if (value !== undefined) node.textContent = value;
      parent.append(node);
      return node;
    };
    const rule = add(root, element);
    if (id.value.trim()) add(rule, 'Id', id.value.trim());
    add(rule, arnName, destination);
    for (const event of chosen) add(rule, 'Event', event);
    const filters = [['prefix', prefix.value], ['suffix', suffix.value]].filter(([, v]) => v !== '');
    if (filters.length > 0) {
      const key = add(add(rule, 'Filter'), 'S3Key');
      for (const [name, value] of filters) {
        const filterRule = add(key, 'FilterRule');
        add(filterRule, 'Name', name);
        add(filterRule, 'Value', value);
      }
    }
    if (await put(serialized(copy))) form.reset();
  });
  return { el, load };
}

const SETTINGS_HINT = 'KEY=VALUE, one a line: endpoint=URL token=… secret=… ca-file=… timeout=… concurrency=… http-version=auto|2|1.1 (webhook); address=… key=… (redis); address=… subject=… jetstream=true (nats); address=amqp://… exchange=… routing-key=… (amqp).';

/** Root's page of notification targets: their ARNs, settings (secrets hidden) and the events waiting for each. */
export async function notifyTargetsPage(page) {
  const kind = select([['webhook', 'Webhook'], ['redis', 'Redis'], ['nats', 'NATS'], ['amqp', 'AMQP (RabbitMQ)']], 'webhook', { name: 'kind' });
  const name = input({ name: 'target', required: true });
  const settings = h('textarea', { rows: 4, name: 'settings', spellcheck: 'false' });
  const form = h('form', { class: 'panel', 'aria-label': 'Add or change a notification target' },
    h('h2', {}, 'Add or change a target'),
    h('div', { class: 'grid2' }, field('Kind', kind), field('Name', name)),
    field('Settings', settings, SETTINGS_HINT),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save target')));
  const list = h('div', {});
  fill(page, h('h1', {}, 'Notification targets'), list, form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearError(form);
    const values = {};
    for (const line of settings.value.split('\n').map((l) => l.trim()).filter(Boolean)) {
      const eq = line.indexOf('=');
      values[eq < 0 ? (kind.value === 'webhook' ? 'endpoint' : 'address') : line.slice(0, eq).trim()] = eq < 0 ? line : line.slice(eq + 1).trim();
    }
    try {
      const saved = await admin('POST', 'notify/targets', { kind: kind.value, name: name.value.trim(), settings: values });
      toast(`Target ${saved.arn} saved`);
      settings.value = '';
      await load();
    } catch (err) { showError(form, err); }
  });
  async function load() {
    const targets = await admin('GET', 'notify/targets');
    if (targets.length === 0) { fill(list, h('p', { class: 'muted' }, 'No targets yet.')); return; }
    fill(list, h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Target', 'Settings', 'Waiting', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, targets.map((t) => h('tr', { 'data-target': t.arn },
        h('td', { class: 'name' }, h('strong', {}, t.name), h('div', { class: 'muted mono' }, t.arn)),
        h('td', { class: 'mono' }, Object.entries(t.settings).map(([k, v]) => `${k}=${v}`).join(' ')),
        h('td', { 'data-waiting': String(t.queued) }, t.queued === 0 ? 'none' : `${t.queued} since ${when(t.oldest)}`),
        h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': `Delete target ${t.arn}`, onclick: () => remove(t) }, 'Delete'))))))));
  }
  async function remove(t) {
    const waiting = t.queued > 0 ? ` The ${t.queued} event(s) waiting for it are discarded.` : '';
    if (!await confirmAction('Delete target', `Delete ${t.arn}?${waiting}`)) return;
    try {
      await admin('DELETE', `notify/targets/${encodeURIComponent(t.arn)}`);
      await load();
    } catch (err) { showError(list, err); }
  }
  await load();
}
