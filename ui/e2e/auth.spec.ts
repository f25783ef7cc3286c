// The login page of a server with authentication enabled.

import { test as base, expect } from '@playwright/test';
import { startAlmanac, type Almanac } from './fixtures';

const test = base.extend<{}, { secured: Almanac }>({
  secured: [
    async ({}, use) => {
      const { server, stop } = await startAlmanac(['--auth-enabled', 'true']);
      // The first admin may be created without credentials (as InfluxDB allows).
      await server.query(`CREATE USER "admin" WITH PASSWORD 'pa55word' WITH ALL PRIVILEGES`);
      await use(server);
      await stop();
    },
    { scope: 'worker' },
  ],
  baseURL: async ({ secured }, use) => use(secured.url),
});

test('login page, credentials never in URLs', async ({ page }) => {
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  await page.goto('/admin');
  await expect(page.getByRole('heading', { name: 'Sign in to Almanac' })).toBeVisible();
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await page.getByLabel('Password').fill('pa55word');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Admin' })).toBeVisible();
  await page.getByRole('tab', { name: 'Users' }).click();
  await expect(page.getByTestId('user-admin')).toBeVisible();
  expect(urls.filter((u) => u.includes('pa55word') || u.includes('p=') || u.includes('u=admin'))).toEqual([]);
  await page.getByRole('button', { name: /Sign out/ }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Almanac' })).toBeVisible();
});
