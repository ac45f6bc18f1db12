// @ts-check
/* global document, window, location */
/** The console's entry point: configuration, hash routing, one page at a time (its polling stops on leave). */
import { h } from './dom';
import { renderExecution } from './execution-page';
import { renderHome, renderStateMachine } from './list-page';
import { homeHref, parseRoute } from './routes';
import { SfnClient } from './sfn-client';

/**
 * @typedef {object} Context
 * @property {SfnClient} sfn
 * @property {string | undefined} cdnUrl the web app, for links to a job's page
 * @property {HTMLElement} main
 * @property {(title: string) => void} setTitle
 * @property {(message: string) => void} announce says something to screen readers
 */

/** @returns {Promise<{ cdnUrl?: string, sfnPath?: string }>} */
async function loadConfig() {
  try {
    const response = await fetch('/config.json');
    return response.ok ? await response.json() : {};
  } catch {
    return {};
  }
}

async function start() {
  const config = await loadConfig();
  const main = /** @type {HTMLElement} */ (document.getElementById('main'));
  const announcer = /** @type {HTMLElement} */ (document.getElementById('announcer'));
  /** @type {Context} */
  const ctx = {
    sfn: new SfnClient(config.sfnPath ?? '/sfn'),
    cdnUrl: config.cdnUrl,
    main,
    setTitle: (title) => (document.title = `${title} · Sluice executions console (local)`),
    announce: (message) => (announcer.textContent = message),
  };
  document.getElementById('skip-link')?.addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });

  /** @type {AbortController | undefined} */
  let current;
  let firstPage = true;
  const show = () => {
    current?.abort();
    current = new AbortController();
    const route = parseRoute(location.hash);
    if (route.page === 'home') renderHome(ctx, route, current.signal);
    else if (route.page === 'stateMachine') renderStateMachine(ctx, route, current.signal);
    else if (route.page === 'execution') renderExecution(ctx, route, current.signal);
    else {
      ctx.setTitle('Not found');
      main.replaceChildren(
        h('h1', { tabindex: -1 }, 'Page not found'),
        h('p', {}, `Nothing lives at ${route.path}. `, h('a', { href: homeHref() }, 'See all executions.')),
      );
    }
    // After following a link, start reading (and tabbing) at the new page's heading.
    if (!firstPage) main.querySelector('h1')?.focus();
    firstPage = false;
  };
  window.addEventListener('hashchange', show);
  show();
}

void start();
