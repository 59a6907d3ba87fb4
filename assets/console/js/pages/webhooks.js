// Webhooks: the endpoints that receive the change feed (each employee change, signed the
// Standard Webhooks way), created with a signing secret shown once; enable and disable, rotate
// the secret, and each endpoint's delivery attempts.

import { api, tenantPath } from '../api.js';
import { h, fill, time, statusLine, errorBox, loading, field, confirmAction, pagedTable, code, uid } from '../ui.js';
import { shownOnce } from './provisioning.js';

const TYPES = ['employee.created', 'employee.updated', 'employee.deactivated', 'employee.reactivated', 'employee.deleted',
  'employee.restored', 'employee.purged', 'employee.held', 'employee.hold_applied', 'employee.hold_dismissed'];

const attemptColumns = [
  ['Time', (a) => time(a.at)],
  ['Event', (a) => code(a.event_id)],
  ['Attempt', (a) => String(a.attempt)],
  ['Answer', (a) => (a.status === null
    ? h('span', { class: 'pill bad' }, 'no answer')
    : h('span', { class: 'pill ' + (a.status < 300 ? 'good' : 'bad') }, String(a.status)))],
  ['Took', (a) => (a.latency_ms === null || a.latency_ms === undefined ? '—' : `${a.latency_ms} ms`)],
  ['Error', (a) => a.error || h('span', { class: 'muted' }, '—')],
];

function state(e) {
  const kind = { active: 'good', disabled: 'muted-pill', failing: 'bad' }[e.state] || 'warn';
  return h('span', { class: 'pill ' + kind }, e.state);
}

export async function render(body, session, stale) {
  const status = statusLine();
  const createStatus = statusLine();
  const onceBox = h('div', { class: 'once-box' });
  const listBox = h('div', {}, loading('webhook endpoints'));
  const url = h('input', { type: 'url', name: 'url', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'https://' });
  const description = h('input', { type: 'text', name: 'description', maxlength: '200', autocomplete: 'off' });
  const boxes = TYPES.map((t) => h('input', { type: 'checkbox', name: 'event_types', value: t, id: uid('type') }));
  const types = h('fieldset', { class: 'types' },
    h('legend', {}, 'Event types (none ticked: every type)'),
    boxes.map((b) => h('div', { class: 'check' }, b, h('label', { for: b.id }, b.value))));
  const create = h('button', { type: 'submit' }, 'Add the endpoint');
  const form = h('form', { class: 'create' },
    field('URL', url, 'Where to POST each event; https:// only.'),
    field('Description (optional)', description), types, create);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const req = { url: url.value.trim() };
    if (description.value.trim()) req.description = description.value.trim();
    const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
    if (chosen.length) req.event_types = chosen;
    create.disabled = true;
    createStatus.busy('Adding the endpoint…');
    try {
      const r = await api('POST', tenantPath('/webhooks'), null, req);
      createStatus.ok(`Added ${r.url}. Verify each delivery's signature with this secret.`);
      form.reset();
      shownOnce(onceBox, { token: r.secret, what: 'Signing secret' });
      await refresh();
    } catch (e) {
      createStatus.error(e);
    } finally {
      create.disabled = false;
    }
  });

  function card(e) {
    const hid = uid('hook');
    const deliveries = h('div');
    const toggle = h('button', { type: 'button', class: e.state === 'disabled' ? 'small' : 'danger small' }, e.state === 'disabled' ? 'Enable' : (e.state === 'failing' ? 'Enable again' : 'Disable…'));
    toggle.addEventListener('click', async () => {
      const enable = e.state !== 'active';
      if (!enable) {
        const yes = await confirmAction({
          title: `Disable ${e.url}?`,
          message: ['Nothing is sent to it until you enable it again; then each employee\'s undelivered events follow, in order.'],
          confirm: 'Disable',
        });
        if (!yes) { status.ok('Nothing changed.'); return; }
      }
      status.busy(enable ? 'Enabling…' : 'Disabling…');
      try {
        await api('PATCH', tenantPath(`/webhooks/${encodeURIComponent(e.id)}`), null, { active: enable });
        status.ok(`${e.url} is ${enable ? 'enabled' : 'disabled'}.`);
        await refresh();
      } catch (err) {
        status.error(err);
      }
    });
    const rotate = h('button', { type: 'button', class: 'secondary small' }, 'Rotate the secret…');
    rotate.addEventListener('click', async () => {
      const yes = await confirmAction({
        title: 'Rotate the signing secret?',
        message: ['A new secret signs every delivery from now on; the current one also signs for 24 hours, while you update your receiver.'],
        confirm: 'Rotate', danger: false,
      });
      if (!yes) { status.ok('Nothing changed.'); return; }
      status.busy('Rotating…');
      try {
        const r = await api('POST', tenantPath(`/webhooks/${encodeURIComponent(e.id)}/rotate`), null, {});
        status.ok('The secret was rotated.');
        shownOnce(onceBox, { token: r.secret, what: 'Signing secret', after: h('p', {}, 'The previous secret also signs until ', time(r.previous_secret_valid_until), '.') });
        await refresh();
      } catch (err) {
        status.error(err);
      }
    });
    const show = h('button', { type: 'button', class: 'secondary small' }, 'Show deliveries');
    show.addEventListener('click', () => pagedTable(deliveries, {
      caption: `Deliveries to ${e.url}`, what: 'deliveries', columns: attemptColumns,
      empty: 'No delivery attempts yet.',
      load: async (cursor) => {
        const r = await api('GET', tenantPath(`/webhooks/${encodeURIComponent(e.id)}/deliveries`), { limit: 50, cursor });
        return { rows: r.attempts, next_cursor: r.next_cursor };
      },
    }));
    return h('article', { class: 'card', 'aria-labelledby': hid },
      h('h3', { id: hid, class: 'url' }, e.url),
      h('dl', { class: 'facts' },
        h('dt', {}, 'State'), h('dd', {}, state(e), ' since ', time(e.state_changed)),
        e.description ? [h('dt', {}, 'Description'), h('dd', {}, e.description)] : null,
        h('dt', {}, 'Event types'), h('dd', {}, e.event_types && e.event_types.length ? e.event_types.join(', ') : 'every type'),
        h('dt', {}, 'Undelivered events'), h('dd', {}, String(e.undelivered)),
        h('dt', {}, 'Added'), h('dd', {}, time(e.created)),
        e.previous_secret_valid_until ? [h('dt', {}, 'Previous secret signs until'), h('dd', {}, time(e.previous_secret_valid_until))] : null),
      h('div', { class: 'actions' }, show, rotate, toggle),
      deliveries);
  }

  async function refresh() {
    let r;
    try {
      r = await api('GET', tenantPath('/webhooks'));
    } catch (e) {
      fill(listBox, errorBox(e, 'webhook endpoints'));
      return;
    }
    if (stale()) return;
    fill(listBox, r.webhooks.length ? r.webhooks.map(card) : h('p', { class: 'empty' }, 'No webhook endpoints yet.'));
  }

  fill(body,
    h('p', {}, 'Every change to an employee (created, updated, deactivated, deleted, …) is POSTed to each endpoint, in order per employee, signed the Standard Webhooks way, and retried for 24 hours until it is answered 2xx.'),
    h('section', { 'aria-labelledby': 'add-h' }, h('h2', { id: 'add-h' }, 'Add an endpoint'), form, createStatus.el, onceBox),
    h('section', { 'aria-labelledby': 'hooks-h' }, h('h2', { id: 'hooks-h' }, 'Endpoints'), status.el, listBox));
  await refresh();
}
