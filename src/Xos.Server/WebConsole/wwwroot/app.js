// The console's shell: who is signed in, the navigation, and the page for the address after '#'.
import { currentSession, resume, setSession, signOut, whenSessionEnds } from './api.js';
import { h, fill, errorBox } from './ui.js';
import { signInPage } from './signin.js';
import { bucketsPage } from './buckets.js';
import { objectsPage } from './objects.js';
import { objectPage } from './object.js';
import { settingsPage } from './settings.js';
import { overviewPage, usersPage, rolesPage } from './admin.js';
import { notifyTargetsPage } from './notifications.js';
import { canUseIam } from './iam.js';
import { accessPage } from './access.js';

const main = document.getElementById('main');
let endedMessage = null;

/** '#/bucket/NAME?prefix=a/' → { parts: ['bucket', 'NAME'], query: URLSearchParams }. */
function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, q] = hash.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(q || '') };
}

export function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function showShell(session) {
  const top = document.querySelector('header.top');
  top.hidden = !session;
  for (const el of document.querySelectorAll('[data-admin]')) el.hidden = !(session && session.admin);
  for (const el of document.querySelectorAll('[data-iam]')) el.hidden = !(session && session.iam);
  if (session) {
    const who = session.temporary ? `${session.user} (temporary${session.role ? `, role ${session.role}` : ''})` : session.user;
    fill(document.getElementById('identity'), 'Signed in as ', h('strong', {}, who));
  }
}

function markNav(name) {
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// Renders can overlap (a sign-in both changes the hash and renders): only the newest fills the page, so one that ends
// late never replaces a page the user has started to use.
let renderGeneration = 0;

async function render() {
  const generation = ++renderGeneration;
  const session = currentSession();
  const { parts, query } = route();
  showShell(session);
  if (!session) {
    markNav(null);
    signInPage(main, endedMessage, () => { endedMessage = null; go('#/buckets'); render(); });
    return;
  }
  // Whether the key may use IAM is asked once a session, by the IAM API itself.
  if (session.iam === undefined) {
    session.iamCheck ??= canUseIam();
    const iam = await session.iamCheck;
    if (generation !== renderGeneration) return;
    session.iam = iam;
    showShell(session);
  }
  const page = h('div', {});
  fill(main, page);
  try {
    switch (parts[0]) {
      case 'bucket':
        markNav('buckets');
        if (parts[2] === 'settings') await settingsPage(page, parts[1]);
        else await objectsPage(page, parts[1], query.get('prefix') || '', query.get('search') || '');
        break;
      case 'object':
        markNav('buckets');
        await objectPage(page, parts[1], query.get('key') || '', query.get('tab'));
        break;
      case 'access':
        markNav('access');
        await accessPage(page, parts[1], parts[2], session);
        break;
      case 'admin':
        markNav(parts[1]);
        if (!session.admin) throw Object.assign(new Error('Only root administers users, keys and roles.'), { code: 'AccessDenied' });
        if (parts[1] === 'users') await usersPage(page);
        else if (parts[1] === 'roles') await rolesPage(page);
        else if (parts[1] === 'notify') await notifyTargetsPage(page);
        else await overviewPage(page);
        break;
      default:
        markNav('buckets');
        await bucketsPage(page);
    }
  } catch (err) {
    if (currentSession()) page.prepend(errorBox(err));
  }
  page.dataset.ready = '1';
}

whenSessionEnds((err) => {
  endedMessage = err.message;
  setSession(null);
  render();
});

document.getElementById('sign-out').addEventListener('click', async () => {
  try {
    await signOut();
  } finally {
    endedMessage = 'You have signed out.';
    location.hash = '#/signin';
    render();
  }
});

window.addEventListener('hashchange', () => { render(); main.focus(); });

(async () => {
  await resume();
  render();
})();
