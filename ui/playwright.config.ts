import { defineConfig } from '@playwright/test';

// End-to-end tests of the UI against a real `almanac server` (see e2e/fixtures.ts),
// driven by Debian's chromium: no browser is downloaded.
export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    },
    viewport: { width: 1400, height: 900 },
    colorScheme: 'dark',
    trace: 'off',
  },
});
