// Activity: every SCIM write (time, operation, employee, status, client, what changed, the
// detail of a refusal), filtered by employee, operation and result, page by page; and beside
// it the audit log of admin actions (who did what in this console or the admin API).

import { api, tenantPath } from '../api.js';
import { h, fill, time, field, pagedTable, code } from '../ui.js';

const OPERATIONS = ['create', 'replace', 'update', 'deactivate', 'reactivate', 'delete', 'restore', 'purge', 'bulk', 'guard', 'apply', 'dismiss'];

function value(v) {
  if (v === null || v === undefined) return '(none)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function changes(e) {
  const parts = [];
  if (Array.isArray(e.changes) && e.changes.length) {
    parts.push(h('ul', { class: 'changes' }, e.changes.map((c) => h('li', {},
      code(c.path), ': ', h('span', { class: 'old' }, value(c.old)), ' → ', h('span', { class: 'new' }, value(c.new))))));
  }
  if (e.detail) parts.push(h('p', { class: e.status >= 400 ? 'detail refused' : 'detail' }, e.detail));
  return parts.length ? parts : h('span', { class: 'muted' }, '—');
}

function employee(e) {
  if (e.user_name) return h('span', {}, e.user_name, e.user_id ? h('span', { class: 'hint block' }, e.user_id) : null);
  return e.user_id ? code(e.user_id) : h('span', { class: 'muted' }, 'unknown');
}

const activityColumns = [
  ['Time', (e) => time(e.at)],
  ['Operation', (e) => e.operation],
  ['Employee', employee],
  ['Status', (e) => h('span', { class: 'pill ' + (e.status < 400 ? 'good' : 'bad') }, String(e.status), e.status < 400 ? ' done' : ' refused')],
  ['Client', (e) => e.client || h('span', { class: 'muted' }, '—')],
  ['What changed', changes],
];

const auditColumns = [
  ['Time', (e) => time(e.at)],
  ['Who', (e) => e.actor],
  ['Action', (e) => e.action],
  ['Target', (e) => (e.target ? code(e.target) : h('span', { class: 'muted' }, '—'))],
  ['Detail', (e) => e.detail || h('span', { class: 'muted' }, '—')],
];

export async function render(body) {
  const user = h('input', { type: 'search', name: 'user', autocomplete: 'off' });
  const operation = h('select', { name: 'operation' }, h('option', { value: '' }, 'Any operation'), OPERATIONS.map((o) => h('option', { value: o }, o)));
  const result = h('select', { name: 'result' },
    h('option', { value: '' }, 'Any result'), h('option', { value: 'success' }, 'Done'), h('option', { value: 'failure' }, 'Refused'));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the activity' },
    field('Employee (userName or id)', user), field('Operation', operation), field('Result', result),
    h('button', { type: 'submit' }, 'Filter'));
  const activityBox = h('div');
  const auditBox = h('div');

  function loadActivity() {
    const filters = { user: user.value.trim(), operation: operation.value, result: result.value };
    return pagedTable(activityBox, {
      caption: 'Activity log', what: 'activity', columns: activityColumns,
      empty: filters.user || filters.operation || filters.result
        ? 'No activity matches these filters.'
        : 'No activity yet: once your identity provider sends employees, every change appears here.',
      load: async (cursor) => {
        const r = await api('GET', tenantPath('/activity'), { ...filters, limit: 50, cursor });
        return { rows: r.entries, next_cursor: r.next_cursor };
      },
    });
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    loadActivity();
  });

  fill(body, h('div', { class: 'beside' },
    h('section', { 'aria-labelledby': 'act-h', class: 'wide' },
      h('h2', { id: 'act-h' }, 'Provisioning activity'),
      h('p', {}, 'Every write your identity provider sent, newest first, and what it changed.'),
      form, activityBox),
    h('section', { 'aria-labelledby': 'audit-h' },
      h('h2', { id: 'audit-h' }, 'Audit log of admin actions'),
      h('p', {}, 'Sign-ins, tokens, attributes and every other change made by an admin.'),
      auditBox)));
  await Promise.all([
    loadActivity(),
    pagedTable(auditBox, {
      caption: 'Audit log', what: 'audit entries', columns: auditColumns, empty: 'No admin actions yet.',
      load: async (cursor) => {
        const r = await api('GET', tenantPath('/audit'), { limit: 50, cursor });
        return { rows: r.entries, next_cursor: r.next_cursor };
      },
    }),
  ]);
}
