/**
 * Debian's Chromium (`apt-get install chromium`) for the browser suites, driven by playwright-core, which never
 * downloads a browser. Without it the suites are reported as skipped, with the install command in their name.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const executablePath = '/usr/bin/chromium';
export const hasChromium = existsSync(executablePath);
export const screenshotsDir = join('test-artifacts', 'screenshots');

/** The suite's name, saying how to get it run when it is skipped. */
export const browserSuite = (name: string): string =>
  hasChromium
    ? `${name} in Chromium`
    : `${name} (skipped: install Chromium with \`apt-get install chromium\`)`;

export function launchChromium(): Promise<Browser> {
  mkdirSync(screenshotsDir, { recursive: true });
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}
