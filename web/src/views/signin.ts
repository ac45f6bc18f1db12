/**
 * Sign in, sign up and confirm. The local cloud has no mail: there a new account is confirmed at once with an
 * admin call (as `sluice signup` does); in AWS the user types the emailed code.
 */
import type { CognitoClient } from '../cognito';
import { isLocalCloud } from '../config';
import { errorAlert, errorMessage, h, replaceChildren } from '../dom';
import type { ViewContext } from './context';
import { pageHeading } from './parts';

const passwordPolicy = 'At least 12 characters, with upper and lower case letters, a number and a symbol.';

function field(id: string, label: string, attrs: Record<string, string | boolean>, hint?: string) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    h('input', {
      id,
      name: id,
      required: true,
      'aria-describedby': hint ? `${id}-hint` : undefined,
      ...attrs,
    }),
  );
}

/** Runs `action` with the form busy; a failure shows as an alert above the form. */
function busyForm(form: HTMLFormElement, label: string, action: () => Promise<void>) {
  const button = form.querySelector('button[type=submit]') as HTMLButtonElement;
  const idle = button.textContent ?? '';
  const errors = form.querySelector('.form-errors') as HTMLElement;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    replaceChildren(errors);
    button.disabled = true;
    button.textContent = label;
    action()
      .catch((error: unknown) => replaceChildren(errors, errorAlert(errorMessage(error))))
      .finally(() => {
        button.disabled = false;
        button.textContent = idle;
      });
  });
}

const valueOf = (form: HTMLFormElement, name: string) =>
  (form.elements.namedItem(name) as HTMLInputElement).value;

export function renderSignIn(main: HTMLElement, ctx: ViewContext, cognito: CognitoClient): void {
  function signInForm(notice?: string) {
    const form = h(
      'form',
      { class: 'card narrow' },
      pageHeading('Sign in to Sluice'),
      notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
      h('div', { class: 'form-errors' }),
      field('email', 'Email', { type: 'email', autocomplete: 'username' }),
      field('password', 'Password', { type: 'password', autocomplete: 'current-password' }),
      h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
      h(
        'p',
        { class: 'switch' },
        'No account yet? ',
        h('button', { type: 'button', class: 'link', onclick: () => show(signUpForm()) }, 'Create one'),
      ),
    );
    busyForm(form, 'Signing in…', async () => {
      await ctx.auth.signIn(valueOf(form, 'email').trim(), valueOf(form, 'password'));
    });
    return form;
  }

  function signUpForm() {
    const form = h(
      'form',
      { class: 'card narrow' },
      pageHeading('Create a Sluice account'),
      h('div', { class: 'form-errors' }),
      field('email', 'Email', { type: 'email', autocomplete: 'username' }),
      field('password', 'Password', { type: 'password', autocomplete: 'new-password' }, passwordPolicy),
      h('button', { type: 'submit', class: 'primary' }, 'Create account'),
      h(
        'p',
        { class: 'switch' },
        'Have an account? ',
        h('button', { type: 'button', class: 'link', onclick: () => show(signInForm()) }, 'Sign in'),
      ),
    );
    busyForm(form, 'Creating the account…', async () => {
      const email = valueOf(form, 'email').trim();
      const password = valueOf(form, 'password');
      const { confirmed } = await cognito.signUp(email, password);
      if (!confirmed && !isLocalCloud(ctx.config)) return show(confirmForm(email, password));
      if (!confirmed) await cognito.adminConfirmSignUp(ctx.config.userPoolId, email);
      await ctx.auth.signIn(email, password);
    });
    return form;
  }

  function confirmForm(email: string, password: string) {
    const form = h(
      'form',
      { class: 'card narrow' },
      pageHeading('Confirm your email'),
      h('p', null, `We sent a confirmation code to ${email}.`),
      h('div', { class: 'form-errors' }),
      field('code', 'Confirmation code', {
        type: 'text',
        inputmode: 'numeric',
        autocomplete: 'one-time-code',
      }),
      h('button', { type: 'submit', class: 'primary' }, 'Confirm and sign in'),
    );
    busyForm(form, 'Confirming…', async () => {
      await cognito.confirmSignUp(email, valueOf(form, 'code').trim());
      await ctx.auth.signIn(email, password);
    });
    return form;
  }

  function show(form: HTMLFormElement) {
    replaceChildren(main, form);
    (form.querySelector('h1') as HTMLElement).focus();
  }

  replaceChildren(main, signInForm());
}
