import type { SluiceApi } from '../api';
import type { AppConfig } from '../config';
import type { Auth } from '../session';

export interface ViewContext {
  config: AppConfig;
  api: SluiceApi;
  auth: Auth;
  /** Says something to screen readers without moving focus. */
  announce(message: string): void;
}

/** Renders into `main`; may return a function that stops the view's timers when it is left. */
export type View<R> = (main: HTMLElement, route: R, ctx: ViewContext) => void | (() => void);
