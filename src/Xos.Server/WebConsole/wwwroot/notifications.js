// Event notifications: the targets root configures (through the admin API) and each bucket's notification rules
// (GET/PUT ?notification, so the server's own parser decides what is valid and its errors are what the user reads).
import { admin, s3, children, child, text } from './api.js';
import { h, fill, field, input, select, showError, clearError, confirmAction, toast, when } from './ui.js';

/** The bucket settings section: the rules as a table, and the NotificationConfiguration document to edit and save. */
export function notificationsSection(path) {
  const rules = h('div', {});
  const doc = h('textarea', { rows: 8, name: 'notification', spellcheck: 'false', 'aria-label': 'NotificationConfiguration document (XML)' });
  const el = h('section', { class: 'panel', 'aria-labelledby': 'notifications-title' },
    h('h2', { id: 'notifications-title' }, 'Event notifications'),
    h('p', { class: 'muted' }, 'Where this bucket sends S3 events. Destinations are the targets root configures (arn:xos:sqs::NAME:KIND).'),
    rules,
    field('NotificationConfiguration (XML)', doc),
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: save }, 'Save notifications')));
  async function load() {
    const response = await s3('GET', path, { query: { notification: '' } });
    const body = await response.text();
    doc.value = body;
    const root = new DOMParser().parseFromString(body, 'application/xml').documentElement;
    const found = [['TopicConfiguration', 'Topic'], ['QueueConfiguration', 'Queue'], ['CloudFunctionConfiguration', 'CloudFunction']]
      .flatMap(([element, arn]) => children(root, element).map((c) => ({
        id: text(c, 'Id'),
        arn: text(c, arn),
        events: children(c, 'Event').map((e) => e.textContent).join(', '),
        filter: children(child(child(c, 'Filter') || c, 'S3Key') || c, 'FilterRule').map((r) => `${text(r, 'Name')}=${text(r, 'Value')}`).join(' '),
      })));
    if (found.length === 0) { fill(rules, h('p', { class: 'muted', 'data-notifications': 'none' }, 'No event notifications.')); return; }
    fill(rules, h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Id', 'Destination', 'Events', 'Filter'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, found.map((r) => h('tr', { 'data-notification': r.id },
        h('td', {}, r.id), h('td', { class: 'mono' }, r.arn), h('td', {}, r.events), h('td', { class: 'mono' }, r.filter || '–')))))));
  }
  async function save() {
    clearError(el);
    try {
      await s3('PUT', path, { query: { notification: '' }, body: doc.value, headers: { 'Content-Type': 'application/xml' } });
      toast('Event notifications saved');
      await load();
    } catch (err) { showError(el, err); }
  }
  return { el, load };
}

const SETTINGS_HINT = 'KEY=VALUE, one a line: endpoint=URL token=… secret=… ca-file=… timeout=… (webhook); address=… key=… (redis); address=… subject=… jetstream=true (nats); address=amqp://… exchange=… routing-key=… (amqp).';

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
