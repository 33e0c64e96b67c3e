/** Sign-in: the seller API key, checked against the API, kept in this tab's sessionStorage. */
import { api, ApiError, session } from './api.js';
import { h } from './dom.js';
import { FormErrors } from './errors.js';
import { field } from './fields.js';

export function renderSignIn(main: HTMLElement, done: () => void): void {
  const key = h('input', {
    type: 'password',
    class: 'input mono',
    name: 'apiKey',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'ld_sk_…',
    'aria-required': 'true',
  });
  const submit = h(
    'button',
    { type: 'submit', class: 'button button-primary button-block' },
    'Sign in',
  );
  const summary = h('div');
  const form = h(
    'form',
    { class: 'signin-form', novalidate: true },
    summary,
    field({
      label: 'Seller API key',
      control: key,
      path: 'apiKey',
      hint: 'Kept in this browser tab only, until you sign out or close the tab.',
    }),
    submit,
  );
  const errors = new FormErrors(form, summary);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    const value = key.value.trim();
    if (value === '') {
      errors.show(
        new ApiError(400, 'validation_failed', 'Enter your API key', [
          { path: 'apiKey', message: 'Enter the API key of your seller account.' },
        ]),
      );
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      await api.checkKey(value);
      session.signIn(value);
      done();
    } catch (error) {
      submit.disabled = false;
      submit.textContent = 'Sign in';
      const refused = error instanceof ApiError && (error.status === 401 || error.status === 403);
      errors.show(
        refused
          ? new ApiError(error.status, error.code, error.message, [
              {
                path: 'apiKey',
                message:
                  error.status === 403
                    ? 'This is not a seller key. Use the API key of your seller account.'
                    : 'This API key was not accepted. Check it and try again.',
              },
            ])
          : error,
      );
    }
  });
  main.replaceChildren(
    h(
      'div',
      { class: 'signin-card' },
      h(
        'div',
        { class: 'brand brand-large' },
        h('span', { class: 'logo', 'aria-hidden': 'true' }, 'TP'),
        'Top Provider',
      ),
      h('h1', { class: 'page-title', tabindex: '-1' }, 'Notifications & Integrations'),
      h(
        'p',
        { class: 'lede' },
        'Sign in with your seller API key to manage the webhooks that deliver your leads.',
      ),
      form,
    ),
  );
  key.focus();
}
