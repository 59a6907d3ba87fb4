// Tokens: every SCIM token of the company (label, prefix, created, last used, revoked), issue a
// new one while the old ones keep working (shown once), revoke one (with confirmation), and a
// notice while tokens of the old format remain.

import { api, tenantPath } from '../api.js';
import { h, fill, time, statusLine, errorBox, loading, field, confirmAction, table, code } from '../ui.js';
import { shownOnce } from './provisioning.js';

export async function render(body, session, stale) {
  const list = h('div', {}, loading('tokens'));
  const notice = h('div');
  const onceBox = h('div', { class: 'once-box' });
  const status = statusLine();
  const label = h('input', { type: 'text', name: 'label', maxlength: '200', autocomplete: 'off' });
  const issue = h('button', { type: 'submit' }, 'Issue a token');
  const form = h('form', { class: 'inline-form' }, field('Label (optional)', label), issue);

  async function refresh() {
    let tokens = [];
    let legacy = 0;
    try {
      let cursor = null;
      do {
        const page = await api('GET', tenantPath('/tokens'), { limit: 1000, cursor });
        tokens.push(...page.tokens);
        legacy = page.legacy_tokens || 0;
        cursor = page.next_cursor;
      } while (cursor);
    } catch (e) {
      fill(list, errorBox(e, 'tokens'));
      return;
    }
    if (stale()) return;
    fill(notice, legacy > 0
      ? h('div', { class: 'notice', role: 'note' },
        h('p', {}, h('strong', {}, `${legacy} working token${legacy === 1 ? '' : 's'} of the old format remain${legacy === 1 ? 's' : ''}.`),
          ' Issue a new token, paste it into your identity provider, check that provisioning works, then revoke the old one.'))
      : null);
    fill(list, table('Tokens', [
      ['Label', (t) => t.label || h('span', { class: 'muted' }, 'no label')],
      ['Starts with', (t) => code(t.prefix + '…')],
      ['Created', (t) => time(t.created)],
      ['Last used', (t) => time(t.last_used)],
      ['State', (t) => t.revoked
        ? h('span', {}, h('span', { class: 'pill bad' }, 'Revoked'), ' ', time(t.revoked_at))
        : h('span', {}, h('span', { class: 'pill good' }, 'Working'), t.legacy ? h('span', { class: 'pill warn' }, 'old format') : null)],
      ['', (t) => t.revoked ? null : h('button', {
        type: 'button', class: 'danger small',
        'aria-label': `Revoke the token ${t.label || t.prefix}`,
        onclick: () => revoke(t),
      }, 'Revoke…')],
    ], tokens, 'No tokens yet. Connect on the Provisioning page, or issue one here.'));
  }

  async function revoke(t) {
    const yes = await confirmAction({
      title: 'Revoke this token?',
      message: [`The token ${t.label ? '"' + t.label + '" ' : ''}starting with ${t.prefix} stops working at the next request. Whoever uses it (your identity provider) gets "401 Unauthorized".`, 'This cannot be undone.'],
      confirm: 'Revoke',
    });
    if (!yes) {
      status.ok('Nothing changed.');
      return;
    }
    status.busy('Revoking…');
    try {
      await api('DELETE', tenantPath(`/tokens/${encodeURIComponent(t.token_id)}`));
      status.ok(`Revoked the token starting with ${t.prefix}.`);
      await refresh();
    } catch (e) {
      status.error(e);
    }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    issue.disabled = true;
    status.busy('Issuing a token…');
    try {
      const r = await api('POST', tenantPath('/tokens'), null, label.value.trim() ? { label: label.value.trim() } : {});
      status.ok('A new token was issued. Older tokens keep working until you revoke them.');
      label.value = '';
      shownOnce(onceBox, { base: session.tenant.scim_base_url, token: r.token, label: r.label });
      await refresh();
    } catch (e) {
      status.error(e);
    } finally {
      issue.disabled = false;
    }
  });

  fill(body,
    notice,
    h('section', { 'aria-labelledby': 'issue-h' }, h('h2', { id: 'issue-h' }, 'Issue a token'),
      h('p', {}, 'For rotating: issue a new token, switch your identity provider to it, then revoke the old one.'),
      form, status.el, onceBox),
    h('section', { 'aria-labelledby': 'list-h' }, h('h2', { id: 'list-h' }, 'All tokens'), list));
  await refresh();
}
