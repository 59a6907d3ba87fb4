// Building the page: elements from data, always as text (textContent and attributes, never
// HTML), times in the admin's time zone with UTC on hover, and the few widgets every page uses
// (status lines, confirmation dialogs, copy buttons, tables, "show more").

/**
 * h('p', {class: 'x', onclick: f}, 'text', child…): an element. Strings become text nodes;
 * attributes are set as attributes (values are text); `on*` functions become listeners.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'selected') el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'your time zone';
// (dateStyle and timeStyle cannot be combined with timeZoneName: the parts are spelled out.)
const local = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short',
});

/** "2026-12-03 08:55:37 UTC" */
export function utc(d) {
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** A <time>: local time as text, UTC on hover (title), the instant in `datetime`. */
export function time(iso, none = 'never') {
  if (!iso) return h('span', { class: 'muted' }, none);
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', {}, iso);
  return h('time', { datetime: d.toISOString(), title: utc(d) }, local.format(d));
}

let ids = 0;
/** A fresh id for label/aria pairs. */
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A polite live region that says what just happened, or what went wrong. */
export function statusLine() {
  const el = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  return {
    el,
    busy(text) { el.className = 'status busy'; el.textContent = text; },
    ok(text) { el.className = 'status ok'; el.textContent = text; },
    error(e) { el.className = 'status error'; el.textContent = typeof e === 'string' ? e : e.message; },
    clear() { el.className = 'status'; el.textContent = ''; },
  };
}

/** An error box for a page or section that could not load. */
export function errorBox(e, what) {
  return h('div', { class: 'error-box', role: 'alert' },
    h('p', {}, h('strong', {}, `Could not load ${what}.`), ' ', e.message || String(e)));
}

export function loading(what) {
  return h('p', { class: 'loading', role: 'status' }, `Loading ${what}…`);
}

/** A labelled field: label, then the control, then an optional hint (described-by). */
export function field(label, control, hint) {
  const id = control.id || uid('f');
  control.id = id;
  const parts = [h('label', { for: id }, label), control];
  if (hint) {
    const hid = id + '-hint';
    control.setAttribute('aria-describedby', hid);
    parts.push(h('p', { class: 'hint', id: hid }, hint));
  }
  return h('div', { class: 'field' }, parts);
}

/**
 * A modal confirmation (<dialog>): resolves true when the admin confirms. Escape and the
 * cancel button resolve false; focus starts on cancel, the safe choice.
 */
export function confirmAction({ title, message, confirm, danger = true }) {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const ok = h('button', { type: 'button', class: danger ? 'danger' : '' }, confirm);
    const dialog = h('dialog', { 'aria-labelledby': titleId, class: 'confirm' },
      h('h2', { id: titleId }, title),
      (Array.isArray(message) ? message : [message]).map((m) => h('p', {}, m)),
      h('div', { class: 'actions' }, cancel, ok));
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener('click', () => done(false));
    ok.addEventListener('click', () => done(true));
    dialog.addEventListener('cancel', (ev) => { ev.preventDefault(); done(false); });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** A read-only value with a Copy button (the clipboard, else the text selected for Ctrl-C). */
export function copyable(label, value, { secret = false } = {}) {
  const input = h('input', { type: 'text', readonly: true, value, spellcheck: 'false', autocomplete: 'off', class: secret ? 'secret mono' : 'mono' });
  const said = h('span', { class: 'copied', role: 'status', 'aria-live': 'polite' });
  const button = h('button', {
    type: 'button', class: 'secondary',
    onclick: async () => {
      input.focus();
      input.select();
      try {
        await navigator.clipboard.writeText(input.value);
        said.textContent = 'Copied.';
      } catch {
        said.textContent = 'Selected: press Ctrl-C (⌘-C) to copy.';
      }
    },
  }, `Copy the ${secret ? label.toLowerCase() : label}`);
  const f = field(label, input);
  f.append(h('div', { class: 'copy-row' }, button, said));
  return f;
}

/**
 * A table: `columns` are [heading, row => cell content]; an empty list shows `empty` in words.
 * Wide tables scroll inside their own box at phone width.
 */
export function table(caption, columns, rows, empty) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': `Table: ${caption}` },
    h('table', {},
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, columns.map(([head]) => h('th', { scope: 'col' }, head || h('span', { class: 'visually-hidden' }, 'Actions'))))),
      h('tbody', {}, rows.map((r) => h('tr', {}, columns.map(([head, cell]) => h('td', { 'data-label': head }, cell(r))))))));
}

/** Appends rows to a table made by `table` (for "show more"). */
export function appendRows(wrap, columns, rows) {
  const tbody = wrap.querySelector('tbody');
  for (const r of rows) tbody.append(h('tr', {}, columns.map(([head, cell]) => h('td', { 'data-label': head }, cell(r)))));
}

/**
 * A paged list: loads the first page into `box`, and a "Show more" button while the API
 * answers a `next_cursor`. `load(cursor)` resolves to {rows, next_cursor, …}.
 */
export async function pagedTable(box, { caption, columns, empty, what, load, before }) {
  fill(box, loading(what));
  let page;
  try {
    page = await load(null);
  } catch (e) {
    fill(box, errorBox(e, what));
    return;
  }
  const wrap = table(caption, columns, page.rows, empty);
  const status = statusLine();
  const more = h('button', { type: 'button', class: 'secondary more' }, `Show more ${what}`);
  let cursor = page.next_cursor;
  more.hidden = !cursor;
  more.addEventListener('click', async () => {
    more.disabled = true;
    status.busy(`Loading more ${what}…`);
    try {
      const next = await load(cursor);
      appendRows(wrap, columns, next.rows);
      cursor = next.next_cursor;
      more.hidden = !cursor;
      status.ok(`${next.rows.length} more shown.`);
    } catch (e) {
      status.error(e);
    } finally {
      more.disabled = false;
    }
  });
  fill(box, before ? before(page) : null, wrap, more, status.el);
}

export function yesNo(b) {
  return b ? 'Yes' : 'No';
}

export function code(text) {
  return h('code', {}, text);
}
