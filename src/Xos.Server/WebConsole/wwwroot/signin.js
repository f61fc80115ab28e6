// Sign-in: an access key and its secret (and, for temporary credentials, the session token), sent once.
import { signIn } from './api.js';
import { h, fill, field, input, showError } from './ui.js';

export function signInPage(main, message, signedIn) {
  const accessKey = input({ name: 'accessKey', autocomplete: 'username', required: true });
  const secret = input({ name: 'secretKey', type: 'password', autocomplete: 'current-password', required: true });
  const token = h('textarea', { name: 'sessionToken', rows: 3, spellcheck: 'false' });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'panel', 'aria-labelledby': 'signin-title' },
    message ? h('div', { class: 'notice', role: 'status' }, message) : null,
    field('Access key', accessKey),
    field('Secret key', secret),
    h('details', {}, h('summary', {}, 'Temporary credentials (STS)'), field('Session token', token, 'Only for keys from AssumeRole or GetSessionToken.')),
    h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    button.disabled = true;
    try {
      await signIn(accessKey.value.trim(), secret.value, token.value.trim());
      secret.value = '';
      signedIn();
    } catch (err) {
      secret.value = '';
      showError(form, err);
      secret.focus();
    } finally {
      button.disabled = false;
    }
  });
  fill(main, h('div', { class: 'signin' }, h('h1', { id: 'signin-title' }, 'Sign in to XOS'), form,
    h('p', { class: 'muted' }, 'Your secret goes to the server once; the browser keeps only a session cookie it cannot read.')));
  (accessKey.value ? secret : accessKey).focus();
}
