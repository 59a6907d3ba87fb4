// Attribute health: names your identity provider sent that matched no attribute (each with a
// one-click "add as alias of…"), attributes never received, and refused values.

import { api, tenantPath } from '../api.js';
import { h, fill, time, statusLine, errorBox, loading, table, code, uid } from '../ui.js';

/** Letters and digits only, lower case: "Start_Date" and "start date" compare equal. */
const squash = (s) => String(s || '').toLowerCase().replace(/[^a-z0-9]/g, '');

/** The attribute a sent name most likely meant (same letters as its name, SCIM name or an alias), else the first. */
function guess(name, attrs) {
  const n = squash(name);
  return attrs.find((a) => [a.name, a.scim_name, ...(a.aliases || [])].some((x) => squash(x) === n))
    || attrs.find((a) => n && (squash(a.name).includes(n) || n.includes(squash(a.name))))
    || attrs[0];
}

export async function render(body, session, stale) {
  const status = statusLine();
  const box = h('div', {}, loading('attribute health'));

  async function alias(u, select, button) {
    const attr = select.selectedOptions[0];
    button.disabled = true;
    status.busy(`Adding ${u.name} as an alias of ${attr.textContent}…`);
    try {
      await api('POST', tenantPath('/attribute-health/aliases'), null, { name: u.name, attribute: select.value });
      status.ok(`${u.name} is now an alias of ${attr.textContent}: your identity provider's next request with it succeeds.`);
      await refresh();
    } catch (e) {
      status.error(e);
      button.disabled = false;
    }
  }

  function fix(u, attrs) {
    if (!u.can_alias) {
      return h('span', {}, 'Cannot become an alias (an alias is a letter, then letters, digits, _ or -): change the name in your identity provider.');
    }
    if (!attrs.length) return h('span', { class: 'muted' }, 'Create an attribute first, on the Custom attributes page.');
    const id = uid('alias');
    const best = guess(u.name, attrs);
    const select = h('select', { id }, attrs.map((a) => h('option', { value: a.id, selected: a === best }, a.name)));
    const button = h('button', { type: 'button', class: 'small' }, `Add as alias`);
    button.addEventListener('click', () => alias(u, select, button));
    return h('div', { class: 'row-actions' },
      h('label', { for: id, class: 'visually-hidden' }, `Attribute that ${u.name} stands for`),
      h('span', {}, 'of'), select, button);
  }

  async function refresh() {
    let r;
    let attrs = [];
    try {
      [r, attrs] = await Promise.all([
        api('GET', tenantPath('/attribute-health')),
        api('GET', tenantPath('/attributes'), { limit: 1000 }).then((x) => x.attributes.filter((a) => a.active)),
      ]);
    } catch (e) {
      fill(box, errorBox(e, 'attribute health'));
      return;
    }
    if (stale()) return;
    fill(box,
      h('section', { 'aria-labelledby': 'unmatched-h' },
        h('h2', { id: 'unmatched-h' }, 'Names that matched no attribute'),
        h('p', {}, 'Your identity provider sent these under ', code(r.extension), '; each of those requests was refused. Add the name as an alias of the attribute it means, and the next request succeeds.'),
        table('Names that matched no attribute', [
          ['Name', (u) => code(u.name)],
          ['Times sent', (u) => String(u.count)],
          ['First seen', (u) => time(u.first_seen)],
          ['Last seen', (u) => time(u.last_seen)],
          ['Client', (u) => u.client || h('span', { class: 'muted' }, '—')],
          ['Fix', (u) => fix(u, attrs)],
        ], r.unmatched, 'None: every name your identity provider sent matched an attribute.')),
      h('section', { 'aria-labelledby': 'never-h' },
        h('h2', { id: 'never-h' }, 'Attributes never received'),
        r.never_received.length
          ? h('ul', {}, r.never_received.map((a) => h('li', {}, h('strong', {}, a.name), ' (', code(a.scim_name), ')', h('p', { class: 'hint' }, a.hint))))
          : h('p', { class: 'empty' }, 'None: every active attribute has been received.')),
      h('section', { 'aria-labelledby': 'refused-h' },
        h('h2', { id: 'refused-h' }, 'Refused values'),
        table('Refused values', [
          ['Attribute', (a) => h('span', {}, a.name, ' ', code(a.scim_name))],
          ['Times refused', (a) => String(a.count)],
          ['Last refused', (a) => time(a.last_refused)],
          ['Why (as your identity provider was told)', (a) => a.reason || h('span', { class: 'muted' }, '—')],
        ], r.refused, 'None: no value was refused.')));
  }

  fill(body,
    h('p', {}, 'How your custom attributes fare with what your identity provider sends.'),
    status.el, box);
  await refresh();
}
