// The console: who is signed in, the navigation between pages (#/name), and signing out.
// Each page lives in pages/NAME.js and renders itself into <main> from the admin API.

import { api, configure } from './api.js';
import { h, fill, zone } from './ui.js';

const pages = {
  provisioning: ['Employee provisioning', () => import('./pages/provisioning.js')],
  tokens: ['Tokens', () => import('./pages/tokens.js')],
  attributes: ['Custom attributes', () => import('./pages/attributes.js')],
  health: ['Attribute health', () => import('./pages/health.js')],
  activity: ['Activity', () => import('./pages/activity.js')],
  roster: ['Roster', () => import('./pages/roster.js')],
  deleted: ['Deleted employees', () => import('./pages/deleted.js')],
  guard: ['Deactivation guard', () => import('./pages/guard.js')],
  webhooks: ['Webhooks', () => import('./pages/webhooks.js')],
};

const main = document.getElementById('main');
let session = null;
let rendering = 0;

function signedOut(reason) {
  session = null;
  document.getElementById('nav').hidden = true;
  document.getElementById('logout').hidden = true;
  fill(document.getElementById('who'));
  document.title = 'Signed out · scim-edge';
  fill(main,
    h('h1', {}, 'Signed out'),
    h('p', {}, reason || 'You are not signed in.'),
    h('p', {}, 'To sign in, open the sign-in link you were sent (each link works once, for 15 minutes), or ask for a new one where you got it.'));
  main.focus();
}

function current() {
  const name = location.hash.replace(/^#\//, '');
  return pages[name] ? name : 'provisioning';
}

async function show(focus) {
  if (!session) return;
  const name = current();
  const [title, load] = pages[name];
  const mine = ++rendering;
  document.title = `${title} · scim-edge`;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.getAttribute('href') === '#/' + name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const heading = h('h1', { tabindex: '-1' }, title);
  const body = h('div', { class: 'page' }, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  fill(main, heading, body);
  if (focus) heading.focus();
  try {
    const page = await load();
    if (mine !== rendering) return;
    await page.render(body, session, () => mine !== rendering);
  } catch (e) {
    if (mine !== rendering || !session) return;
    fill(body, h('div', { class: 'error-box', role: 'alert' }, h('p', {}, e.message || String(e))));
  }
}

async function start() {
  fill(document.getElementById('footer'), zone === 'UTC' || zone === 'Etc/UTC'
    ? 'Times are shown in UTC, this browser\'s time zone.'
    : `Times are shown in this browser's time zone, ${zone}; hover over a time to see it in UTC.`);
  document.getElementById('skip').addEventListener('click', (ev) => {
    ev.preventDefault();
    (main.querySelector('h1') || main).focus();
  });
  try {
    session = await api('GET', '/session');
  } catch (e) {
    signedOut(e.status === 401 ? null : e.message);
    return;
  }
  configure(session.tenant.id, (e) => signedOut(e.message));
  fill(document.getElementById('who'), h('span', {}, session.tenant.name), ' · ', h('span', {}, session.session.email));
  const logout = document.getElementById('logout');
  logout.hidden = false;
  logout.addEventListener('click', async () => {
    logout.disabled = true;
    try {
      await api('DELETE', '/session');
      signedOut('You signed out. This browser no longer has a session.');
    } catch (e) {
      if (e.status !== 401) {
        fill(main.querySelector('.page') || main, h('p', { class: 'status error', role: 'alert' }, `Could not sign out: ${e.message}`));
      }
    } finally {
      logout.disabled = false;
    }
  });
  document.getElementById('nav').hidden = false;
  window.addEventListener('hashchange', () => {
    if (location.hash.startsWith('#/')) show(true);
  });
  show(false);
}

start();
