// The mass-deactivation guard: whether it tripped, the changes it holds (those employees stay
// survey-eligible), and the decision: apply them (at the times they were received) or dismiss
// them (the employees stay eligible, overridden; a held deletion is restored).

import { api, tenantPath } from '../api.js';
import { h, fill, time, statusLine, errorBox, loading, confirmAction, table, code } from '../ui.js';

export async function render(body, session, stale) {
  const status = statusLine();
  const box = h('div', {}, loading('the guard'));

  async function decide(kind) {
    const apply = kind === 'apply';
    const yes = await confirmAction({
      title: apply ? 'Apply every held change?' : 'Dismiss every held change?',
      message: apply
        ? ['The deactivations and deletions take effect at the times your identity provider sent them: these employees leave survey eligibility.']
        : ['These employees stay survey-eligible although your identity provider says they are inactive (marked overridden). Held deletions are restored.'],
      confirm: apply ? 'Apply' : 'Dismiss',
    });
    if (!yes) {
      status.ok('Nothing changed.');
      return;
    }
    status.busy(apply ? 'Applying…' : 'Dismissing…');
    try {
      if (apply) {
        const r = await api('POST', tenantPath('/guard/apply'), null, {});
        status.ok(`Applied ${r.applied} held change${r.applied === 1 ? '' : 's'}.`);
      } else {
        let dismissed = 0;
        let r;
        do {
          r = await api('POST', tenantPath('/guard/dismiss'), null, {});
          dismissed += r.dismissed;
        } while (r.more);
        status.ok(`Dismissed ${dismissed} held change${dismissed === 1 ? '' : 's'}.`);
      }
      await refresh();
    } catch (e) {
      status.error(e);
    }
  }

  async function refresh() {
    let g;
    try {
      g = await api('GET', tenantPath('/guard'));
    } catch (e) {
      fill(box, errorBox(e, 'the guard'));
      return;
    }
    if (stale()) return;
    const s = g.settings;
    const settings = h('p', { class: 'hint' }, s.enabled
      ? `The guard trips when more than ${s.percent} % of your eligible employees, and at least ${s.minimum}, leave eligibility within ${s.window_minutes} minutes. Held changes apply by themselves after ${s.auto_apply_days ? s.auto_apply_days + ' days' : 'never'}.`
      : 'The guard is switched off: deactivations take effect at once.');
    if (!g.tripped) {
      fill(box, h('p', { class: 'pill good big' }, 'Not tripped: nothing is held.'), settings,
        g.trips.length ? h('p', {}, 'Last trip: ', time(g.trips[0].tripped_at), ', ended ', time(g.trips[0].ended_at, 'not yet'), '.') : null);
      return;
    }
    const t = g.trip;
    fill(box,
      h('div', { class: 'notice', role: 'alert' },
        h('p', {}, h('strong', {}, 'The guard tripped '), time(t.tripped_at), `: ${t.losses} of ${t.eligible_before} eligible employees left eligibility within the window that started `, time(t.window_start), '.'),
        h('p', {}, `${g.held_employees} employee${g.held_employees === 1 ? '' : 's'} held (still eligible). Sent by: `, t.clients && t.clients.length ? t.clients.join(', ') : 'unknown clients', '.'),
        h('p', {}, 'Unless you decide, the held changes apply by themselves ', time(t.auto_apply_at, 'never'), '.')),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => decide('apply') }, 'Apply all…'),
        h('button', { type: 'button', class: 'secondary', onclick: () => decide('dismiss') }, 'Dismiss all…')),
      table('Held changes', [
        ['Employee', (x) => x.userName || code(x.id)],
        ['Change', (x) => x.change],
        ['Received', (x) => time(x.received_at)],
      ], g.held, 'No held changes listed.'),
      g.held_employees > g.held.length ? h('p', { class: 'hint' }, `The first ${g.held.length} of ${g.held_employees} are listed.`) : null,
      settings);
  }

  fill(body,
    h('p', {}, 'If your identity provider deactivates a large part of the company at once (a wrong scoping filter or assignment), the guard keeps those employees in surveys until you decide. SCIM still follows your identity provider.'),
    status.el, box);
  await refresh();
}
