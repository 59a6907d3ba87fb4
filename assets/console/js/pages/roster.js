// Roster: the employees who existed at a moment (now, or "as of" a date and time in the
// admin's time zone), with active and survey-eligible as of then and when that last changed;
// search, and a CSV download of the same listing.

import { api, tenantPath, url } from '../api.js';
import { h, fill, time, field, pagedTable, zone } from '../ui.js';

/** The instant of a local date (and optional time) in the browser's time zone, as RFC 3339 UTC. */
export function asOf(date, clock) {
  if (!date) return '';
  const d = new Date(`${date}T${clock || '23:59:59'}`);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace(/\.\d+Z$/, 'Z');
}

function eligible(e) {
  const parts = [h('span', { class: 'pill ' + (e.eligible ? 'good' : 'muted-pill') }, e.eligible ? 'Eligible' : 'Not eligible')];
  if (e.held) parts.push(h('span', { class: 'pill warn', title: 'The deactivation guard holds a change of this employee' }, 'held'));
  if (e.overridden) parts.push(h('span', { class: 'pill warn', title: 'Kept eligible by an admin although the identity provider says inactive' }, 'overridden'));
  return parts;
}

const columns = [
  ['Employee', (e) => (e.purged ? h('span', { class: 'muted' }, 'a deleted employee (purged)') : e.userName)],
  ['Email', (e) => e.email || h('span', { class: 'muted' }, '—')],
  ['Active', (e) => (e.active ? 'Active' : 'Inactive')],
  ['Survey eligibility', eligible],
  ['Last change', (e) => time(e.changed_at)],
];

export async function render(body) {
  const date = h('input', { type: 'date', name: 'date' });
  const clock = h('input', { type: 'time', name: 'time', step: '1' });
  const which = h('select', { name: 'eligible' },
    h('option', { value: '' }, 'Everyone'), h('option', { value: 'true' }, 'Eligible only'), h('option', { value: 'false' }, 'Not eligible only'));
  const q = h('input', { type: 'search', name: 'q', autocomplete: 'off' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Roster' },
    field('As of date (empty: now)', date, `In ${zone}.`),
    field('Time (optional)', clock, 'Empty: the end of that day.'),
    field('Show', which),
    field('Search (name or email)', q, 'Beginnings of words, any case and accents: "jose nun" finds José Núñez.'),
    h('button', { type: 'submit' }, 'Show'));
  const csv = h('a', { class: 'button secondary', download: 'roster.csv' }, 'Download CSV');
  const box = h('div');

  function load() {
    const params = { at: asOf(date.value, clock.value), eligible: which.value, q: q.value.trim() };
    csv.setAttribute('href', url(tenantPath('/employees.csv'), params));
    return pagedTable(box, {
      caption: 'Roster', what: 'employees', columns,
      empty: params.q ? 'Nobody matches this search.' : 'No employees existed at that time.',
      before: (page) => h('p', { class: 'summary' }, `${page.total} employee${page.total === 1 ? '' : 's'} at `, time(page.at), params.q ? ` matching "${params.q}"` : '', '.'),
      load: async (cursor) => {
        // A cursor carries the listing's time, filter and search; sent with it, they must match.
        const r = await api('GET', tenantPath('/employees'), cursor ? { ...params, cursor, limit: 100 } : { ...params, limit: 100 });
        return { rows: r.employees, next_cursor: r.next_cursor, total: r.total, at: r.at };
      },
    });
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load();
  });
  fill(body,
    h('p', {}, 'Who receives surveys: employees who existed at the chosen time, whether they were active and survey-eligible then, and when that last changed.'),
    form, h('p', {}, csv), box);
  await load();
}
