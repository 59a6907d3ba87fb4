// Employee provisioning: whether the company's identity provider is connected, whether the
// operator suspended the tenant, the IdP's last request; connect (the SCIM URL and a new token,
// shown once, with where each goes in Okta and Entra) and disconnect.
//
// The token lives only in this page's DOM while it is shown: never in storage, the URL or the
// history; leaving the page or "Hide the token" drops it.

import { api, tenantPath } from '../api.js';
import { h, fill, time, statusLine, errorBox, loading, field, confirmAction, copyable } from '../ui.js';

/** The connection's state: from GET .../connection when the server has it, else from the tokens. */
async function connection() {
  const tokens = [];
  let cursor = null;
  do {
    const page = await api('GET', tenantPath('/tokens'), { limit: 1000, cursor });
    tokens.push(...page.tokens);
    cursor = page.next_cursor;
  } while (cursor);
  const live = tokens.filter((t) => !t.revoked);
  const used = tokens.map((t) => t.last_used).filter(Boolean).sort();
  return { connected: live.length > 0, live_tokens: live.length, last_request: used.length ? used[used.length - 1] : null };
}

function stateList(session, c) {
  const suspended = session.tenant.suspended;
  return h('dl', { class: 'facts' },
    h('dt', {}, 'Connection'),
    h('dd', { id: 'connection-state' }, c.connected
      ? h('span', { class: 'pill good' }, `Connected (${c.live_tokens} working token${c.live_tokens === 1 ? '' : 's'})`)
      : h('span', { class: 'pill warn' }, 'Not connected')),
    h('dt', {}, 'Suspension'),
    h('dd', {}, suspended
      ? h('span', { class: 'pill bad' }, 'Suspended by the operator: your identity provider\'s requests are refused until the suspension is lifted')
      : 'Not suspended'),
    h('dt', {}, 'Last request from your identity provider'),
    h('dd', {}, time(c.last_request, 'none yet')));
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

/** The result of a connect or an issued token: shown once, with copy buttons. */
export function shownOnce(box, { base, token, label }, after) {
  const hide = h('button', { type: 'button', class: 'secondary' }, 'Hide the token');
  const panel = h('section', { class: 'once', 'aria-labelledby': 'once-h', tabindex: '-1' },
    h('h2', { id: 'once-h' }, 'Copy these now'),
    h('p', { class: 'warning' }, h('strong', {}, 'The token is shown only this once.'),
      ' It is not stored in this browser and cannot be shown again; if you lose it, issue a new one.'),
    base ? copyable('SCIM URL', base) : null,
    copyable('Token', token, { secret: true }),
    label ? h('p', { class: 'hint' }, 'Label: ', label) : null,
    after,
    h('div', { class: 'actions' }, hide));
  hide.addEventListener('click', () => {
    fill(box, h('p', { role: 'status' }, 'The token was hidden. It can no longer be shown.'));
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
      shownOnce(onceBox, { base: r.scim_base_url, token: r.token, label: r.label }, instructions());
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
