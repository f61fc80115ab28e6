// Small DOM helpers: elements from plain data (text is always text, never HTML), dialogs, messages, formats.

/** h('button', { class: 'x', onclick }, 'text', child): attributes starting with "on" are listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'value') el.value = value;
    else if (name === 'checked') el.checked = !!value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of el. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let fieldCounter = 0;
/** A labelled control: { label, control } where the label names the control. */
export function field(labelText, control, hint) {
  if (!control.id) control.id = `f${++fieldCounter}`;
  return h('div', { class: 'field' }, h('label', { for: control.id }, labelText), control, hint ? h('div', { class: 'muted' }, hint) : null);
}

export function input(attrs = {}) {
  return h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs });
}

export function select(options, value, attrs = {}) {
  return h('select', attrs, options.map(([v, text]) => h('option', { value: v, selected: v === value ? 'selected' : null }, text)));
}

/** A message that says what went wrong, from an S3 or console error's code and message. */
export function errorBox(err) {
  const code = err && err.code ? err.code : 'Error';
  const message = err && err.message ? err.message : String(err);
  return h('div', { class: 'alert', role: 'alert' }, h('strong', {}, code), message);
}

/** Shows the error in (or just after) the place given, replacing an earlier one. */
export function showError(container, err) {
  clearError(container);
  const box = errorBox(err);
  box.dataset.errorFor = '1';
  container.prepend(box);
  return box;
}

export function clearError(container) {
  for (const old of container.querySelectorAll(':scope > [data-error-for]')) old.remove();
}

export function toast(text) {
  const t = h('div', { class: 'toast' }, text);
  document.getElementById('toasts').append(t);
  setTimeout(() => t.remove(), 4000);
}

/** A modal dialog; resolves with the value of the button pressed (null on Escape). */
export function dialog(title, body, buttons = [['Close', null, 'secondary']]) {
  return new Promise((resolve) => {
    const form = h('form', { method: 'dialog' },
      h('h2', { id: `d${++fieldCounter}` }, title),
      body,
      h('div', { class: 'actions' }, buttons.map(([text, value, cls]) => h('button', { value: value ?? '', class: cls || null }, text))));
    const d = h('dialog', { 'aria-labelledby': form.firstChild.id }, form);
    document.body.append(d);
    d.addEventListener('close', () => {
      const value = d.returnValue;
      d.remove();
      resolve(value === '' ? null : value);
    });
    d.showModal();
  });
}

/** Asks before something that cannot be undone; with `typed`, the user must type it to confirm. */
export async function confirmAction(title, text, { action = 'Delete', typed } = {}) {
  const body = h('div', {}, h('p', {}, text));
  let box;
  if (typed) {
    box = input({ 'aria-describedby': null });
    body.append(field(`Type ${typed} to confirm`, box));
  }
  const pending = dialog(title, body, [[action, 'yes', 'danger'], ['Cancel', null, 'secondary']]);
  if (box) {
    const yes = body.closest('form').querySelector('button.danger');
    yes.disabled = true;
    box.addEventListener('input', () => { yes.disabled = box.value !== typed; });
    box.focus();
  }
  return (await pending) === 'yes';
}

/** Copies text; falls back to selecting it where the clipboard API is missing (plain HTTP on another host). */
export async function copyText(text, inputEl) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    if (inputEl) { inputEl.select(); document.execCommand('copy'); }
  }
  toast('Copied');
}

export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = Number(n);
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function when(date) {
  if (!date) return '';
  const d = date instanceof Date ? date : new Date(date);
  return Number.isNaN(d.getTime()) ? String(date) : d.toLocaleString();
}

export function duration(seconds) {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d} d ${hh} h` : hh > 0 ? `${hh} h ${mm} min` : mm > 0 ? `${mm} min ${s % 60} s` : `${s} s`;
}

/** A tab strip; `tabs` is [[id, label, render(panel)]]. */
export function tabStrip(tabs, initial) {
  const strip = h('div', { class: 'tabs', role: 'tablist' });
  const panel = h('div', { role: 'tabpanel', tabindex: '0' });
  const buttons = tabs.map(([id, label, render]) => {
    const b = h('button', { type: 'button', role: 'tab', id: `tab-${id}`, 'aria-selected': 'false', dataset: { tab: id } }, label);
    b.addEventListener('click', () => choose(id));
    b.addEventListener('keydown', (e) => {
      const i = tabs.findIndex((t) => t[0] === id);
      const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : null;
      if (next === null) return;
      const t = tabs[(next + tabs.length) % tabs.length];
      choose(t[0]);
      strip.querySelector(`[data-tab="${t[0]}"]`).focus();
    });
    return b;
  });
  strip.append(...buttons);
  function choose(id) {
    for (const b of buttons) {
      const on = b.dataset.tab === id;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.tabIndex = on ? 0 : -1;
    }
    panel.setAttribute('aria-labelledby', `tab-${id}`);
    panel.replaceChildren();
    const tab = tabs.find((t) => t[0] === id);
    tab[2](panel);
  }
  choose(initial || tabs[0][0]);
  return h('div', {}, strip, panel);
}
