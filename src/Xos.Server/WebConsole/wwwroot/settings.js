// Bucket settings, each saved through its own S3 operation (PUT ?versioning, ?encryption, ?cors, ?lifecycle,
// ?policy), so the server's own parsers decide what is valid and their errors are what the user reads. CORS,
// lifecycle and policy have a form and the document itself (XML or JSON), either of which can be saved.
import { s3, s3xml, bucketPath, child, children, text, xml, crc32Base64 } from './api.js';
import { h, fill, field, input, select, showError, clearError, confirmAction, toast } from './ui.js';
import { breadcrumbs } from './objects.js';
import { notificationsSection } from './notifications.js';

const lines = (s) => s.split(/[\n,]/).map((x) => x.trim()).filter(Boolean);
const parseXml = (s) => {
  const doc = new DOMParser().parseFromString(s, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) throw { code: 'MalformedXML', message: 'The XML is not well formed.' };
  return doc;
};
const missing = (codes) => (err) => { if (codes.includes(err.code)) return null; throw err; };

export async function settingsPage(page, bucket) {
  const path = bucketPath(bucket);
  fill(page, breadcrumbs(bucket, '', 'Settings'), h('h1', {}, `Settings of ${bucket}`));
  const sections = [versioning(path), encryption(path), cors(path), lifecycle(path), policy(path, bucket), notificationsSection(path)];
  page.append(...sections.map((s) => s.el));
  await Promise.all(sections.map((s) => s.load().catch((err) => showError(s.el, err))));
}

function versioning(path) {
  const status = select([['Enabled', 'Enabled: every write keeps the previous version'], ['Suspended', 'Suspended: writes replace the current version']], 'Suspended', { id: 'versioning-status' });
  const state = h('span', { class: 'badge' }, '…');
  const el = h('section', { class: 'panel', 'aria-labelledby': 'versioning-title' },
    h('h2', { id: 'versioning-title' }, 'Versioning ', state),
    h('div', { class: 'row' }, h('div', { class: 'grow' }, field('Versioning', status)), h('div', { class: 'field' }, h('button', { type: 'button', onclick: save }, 'Save versioning'))));
  async function load() {
    const doc = await s3xml('GET', path, { query: { versioning: '' } });
    const value = text(doc.documentElement, 'Status');
    fill(state, value || 'never enabled');
    state.className = value === 'Enabled' ? 'badge on' : 'badge';
    status.value = value === 'Enabled' ? 'Enabled' : 'Suspended';
  }
  async function save() {
    clearError(el);
    try {
      await s3('PUT', path, { query: { versioning: '' }, body: xml('VersioningConfiguration', [['Status', status.value]]), headers: { 'Content-Type': 'application/xml' } });
      toast(`Versioning ${status.value.toLowerCase()}`);
      await load();
    } catch (err) { showError(el, err); }
  }
  return { el, load };
}

function encryption(path) {
  const algorithm = select([['', 'None'], ['AES256', 'AES256 (AES-256-GCM)'], ['SM4', 'SM4 (SM4-GCM)'], ['aws:kms', 'SSE-KMS (built-in key service)']], '', { id: 'encryption-algorithm' });
  const keyId = input({ id: 'encryption-key', placeholder: 'aws/s3' });
  const keyField = field('KMS key id', keyId);
  const el = h('section', { class: 'panel', 'aria-labelledby': 'encryption-title' },
    h('h2', { id: 'encryption-title' }, 'Default encryption'),
    h('p', { class: 'muted' }, 'Applies to objects written from now on without their own encryption header.'),
    h('div', { class: 'row' }, h('div', { class: 'grow' }, field('Algorithm', algorithm)), h('div', { class: 'grow' }, keyField),
      h('div', { class: 'field' }, h('button', { type: 'button', onclick: save }, 'Save encryption'))));
  const showKey = () => { keyField.hidden = algorithm.value !== 'aws:kms'; };
  algorithm.addEventListener('change', showKey);
  async function load() {
    const doc = await s3xml('GET', path, { query: { encryption: '' } }).catch(missing(['ServerSideEncryptionConfigurationNotFoundError']));
    const byDefault = doc ? child(child(doc.documentElement, 'Rule'), 'ApplyServerSideEncryptionByDefault') : null;
    algorithm.value = byDefault ? text(byDefault, 'SSEAlgorithm') : '';
    keyId.value = byDefault ? text(byDefault, 'KMSMasterKeyID') || '' : '';
    showKey();
  }
  async function save() {
    clearError(el);
    try {
      if (!algorithm.value) await s3('DELETE', path, { query: { encryption: '' } });
      else {
        const body = xml('ServerSideEncryptionConfiguration', [['Rule', [['ApplyServerSideEncryptionByDefault',
          [['SSEAlgorithm', algorithm.value], ['KMSMasterKeyID', algorithm.value === 'aws:kms' && keyId.value.trim() ? keyId.value.trim() : null]]]]]]);
        await s3('PUT', path, { query: { encryption: '' }, body, headers: { 'Content-Type': 'application/xml' } });
      }
      toast('Default encryption saved');
      await load();
    } catch (err) { showError(el, err); }
  }
  return { el, load };
}

/**
 * A configuration document edited as a form or as its text: `fromText` turns the text into the form's model (or
 * says why the form cannot show it), `toText` the model into the text, `form(model)` draws it and reads it back.
 */
function documentSection({ id, title, intro, language, get, put, remove, fromText, toText, form }) {
  const noun = title === 'CORS' ? title : title.toLowerCase();
  const status = h('span', { class: 'badge' }, '…');
  const area = h('textarea', { id: `${id}-text`, rows: 14, spellcheck: 'false' });
  const formHolder = h('div', {});
  const note = h('p', { class: 'muted' });
  const viewForm = h('button', { type: 'button', role: 'tab', 'aria-selected': 'true' }, 'Form');
  const viewText = h('button', { type: 'button', role: 'tab', 'aria-selected': 'false' }, language);
  const textHolder = h('div', { hidden: true }, field(`${title} as ${language}`, area));
  const el = h('section', { class: 'panel', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, title, ' ', status), h('p', { class: 'muted' }, intro),
    h('div', { class: 'tabs', role: 'tablist', 'aria-label': `${title} view` }, viewForm, viewText), note, formHolder, textHolder,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: save, 'data-save': id }, `Save ${noun}`),
      h('button', { type: 'button', class: 'secondary', onclick: del }, `Delete ${noun}`)));
  let editor = null;
  const showForm = (model) => { editor = form(model); fill(formHolder, editor.el); };
  const asText = () => !textHolder.hidden;
  const switchTo = (textView) => {
    clearError(el);
    try {
      if (textView && !asText()) area.value = toText(editor.read());
      if (!textView && asText()) {
        const model = fromText(area.value);
        if (typeof model === 'string') throw { code: 'NotInForm', message: model };
        showForm(model);
      }
      textHolder.hidden = !textView;
      formHolder.hidden = textView;
      viewForm.setAttribute('aria-selected', String(!textView));
      viewText.setAttribute('aria-selected', String(textView));
    } catch (err) { showError(el, err); }
  };
  viewForm.addEventListener('click', () => switchTo(false));
  viewText.addEventListener('click', () => switchTo(true));
  async function load() {
    const current = await get();
    fill(status, current === null ? 'not set' : 'set');
    status.className = current === null ? 'badge' : 'badge on';
    area.value = current ?? '';
    const model = current === null ? fromText(null) : fromText(current);
    if (typeof model === 'string') {
      fill(note, model);
      showForm(fromText(null));
      switchTo(true);
    } else {
      fill(note);
      showForm(model);
    }
  }
  async function save() {
    clearError(el);
    try {
      const body = asText() ? area.value : toText(editor.read());
      await put(body);
      toast(`${title} saved`);
      await load();
    } catch (err) { showError(el, err); }
  }
  async function del() {
    if (!await confirmAction(`Delete ${noun}`, `Remove the bucket's ${noun} configuration?`)) return;
    clearError(el);
    try {
      await remove();
      toast(`${title} deleted`);
      await load();
    } catch (err) { showError(el, err); }
  }
  return { el, load };
}

/** A list of rule editors with Add and Remove; `rule(model)` returns { el, read }. */
function ruleList(models, rule, blank, label) {
  const holder = h('div', {});
  const editors = [];
  const add = (m) => {
    const r = rule(m);
    const box = h('div', { class: 'rule' }, r.el, h('button', { type: 'button', class: 'secondary', onclick: () => { editors.splice(editors.indexOf(r), 1); box.remove(); } }, `Remove ${label}`));
    editors.push(r);
    holder.append(box);
  };
  models.forEach(add);
  const el = h('div', {}, holder, h('button', { type: 'button', class: 'secondary', onclick: () => add(blank()) }, `Add ${label}`));
  return { el, read: () => editors.map((r) => r.read()) };
}

function cors(path) {
  const methods = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
  return documentSection({
    id: 'cors', title: 'CORS', language: 'XML', intro: 'Which other web origins may call this bucket from a browser.',
    get: () => s3('GET', path, { query: { cors: '' } }).then((r) => r.text()).catch(missing(['NoSuchCORSConfiguration'])),
    put: (body) => s3('PUT', path, { query: { cors: '' }, body, headers: { 'Content-Type': 'application/xml', 'x-amz-checksum-crc32': crc32Base64(body) } }),
    remove: () => s3('DELETE', path, { query: { cors: '' } }),
    fromText: (t) => (t === null ? [] : children(parseXml(t).documentElement, 'CORSRule').map((r) => ({
      id: text(r, 'ID') || '',
      origins: children(r, 'AllowedOrigin').map((e) => e.textContent),
      methods: children(r, 'AllowedMethod').map((e) => e.textContent),
      headers: children(r, 'AllowedHeader').map((e) => e.textContent),
      expose: children(r, 'ExposeHeader').map((e) => e.textContent),
      maxAge: text(r, 'MaxAgeSeconds') || '',
    }))),
    toText: (rules) => xml('CORSConfiguration', rules.map((r) => ['CORSRule', [
      ['ID', r.id || null], ...r.origins.map((o) => ['AllowedOrigin', o]), ...r.methods.map((m) => ['AllowedMethod', m]),
      ...r.headers.map((x) => ['AllowedHeader', x]), ...r.expose.map((x) => ['ExposeHeader', x]), ['MaxAgeSeconds', r.maxAge || null]]])),
    form: (rules) => ruleList(rules, (r) => {
      const id = input({ value: r.id });
      const origins = h('textarea', { rows: 2 }, r.origins.join('\n'));
      const checks = methods.map((m) => h('input', { type: 'checkbox', value: m, checked: r.methods.includes(m), id: `cors-${m}-${Math.random().toString(36).slice(2)}` }));
      const headers = h('textarea', { rows: 2 }, r.headers.join('\n'));
      const expose = h('textarea', { rows: 2 }, r.expose.join('\n'));
      const maxAge = input({ type: 'number', min: 0, value: r.maxAge });
      return {
        el: h('div', {}, h('div', { class: 'grid2' }, field('Rule id (optional)', id), field('Max age (seconds)', maxAge)),
          field('Allowed origins, one a line (* for any)', origins),
          h('fieldset', {}, h('legend', {}, 'Allowed methods'), checks.map((c) => h('label', { class: 'inline', for: c.id }, c, c.value))),
          h('div', { class: 'grid2' }, field('Allowed request headers', headers), field('Headers exposed to the page', expose))),
        read: () => ({ id: id.value.trim(), origins: lines(origins.value), methods: checks.filter((c) => c.checked).map((c) => c.value),
          headers: lines(headers.value), expose: lines(expose.value), maxAge: maxAge.value }),
      };
    }, () => ({ id: '', origins: [], methods: ['GET'], headers: [], expose: ['ETag'], maxAge: '' }), 'rule'),
  });
}

function lifecycle(path) {
  const unsupported = ['Transition', 'NoncurrentVersionTransition', 'Tag', 'And', 'ObjectSizeGreaterThan', 'ObjectSizeLessThan', 'Date', 'NewerNoncurrentVersions'];
  const num = (el, a, b) => { const v = text(child(el, a), b); return v === null ? '' : v; };
  return documentSection({
    id: 'lifecycle', title: 'Lifecycle', language: 'XML', intro: 'Rules the server applies every day: expire objects, old versions and unfinished uploads.',
    get: () => s3('GET', path, { query: { lifecycle: '' } }).then((r) => r.text()).catch(missing(['NoSuchLifecycleConfiguration'])),
    // S3 wants an integrity check on this body (Content-MD5 or a checksum).
    put: (body) => s3('PUT', path, { query: { lifecycle: '' }, body, headers: { 'Content-Type': 'application/xml', 'x-amz-checksum-crc32': crc32Base64(body) } }),
    remove: () => s3('DELETE', path, { query: { lifecycle: '' } }),
    fromText: (t) => {
      if (t === null) return [];
      const doc = parseXml(t);
      const used = unsupported.filter((n) => doc.getElementsByTagName(n).length > 0);
      if (used.length) return `These rules use ${used.join(', ')}, which the form does not show: edit them as XML.`;
      return children(doc.documentElement, 'Rule').map((r) => ({
        id: text(r, 'ID') || '',
        prefix: text(child(r, 'Filter'), 'Prefix') ?? text(r, 'Prefix') ?? '',
        enabled: text(r, 'Status') === 'Enabled',
        days: num(r, 'Expiration', 'Days'),
        expiredMarker: text(child(r, 'Expiration'), 'ExpiredObjectDeleteMarker') === 'true',
        noncurrentDays: num(r, 'NoncurrentVersionExpiration', 'NoncurrentDays'),
        abortDays: num(r, 'AbortIncompleteMultipartUpload', 'DaysAfterInitiation'),
      }));
    },
    toText: (rules) => xml('LifecycleConfiguration', rules.map((r) => ['Rule', [
      ['ID', r.id || null], ['Filter', [['Prefix', r.prefix]]], ['Status', r.enabled ? 'Enabled' : 'Disabled'],
      r.days || r.expiredMarker ? ['Expiration', [['Days', r.days || null], ['ExpiredObjectDeleteMarker', !r.days && r.expiredMarker ? 'true' : null]]] : ['Expiration', null],
      ['NoncurrentVersionExpiration', r.noncurrentDays ? [['NoncurrentDays', r.noncurrentDays]] : null],
      ['AbortIncompleteMultipartUpload', r.abortDays ? [['DaysAfterInitiation', r.abortDays]] : null]]])),
    form: (rules) => ruleList(rules, (r) => {
      const uid = Math.random().toString(36).slice(2);
      const id = input({ value: r.id });
      const prefix = input({ value: r.prefix, placeholder: 'logs/ (empty: the whole bucket)' });
      const enabled = h('input', { type: 'checkbox', checked: r.enabled, id: `lc-on-${uid}` });
      const days = input({ type: 'number', min: 1, value: r.days });
      const noncurrent = input({ type: 'number', min: 1, value: r.noncurrentDays });
      const abort = input({ type: 'number', min: 1, value: r.abortDays });
      const marker = h('input', { type: 'checkbox', checked: r.expiredMarker, id: `lc-dm-${uid}` });
      return {
        el: h('div', {}, h('div', { class: 'grid2' }, field('Rule id', id), field('Prefix', prefix)),
          h('label', { class: 'inline', for: enabled.id }, enabled, 'Enabled'),
          h('div', { class: 'grid2' }, field('Expire current versions after (days)', days), field('Delete old versions after (days)', noncurrent),
            field('Abort unfinished uploads after (days)', abort)),
          h('label', { class: 'inline', for: marker.id }, marker, 'Remove delete markers left alone')),
        read: () => ({ id: id.value.trim(), prefix: prefix.value, enabled: enabled.checked, days: days.value, noncurrentDays: noncurrent.value,
          abortDays: abort.value, expiredMarker: marker.checked }),
      };
    }, () => ({ id: '', prefix: '', enabled: true, days: '30', noncurrentDays: '', abortDays: '7', expiredMarker: false }), 'rule'),
  });
}

function policy(path, bucket) {
  const asList = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return documentSection({
    id: 'policy', title: 'Policy', language: 'JSON', intro: 'Who else may do what in this bucket (IAM policy statements).',
    get: () => s3('GET', path, { query: { policy: '' } }).then((r) => r.text()).catch(missing(['NoSuchBucketPolicy'])),
    put: (body) => s3('PUT', path, { query: { policy: '' }, body, headers: { 'Content-Type': 'application/json' } }),
    remove: () => s3('DELETE', path, { query: { policy: '' } }),
    fromText: (t) => {
      if (t === null) return [];
      let doc;
      try { doc = JSON.parse(t); } catch { throw { code: 'MalformedPolicy', message: 'The policy is not valid JSON.' }; }
      const statements = asList(doc.Statement);
      if (statements.some((s) => s.Condition || s.NotAction || s.NotPrincipal || s.NotResource)) {
        return 'This policy uses Condition, NotAction, NotPrincipal or NotResource, which the form does not show: edit it as JSON.';
      }
      return statements.map((s) => ({
        sid: s.Sid || '',
        effect: s.Effect || 'Allow',
        principal: s.Principal === '*' || (s.Principal && s.Principal.AWS === '*') ? '*' : asList(s.Principal && (s.Principal.AWS || s.Principal.CanonicalUser)).join('\n'),
        actions: asList(s.Action).join('\n'),
        resources: asList(s.Resource).join('\n'),
      }));
    },
    toText: (statements) => JSON.stringify({
      Version: '2012-10-17',
      Statement: statements.map((s) => ({
        ...(s.sid ? { Sid: s.sid } : {}),
        Effect: s.effect,
        Principal: s.principal.trim() === '*' ? '*' : { AWS: lines(s.principal) },
        Action: lines(s.actions),
        Resource: lines(s.resources),
      })),
    }, null, 2),
    form: (statements) => ruleList(statements, (s) => {
      const sid = input({ value: s.sid });
      const effect = select([['Allow', 'Allow'], ['Deny', 'Deny']], s.effect);
      const principal = h('textarea', { rows: 2 }, s.principal);
      const actions = h('textarea', { rows: 3 }, s.actions);
      const resources = h('textarea', { rows: 2 }, s.resources);
      return {
        el: h('div', {}, h('div', { class: 'grid2' }, field('Statement id', sid), field('Effect', effect)),
          field('Principals (* for everyone, or canonical ids / user ARNs, one a line)', principal),
          h('div', { class: 'grid2' }, field('Actions (s3:GetObject, s3:*, …)', actions), field('Resources', resources))),
        read: () => ({ sid: sid.value.trim(), effect: effect.value, principal: principal.value, actions: actions.value, resources: resources.value }),
      };
    }, () => ({ sid: 'PublicRead', effect: 'Allow', principal: '*', actions: 's3:GetObject', resources: `arn:aws:s3:::${bucket}/*` }), 'statement'),
  });
}
