// Sign in and register: one card over a wall of artwork.

import { ApiError } from '../api/client';
import * as api from '../api/queries';
import type { Plan } from '../api/types';
import { navigate, safeNext, type ScreenFactory } from '../router';
import { setAccount } from '../session';
import { paletteStyle } from '../ui/art';
import { h } from '../ui/dom';
import { showError } from '../ui/errors';

const COUNTRIES: [string, string][] = [
  ['US', 'United States'],
  ['GB', 'United Kingdom'],
  ['CA', 'Canada'],
  ['AU', 'Australia'],
  ['IE', 'Ireland'],
  ['DE', 'Germany'],
  ['FR', 'France'],
  ['ES', 'Spain'],
  ['IT', 'Italy'],
  ['NL', 'Netherlands'],
  ['SE', 'Sweden'],
  ['PT', 'Portugal'],
  ['BR', 'Brazil'],
  ['MX', 'Mexico'],
  ['AR', 'Argentina'],
  ['IN', 'India'],
  ['JP', 'Japan'],
  ['KR', 'South Korea'],
  ['ZA', 'South Africa'],
  ['NZ', 'New Zealand'],
];

// How each of the server's plans is offered, in this order: a plan added to the schema fails
// the type check until it has its card here.
const PLAN_CARDS: Record<Plan, { name: string; quality: string; price: string }> = {
  BASIC: { name: 'Basic', quality: 'HD · 720p', price: '$6.99' },
  STANDARD: { name: 'Standard', quality: 'Full HD · 1080p', price: '$15.49' },
  PREMIUM: { name: 'Premium', quality: 'Ultra HD · 4K', price: '$22.99' },
};
const PLANS = (Object.keys(PLAN_CARDS) as Plan[]).map((plan) => ({ plan, ...PLAN_CARDS[plan] }));

/** A dimmed wall of generated posters behind the form, like a streaming service's sign-in page. */
function posterWall(): HTMLElement {
  const tiles = Array.from({ length: 48 }, (_, index) =>
    h('span', { class: 'wall-tile', style: paletteStyle(`wall-${index}`) }),
  );
  return h('div', { class: 'auth-wall', 'aria-hidden': 'true' }, tiles);
}

function field(label: string, control: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  const id = control.id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('p', { class: 'field-hint', id: hintId }, hint) : null,
  );
}

function detectCountry(): string {
  const region = navigator.language.split('-')[1]?.toUpperCase();
  return COUNTRIES.some(([code]) => code === region) ? region ?? 'US' : 'US';
}

export function authScreen(mode: 'login' | 'register'): ScreenFactory {
  return ({ main, query }) => {
    document.title = mode === 'login' ? 'Sign in · Flix' : 'Join Flix';
    const next = safeNext(query.get('next'));
    const errorRegion = h('div', { class: 'alert', role: 'alert', hidden: true });
    const email = h('input', { id: 'email', type: 'email', name: 'email', autocomplete: 'email', required: true, spellcheck: 'false' });
    const password = h('input', {
      id: 'password',
      type: 'password',
      name: 'password',
      autocomplete: mode === 'login' ? 'current-password' : 'new-password',
      required: true,
      minLength: mode === 'register' ? 10 : 1,
    });
    const country = h(
      'select',
      { id: 'country', name: 'country', required: true },
      COUNTRIES.map(([code, name]) => h('option', { value: code }, name)),
    );
    country.value = detectCountry();
    const planChoices = h(
      'fieldset',
      { class: 'plans' },
      h('legend', null, 'Choose a plan'),
      PLANS.map(({ plan, name, quality, price }) =>
        h(
          'label',
          { class: 'plan' },
          h('input', { type: 'radio', name: 'plan', value: plan, checked: plan === 'STANDARD' }),
          h(
            'span',
            { class: 'plan-card' },
            h('span', { class: 'plan-name' }, name),
            h('span', { class: 'plan-quality' }, quality),
            h('span', { class: 'plan-price' }, `${price}/mo`),
          ),
        ),
      ),
    );
    const submit = h('button', { class: 'button button-accent button-block', type: 'submit' }, mode === 'login' ? 'Sign In' : 'Start watching');
    const form = h(
      'form',
      { class: 'auth-form', novalidate: true },
      errorRegion,
      field('Email', email),
      field('Password', password, mode === 'register' ? 'At least 10 characters; not a common password or your email.' : undefined),
      mode === 'register' ? field('Country', country) : null,
      mode === 'register' ? planChoices : null,
      submit,
    );
    const switchLink =
      mode === 'login'
        ? h('p', { class: 'auth-switch' }, 'New to Flix? ', h('a', { href: `/register${next ? `?next=${encodeURIComponent(next)}` : ''}` }, 'Sign up now'), '.')
        : h('p', { class: 'auth-switch' }, 'Already have an account? ', h('a', { href: `/login${next ? `?next=${encodeURIComponent(next)}` : ''}` }, 'Sign in'), '.');

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      showError(errorRegion, null);
      const problem = validate(mode, email, password);
      if (problem) {
        showError(errorRegion, new ApiError('BAD_USER_INPUT', problem.message));
        problem.control.focus();
        return;
      }
      submit.disabled = true;
      submit.textContent = mode === 'login' ? 'Signing in…' : 'Creating your account…';
      try {
        const account =
          mode === 'login'
            ? await api.login(email.value.trim(), password.value)
            : await api.register({
                email: email.value.trim(),
                password: password.value,
                country: country.value,
                plan: (form.querySelector<HTMLInputElement>('input[name=plan]:checked')?.value ?? 'STANDARD') as Plan,
              });
        setAccount(account);
        const target = next ?? '/';
        navigate(account.activeProfile ? target : `/profiles?next=${encodeURIComponent(target)}`, { replace: true });
      } catch (error) {
        showError(errorRegion, error);
        errorRegion.focus();
        submit.disabled = false;
        submit.textContent = mode === 'login' ? 'Sign In' : 'Start watching';
        if (error instanceof ApiError && error.code === 'RATE_LIMITED' && error.retryAfterSeconds) {
          countdown(submit, error.retryAfterSeconds, mode);
        }
      }
    });

    errorRegion.tabIndex = -1;
    main.replaceChildren(
      h(
        'div',
        { class: 'auth' },
        posterWall(),
        h('a', { class: 'logo logo-large', href: '/', 'aria-label': 'Flix home' }, 'FLIX'),
        h(
          'section',
          { class: 'auth-card', 'aria-labelledby': 'auth-title' },
          h('h1', { id: 'auth-title' }, mode === 'login' ? 'Sign In' : 'Create your account'),
          mode === 'register' ? h('p', { class: 'auth-lead' }, 'Unlimited films and series. Cancel anytime.') : null,
          form,
          switchLink,
        ),
      ),
    );
    email.focus();
  };
}

/** Keep the button disabled while the server's rate limit lasts, counting down. */
function countdown(button: HTMLButtonElement, seconds: number, mode: 'login' | 'register'): void {
  let left = seconds;
  button.disabled = true;
  const label = mode === 'login' ? 'Sign In' : 'Start watching';
  const tick = () => {
    if (!button.isConnected) return;
    if (left <= 0) {
      button.disabled = false;
      button.textContent = label;
      return;
    }
    button.textContent = `${label} (${left}s)`;
    left -= 1;
    window.setTimeout(tick, 1000);
  };
  tick();
}

function validate(
  mode: 'login' | 'register',
  email: HTMLInputElement,
  password: HTMLInputElement,
): { message: string; control: HTMLElement } | null {
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.value.trim())) {
    email.setAttribute('aria-invalid', 'true');
    return { message: 'Please enter a valid email address.', control: email };
  }
  email.removeAttribute('aria-invalid');
  if (!password.value || (mode === 'register' && password.value.length < 10)) {
    password.setAttribute('aria-invalid', 'true');
    return {
      message: mode === 'register' ? 'Your password needs at least 10 characters.' : 'Please enter your password.',
      control: password,
    };
  }
  password.removeAttribute('aria-invalid');
  return null;
}
