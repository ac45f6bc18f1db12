/**
 * The Sluice web app: reads config.json, signs in against Cognito, then routes by hash to the jobs, upload,
 * events and schemas views.
 */
import './styles.css';
import { createApi } from './api';
import { createCognitoClient } from './cognito';
import { cognitoEndpointOf, loadConfig, type AppConfig } from './config';
import { errorAlert, errorMessage, h, replaceChildren } from './dom';
import { parseRoute, sectionOf, type Route } from './routes';
import { createAuth } from './session';
import type { ViewContext } from './views/context';
import { renderEvents } from './views/events';
import { renderJob } from './views/job';
import { renderJobs } from './views/jobs';
import { pageHeading } from './views/parts';
import { renderSchemas } from './views/schemas';
import { renderSignIn } from './views/signin';
import { renderUpload } from './views/upload';

const titles: Record<Route['name'], string> = {
  jobs: 'Jobs',
  job: 'Job',
  upload: 'Upload',
  events: 'Events',
  schemas: 'Schemas',
  notFound: 'Not found',
};

const navItems = [
  ['jobs', 'Jobs'],
  ['upload', 'Upload'],
  ['events', 'Events'],
  ['schemas', 'Schemas'],
] as const;

function start(root: HTMLElement, config: AppConfig): void {
  const cognito = createCognitoClient(cognitoEndpointOf(config), config.userPoolClientId);
  const auth = createAuth(cognito, sessionStorage);
  const announcer = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const announce = (message: string) => {
    announcer.textContent = '';
    // A fresh text node after a tick makes screen readers repeat an identical message.
    setTimeout(() => (announcer.textContent = message), 50);
  };
  const api = createApi(config.apiUrl, auth, undefined, {
    onRetry: (seconds) => announce(`Too many requests for your account right now: retrying in ${seconds} s.`),
  });
  const ctx: ViewContext = { config, api, auth, announce };
  const main = h('main', { id: 'main', tabindex: -1 });
  let leave: (() => void) | undefined;
  let rendered = false;

  function header(route: Route) {
    const current = sectionOf(route);
    return h(
      'header',
      { class: 'top' },
      h('a', { class: 'brand', href: '#/jobs' }, 'Sluice'),
      h(
        'nav',
        { 'aria-label': 'Main' },
        navItems.map(([name, label]) =>
          h('a', { href: `#/${name}`, 'aria-current': name === current ? 'page' : undefined }, label),
        ),
      ),
      h(
        'div',
        { class: 'user' },
        h('span', { class: 'username' }, auth.session?.username ?? ''),
        h('button', { type: 'button', onclick: () => void auth.signOut() }, 'Sign out'),
      ),
    );
  }

  const skipLink = h(
    'a',
    {
      class: 'skip-link',
      href: '#main',
      // The hash is the router's: move focus without navigating.
      onclick: (event: Event) => {
        event.preventDefault();
        main.focus();
      },
    },
    'Skip to content',
  );

  function render(): void {
    leave?.();
    leave = undefined;
    const route = parseRoute(location.hash);
    if (!auth.session) {
      document.title = 'Sign in · Sluice';
      replaceChildren(
        root,
        h('header', { class: 'top' }, h('span', { class: 'brand' }, 'Sluice')),
        main,
        announcer,
      );
      renderSignIn(main, ctx, cognito);
    } else {
      document.title = `${titles[route.name]} · Sluice`;
      replaceChildren(root, skipLink, header(route), main, announcer);
      const cleanup = renderRoute(route);
      leave = typeof cleanup === 'function' ? cleanup : undefined;
    }
    // On navigation (not the first paint), start screen readers and the keyboard at the new page's heading.
    if (rendered) (main.querySelector('h1') ?? main).focus();
    rendered = true;
  }

  function renderRoute(route: Route) {
    switch (route.name) {
      case 'jobs':
        return renderJobs(main, route, ctx);
      case 'job':
        return renderJob(main, route, ctx);
      case 'upload':
        return renderUpload(main, route, ctx);
      case 'events':
        return renderEvents(main, route, ctx);
      case 'schemas':
        return renderSchemas(main, route, ctx);
      case 'notFound':
        replaceChildren(
          main,
          pageHeading('Page not found'),
          h(
            'p',
            null,
            'Nothing lives at ',
            h('code', null, route.path),
            '. ',
            h('a', { href: '#/jobs' }, 'Go to the jobs'),
          ),
        );
    }
  }

  window.addEventListener('hashchange', render);
  auth.onChange(render);
  render();
}

const root = document.getElementById('app')!;
loadConfig()
  .then((config) => start(root, config))
  .catch((error: unknown) =>
    replaceChildren(
      root,
      h('main', { id: 'main' }, pageHeading('Sluice cannot start'), errorAlert(errorMessage(error))),
    ),
  );
