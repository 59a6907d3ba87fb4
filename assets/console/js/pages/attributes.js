// Custom attributes: create (name, type, options, aliases), rename, change aliases and options,
// deactivate and reactivate; and for each, exactly what the IdP admin types: Okta's Variable
// name and External namespace, Entra's target attribute.

import { api, tenantPath } from '../api.js';
import { h, fill, statusLine, errorBox, loading, field, confirmAction, code, uid } from '../ui.js';

export const NAMESPACE = 'urn:ietf:params:scim:schemas:extension:peakon:2.0:User';
const TYPES = [
  ['text', 'Text'],
  ['option', 'Option (one of a list)'],
  ['date', 'Date'],
  ['number', 'Number'],
  ['employee', 'Employee (another employee\'s email, userName or id)'],
];

/** "a, b,  c" → ["a", "b", "c"] */
function list(text, sep = /[,\n]/) {
  return text.split(sep).map((s) => s.trim()).filter(Boolean);
}

function typeSelect(value) {
  return h('select', { name: 'type' }, TYPES.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

function idpFields(a) {
  return h('div', { class: 'idp' },
    h('h4', {}, 'In Okta (Profile Editor, Add Attribute)'),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Variable name'), h('dd', {}, code(a.scim_name),
        a.aliases.length ? h('span', { class: 'hint' }, ' (or an alias: ', a.aliases.join(', '), ')') : null),
      h('dt', {}, 'External name'), h('dd', {}, code(a.scim_name)),
      h('dt', {}, 'External namespace'), h('dd', {}, code(NAMESPACE))),
    h('h4', {}, 'In Microsoft Entra ID (attribute mapping, target attribute)'),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Target attribute'), h('dd', {}, code(`${NAMESPACE}:${a.scim_name}`))));
}

function card(a, refresh, status) {
  const name = h('input', { type: 'text', name: 'name', value: a.name, maxlength: '200', required: true });
  const aliases = h('input', { type: 'text', name: 'aliases', value: a.aliases.join(', '), autocomplete: 'off' });
  const options = a.type === 'option'
    ? h('textarea', { name: 'options', rows: '3' }, (a.options || []).join('\n'))
    : null;
  const save = h('button', { type: 'submit' }, 'Save changes');
  const form = h('form', { class: 'edit' },
    field('Name', name),
    field('Aliases', aliases, 'Other names your identity provider may send, separated by commas (letters, digits, _ and -, starting with a letter).'),
    options ? field('Options', options, 'One per line.') : null,
    save);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const change = {};
    if (name.value.trim() !== a.name) change.name = name.value.trim();
    const newAliases = list(aliases.value);
    if (newAliases.join('\n') !== a.aliases.join('\n')) change.aliases = newAliases;
    if (options) {
      const o = list(options.value, /\n/);
      change.options = o.length ? o : null;
    }
    save.disabled = true;
    status.busy(`Saving ${a.name}…`);
    try {
      await api('PATCH', tenantPath(`/attributes/${encodeURIComponent(a.id)}`), null, change);
      status.ok(`Saved ${change.name || a.name}.`);
      await refresh();
    } catch (e) {
      status.error(e);
    } finally {
      save.disabled = false;
    }
  });
  const toggle = h('button', { type: 'button', class: a.active ? 'danger' : '' }, a.active ? 'Deactivate…' : 'Reactivate');
  toggle.addEventListener('click', async () => {
    if (a.active) {
      const yes = await confirmAction({
        title: `Deactivate ${a.name}?`,
        message: ['Your identity provider\'s values for it are then ignored (the activity log notes each), and it is hidden from answers and /Schemas.', 'Values already stored are kept; reactivating shows them again.'],
        confirm: 'Deactivate',
      });
      if (!yes) {
        status.ok('Nothing changed.');
        return;
      }
    }
    status.busy(a.active ? 'Deactivating…' : 'Reactivating…');
    try {
      await api('PATCH', tenantPath(`/attributes/${encodeURIComponent(a.id)}`), null, { active: !a.active });
      status.ok(`${a.name} is ${a.active ? 'deactivated' : 'active again'}.`);
      await refresh();
    } catch (e) {
      status.error(e);
    }
  });
  const hid = uid('attr');
  return h('article', { class: 'card' + (a.active ? '' : ' inactive'), 'aria-labelledby': hid },
    h('h3', { id: hid }, a.name, ' ', a.active ? null : h('span', { class: 'pill warn' }, 'deactivated')),
    h('dl', { class: 'facts' },
      h('dt', {}, 'SCIM name'), h('dd', {}, code(a.scim_name)),
      h('dt', {}, 'Type'), h('dd', {}, a.type),
      a.type === 'option' ? [h('dt', {}, 'Options'), h('dd', {}, a.options && a.options.length ? a.options.join(', ') : 'any value')] : null,
      h('dt', {}, 'Aliases'), h('dd', {}, a.aliases.length ? a.aliases.join(', ') : h('span', { class: 'muted' }, 'none'))),
    idpFields(a),
    h('details', {}, h('summary', {}, `Change ${a.name}`), form, h('div', { class: 'actions' }, toggle)));
}

export async function render(body, session, stale) {
  const listBox = h('div', {}, loading('attributes'));
  const status = statusLine();
  const createStatus = statusLine();
  const name = h('input', { type: 'text', name: 'name', maxlength: '200', required: true, autocomplete: 'off' });
  const type = typeSelect('text');
  const options = h('textarea', { name: 'options', rows: '3' });
  const optionsField = field('Options (optional)', options, 'One per line. Without options, any value is accepted.');
  const aliases = h('input', { type: 'text', name: 'aliases', autocomplete: 'off' });
  const scimName = h('input', { type: 'text', name: 'scim_name', autocomplete: 'off', spellcheck: 'false', maxlength: '200' });
  const create = h('button', { type: 'submit' }, 'Create the attribute');
  const form = h('form', { class: 'create' },
    field('Name', name, 'As people read it, e.g. "Employed Since". Its SCIM name is derived from it once and never changes.'),
    field('Type', type), optionsField,
    field('Aliases (optional)', aliases, 'Other names your identity provider may send, separated by commas, e.g. EmployedSince.'),
    field('SCIM name (optional)', scimName, 'The name in SCIM, Okta and Entra (a letter, then letters, digits, _ or -). Empty: derived from the name; needed only when the name has no Latin letters, e.g. "部署".'),
    create);
  const syncOptions = () => { optionsField.hidden = type.value !== 'option'; };
  type.addEventListener('change', syncOptions);
  syncOptions();

  async function refresh() {
    const all = [];
    try {
      let cursor = null;
      do {
        const page = await api('GET', tenantPath('/attributes'), { limit: 1000, cursor });
        all.push(...page.attributes);
        cursor = page.next_cursor;
      } while (cursor);
    } catch (e) {
      fill(listBox, errorBox(e, 'attributes'));
      return;
    }
    if (stale()) return;
    fill(listBox, all.length
      ? all.map((a) => card(a, refresh, status))
      : h('p', { class: 'empty' }, 'No custom attributes yet. Create one above; your identity provider can then send it.'));
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const req = { name: name.value.trim(), type: type.value };
    if (aliases.value.trim()) req.aliases = list(aliases.value);
    if (scimName.value.trim()) req.scim_name = scimName.value.trim();
    if (type.value === 'option' && options.value.trim()) req.options = list(options.value, /\n/);
    create.disabled = true;
    createStatus.busy('Creating…');
    try {
      const a = await api('POST', tenantPath('/attributes'), null, req);
      createStatus.ok(`Created ${a.name} (SCIM name ${a.scim_name}).`);
      form.reset();
      syncOptions();
      await refresh();
    } catch (e) {
      createStatus.error(e);
    } finally {
      create.disabled = false;
    }
  });

  fill(body,
    h('p', {}, 'Attributes of your own, beyond the standard ones, in the namespace ', code(NAMESPACE), '. Each card says what to type in Okta and in Microsoft Entra ID.'),
    h('section', { 'aria-labelledby': 'create-h' }, h('h2', { id: 'create-h' }, 'Create an attribute'), form, createStatus.el),
    h('section', { 'aria-labelledby': 'attrs-h' }, h('h2', { id: 'attrs-h' }, 'Attributes'), status.el, listBox));
  await refresh();
}
