/**
 * Debian's Chromium driven by playwright-core, for the browser tests. `.ci/run` installs it (`apt-get install
 * chromium`); elsewhere the tests are skipped with a message when it is missing, except under CI, where a missing
 * browser fails them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.POLICYGRAD_CHROMIUM ?? '/usr/bin/chromium';

/** True when the browser tests can run here; under CI they must. */
export function browserAvailable(): boolean {
  const available = existsSync(CHROMIUM_PATH);
  if (!available && process.env.CI) {
    throw new Error(
      `browser tests need Chromium at ${CHROMIUM_PATH} (.ci/run installs Debian's chromium package)`,
    );
  }
  if (!available) console.warn(`skipping browser tests: no Chromium at ${CHROMIUM_PATH}`);
  return available;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Playwright gives every launch a fresh temporary profile. The machine's network is closed: without these Chromium keeps trying to reach Google's services.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where screenshots and other browser-test artifacts go (kept out of git). */
export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts');
