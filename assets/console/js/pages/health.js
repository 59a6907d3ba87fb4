// Attribute health: names your identity provider sent that matched no attribute (each with a
// one-click "add as alias of…"), attributes never received, and refused values.

import { api, tenantPath } from '../api.js';
import { h, fill, statusLine, errorBox, loading } from '../ui.js';

export async function render(body, session, stale) {
  const status = statusLine();
  const box = h('div', {}, loading('attribute health'));
  async function refresh() {
    let r;
    try {
      r = await api('GET', tenantPath('/attribute-health'));
    } catch (e) {
      fill(box, e.status === 404 && e.code === 'not_found' && /endpoint/i.test(e.message)
        ? h('p', { class: 'empty' }, 'Attribute health is not available on this server yet.')
        : errorBox(e, 'attribute health'));
      return;
    }
    if (stale()) return;
    fill(box, h('pre', {}, JSON.stringify(r, null, 2)));
  }
  fill(body, status.el, box);
  await refresh();
}
