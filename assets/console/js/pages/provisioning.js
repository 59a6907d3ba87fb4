// Employee provisioning: whether the company's identity provider is connected, whether the
// operator suspended the tenant, the IdP's last request; connect (the SCIM URL and a new token,
// shown once, with where each goes in Okta and Entra) and disconnect.
//
// The token lives only in this page's DOM while it is shown: never in storage, the URL or the
// history; leaving the page or "Hide the token" drops it.

import { api, tenantPath } from '../api.js';
import { h, fill, time, statusLine, errorBox, loading, field, confirmAction, copyable } from '../ui.js';

/** The connection's state: GET .../connection (each token's last request and client, refused writes of the last 24 hours). */
async function connection() {
  return api('GET', tenantPath('/connection'));
}

function write(w, none) {
  if (!w) return h('span', { class: 'muted' }, none);
  return h('span', {}, time(w.at), ` · ${w.operation} · ${w.status}`, w.client ? ` · ${w.client}` : '',
    w.detail ? h('span', { class: 'hint block' }, w.detail) : null);
}

function stateList(session, c) {
  const suspended = session.tenant.suspended;
  const live = c.tokens.filter((t) => !t.revoked).length;
  const errors = c.errors_24h;
  return h('dl', { class: 'facts' },
    h('dt', {}, 'Connection'),
    h('dd', { id: 'connection-state' }, live
      ? h('span', { class: 'pill good' }, `Connected (${live} working token${live === 1 ? '' : 's'})`)
      : h('span', { class: 'pill warn' }, 'Not connected')),
    h('dt', {}, 'Suspension'),
    h('dd', {}, suspended
      ? h('span', { class: 'pill bad' }, 'Suspended by the operator: your identity provider\'s requests are refused until the suspension is lifted')
      : 'Not suspended'),
    h('dt', {}, 'Last request from your identity provider'),
    h('dd', { id: 'last-request' }, c.last_request
      ? h('span', {}, time(c.last_request.at), c.last_request.client ? ` · ${c.last_request.client}` : '')
      : h('span', { class: 'muted' }, 'none yet')),
    h('dt', {}, 'Refused writes, last 24 hours'),
    h('dd', {}, errors.total
      ? h('span', { class: 'pill bad' }, `${errors.total}: ` + errors.by_status.map((e) => `${e.count} × ${e.status}`).join(', '))
      : 'none'),
    h('dt', {}, 'Last successful write'),
    h('dd', {}, write(c.last_success, 'none yet')),
    h('dt', {}, 'Last refused write'),
    h('dd', {}, write(c.last_error, 'none')));
}

function instructions() {
  return h('div', { class: 'where' },
    h('section', { 'aria-labelledby': 'okta-h' },
      h('h3', { id: 'okta-h' }, 'In Okta'),
      h('ol', {},
        h('li', {}, 'Open your SCIM app, tab ', h('strong', {}, 'Provisioning'), ', and choose ', h('strong', {}, 'Configure API Integration'), '.'),
        h('li', {}, 'Tick ', h('strong', {}, 'Enable API integration'), '.'),
        h('li', {}, 'Paste the SCIM URL as ', h('strong', {}, 'Base URL'), ' (where Okta asks for it) and the token as ', h('strong', {}, 'API token'), '.'),
        h('li', {}, h('strong', {}, 'Test API Credentials'), ', then ', h('strong', {}, 'Save'), '. Under ', h('strong', {}, 'To App'), ', enable Create Users, Update User Attributes and Deactivate Users.'))),
    h('section', { 'aria-labelledby': 'entra-h' },
      h('h3', { id: 'entra-h' }, 'In Microsoft Entra ID'),
      h('ol', {},
        h('li', {}, 'Open the enterprise application, ', h('strong', {}, 'Provisioning'), ', and set ', h('strong', {}, 'Provisioning Mode'), ' to ', h('strong', {}, 'Automatic'), '.'),
        h('li', {}, 'Under ', h('strong', {}, 'Admin Credentials'), ', paste the SCIM URL as ', h('strong', {}, 'Tenant URL'), ' and the token as ', h('strong', {}, 'Secret Token'), '.'),
        h('li', {}, h('strong', {}, 'Test Connection'), ', then ', h('strong', {}, 'Save'), '.'))));
}

/**
 * A secret shown once (a connect's or an issued token, a webhook signing secret), with copy
 * buttons: never stored, gone when hidden or when the page is left.
 */
export function shownOnce(box, { base, token, label, what = 'Token', after }) {
  const thing = what.toLowerCase();
  const hide = h('button', { type: 'button', class: 'secondary' }, `Hide the ${thing}`);
  const panel = h('section', { class: 'once', 'aria-labelledby': 'once-h', tabindex: '-1' },
    h('h2', { id: 'once-h' }, base ? 'Copy these now' : 'Copy this now'),
    h('p', { class: 'warning' }, h('strong', {}, `The ${thing} is shown only this once.`),
      ' It is not stored in this browser and cannot be shown again; if you lose it, issue a new one.'),
    base ? copyable('SCIM URL', base) : null,
    copyable(what, token, { secret: true }),
    label ? h('p', { class: 'hint' }, 'Label: ', label) : null,
    after,
    h('div', { class: 'actions' }, hide));
  hide.addEventListener('click', () => {
    fill(box, h('p', { role: 'status' }, `The ${thing} was hidden. It can no longer be shown.`));
  });
  fill(box, panel);
  panel.focus();
}

export async function render(body, session, stale) {
  const state = h('div', {}, loading('the connection'));
  const onceBox = h('div', { class: 'once-box' });
  const connectStatus = statusLine();
  const label = h('input', { type: 'text', name: 'label', maxlength: '200', autocomplete: 'off', placeholder: 'e.g. Okta production' });
  const connectButton = h('button', { type: 'submit' }, 'Connect: issue a token');
  const connectForm = h('form', { class: 'inline-form', 'aria-labelledby': 'connect-h' },
    field('Label for the token (optional)', label, 'Helps you tell tokens apart later on the Tokens page.'),
    connectButton);
  const disconnectStatus = statusLine();
  const disconnect = h('button', { type: 'button', class: 'danger' }, 'Disconnect…');

  async function refresh() {
    try {
      const c = await connection();
      if (stale()) return;
      fill(state, stateList(session, c));
    } catch (e) {
      fill(state, errorBox(e, 'the connection'));
    }
  }

  connectForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    connectButton.disabled = true;
    connectStatus.busy('Issuing a token…');
    try {
      const r = await api('POST', tenantPath('/connect'), null, label.value.trim() ? { label: label.value.trim() } : {});
      connectStatus.ok('Connected: a new token was issued. Older tokens keep working.');
      label.value = '';
      shownOnce(onceBox, { base: r.scim_base_url, token: r.token, label: r.label, after: instructions() });
      refresh();
    } catch (e) {
      connectStatus.error(e);
    } finally {
      connectButton.disabled = false;
    }
  });

  disconnect.addEventListener('click', async () => {
    const yes = await confirmAction({
      title: 'Disconnect your identity provider?',
      message: [
        'Every token is revoked: your identity provider\'s next request fails, and employees stop being provisioned.',
        'Employees already here stay. Connecting again issues a new token; the revoked ones never work again.',
      ],
      confirm: 'Disconnect',
    });
    if (!yes) {
      disconnectStatus.ok('Nothing changed.');
      return;
    }
    disconnect.disabled = true;
    disconnectStatus.busy('Disconnecting…');
    try {
      const r = await api('POST', tenantPath('/disconnect'), null, {});
      disconnectStatus.ok(`Disconnected: ${r.revoked} token${r.revoked === 1 ? '' : 's'} revoked.`);
      fill(onceBox);
      refresh();
    } catch (e) {
      disconnectStatus.error(e);
    } finally {
      disconnect.disabled = false;
    }
  });

  fill(body,
    h('section', { 'aria-labelledby': 'state-h' }, h('h2', { id: 'state-h' }, 'State'), state),
    h('section', { 'aria-labelledby': 'connect-h' },
      h('h2', { id: 'connect-h' }, 'Connect'),
      h('p', {}, 'Gives you the SCIM URL and a new token to paste into Okta or Microsoft Entra ID. Tokens issued before keep working until you revoke them.'),
      connectForm, connectStatus.el, onceBox),
    h('section', { 'aria-labelledby': 'disconnect-h' },
      h('h2', { id: 'disconnect-h' }, 'Disconnect'),
      h('p', {}, 'Revokes every token at once. This is not a suspension: you can connect again later.'),
      disconnect, disconnectStatus.el));
  await refresh();
}
