import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium, driven by playwright-core, with the flags this closed network needs. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      // No --user-data-dir: playwright refuses it in launch() and gives each launch a fresh temp profile.
    ],
  });
}
