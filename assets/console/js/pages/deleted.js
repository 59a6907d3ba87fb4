// Deleted employees: those your IdP deleted, kept for the retention period; restore one (same
// id, attributes and history) or purge it at once (with confirmation).

import { api, tenantPath } from '../api.js';
import { h, fill, time, statusLine, confirmAction, pagedTable, yesNo } from '../ui.js';

export async function render(body) {
  const status = statusLine();
  const box = h('div');
  const name = (d) => d.userName || d.id;

  async function restore(d) {
    status.busy(`Restoring ${name(d)}…`);
    try {
      const r = await api('POST', tenantPath(`/deleted-employees/${encodeURIComponent(d.id)}/restore`), null, {});
      status.ok(`Restored ${r.userName}: ${r.active ? 'active' : 'inactive'}, as before the deletion.`);
      await load();
    } catch (e) {
      status.error(e);
    }
  }
  async function purge(d) {
    const yes = await confirmAction({
      title: `Purge ${name(d)} now?`,
      message: ['Their record, emails and references are erased now, and their name and emails are removed from the history and the activity log.', 'This cannot be undone.'],
      confirm: 'Purge now',
    });
    if (!yes) {
      status.ok('Nothing changed.');
      return;
    }
    status.busy(`Purging ${name(d)}…`);
    try {
      await api('DELETE', tenantPath(`/deleted-employees/${encodeURIComponent(d.id)}`));
      status.ok(`Purged ${name(d)}.`);
      await load();
    } catch (e) {
      status.error(e);
    }
  }

  const columns = [
    ['Employee', (d) => d.userName],
    ['Email', (d) => d.email || h('span', { class: 'muted' }, '—')],
    ['Was active', (d) => yesNo(d.active)],
    ['Deleted', (d) => time(d.deleted_at)],
    ['Deleted by', (d) => (d.deleted_by && d.deleted_by.client) || h('span', { class: 'muted' }, 'unknown client')],
    ['Purged for good', (d) => time(d.purge_at)],
    ['', (d) => h('div', { class: 'row-actions' },
      h('button', { type: 'button', class: 'small', 'aria-label': `Restore ${name(d)}`, onclick: () => restore(d) }, 'Restore'),
      h('button', { type: 'button', class: 'danger small', 'aria-label': `Purge ${name(d)} now`, onclick: () => purge(d) }, 'Purge now…'))],
  ];
  function load() {
    return pagedTable(box, {
      caption: 'Deleted employees', what: 'deleted employees', columns,
      empty: 'No deleted employees are kept right now.',
      before: (page) => h('p', {}, `${page.total} deleted employee${page.total === 1 ? '' : 's'} kept. Each is purged for good ${page.retention} days after the deletion.`),
      load: async (cursor) => {
        const r = await api('GET', tenantPath('/deleted-employees'), { limit: 100, cursor });
        return { rows: r.deleted_employees, next_cursor: r.next_cursor, total: r.total, retention: r.deleted_retention_days };
      },
    });
  }
  fill(body,
    h('p', {}, 'When your identity provider deletes an employee, they disappear from SCIM at once, but we keep them for a while: a deletion is often a mistake. Restoring one brings back the same employee, with their attributes and history. A restore is refused while someone else holds their userName or externalId.'),
    status.el, box);
  await load();
}
