import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where a Chromium is looked for when AOS_CHROMIUM does not name one (the Debian package first). */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/**
 * The Chromium the browser tests drive: AOS_CHROMIUM when set, else the system package. A missing
 * browser fails the test (it is never skipped): `bash scripts/test-servers.sh` installs it.
 */
export function findChromium(): string {
  const configured = process.env.AOS_CHROMIUM;
  if (configured) {
    if (!existsSync(configured))
      throw new Error(
        `AOS_CHROMIUM=${configured}: no such file (unset it to use the one \`bash scripts/test-servers.sh\` installs)`,
      );
    return configured;
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      `No Chromium found (looked for ${CANDIDATES.join(', ')}): run \`bash scripts/test-servers.sh\` ` +
        'to install the Debian package `chromium`, or set AOS_CHROMIUM to a Chromium executable',
    );
  }
  return found;
}

/** Headless Chromium with nothing in the background (no updates, sync or network of its own). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
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
