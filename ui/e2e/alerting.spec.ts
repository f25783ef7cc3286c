// The alerting screens against the server's Kapacitor API: a threshold rule
// made in the builder, listed, firing into the alert history, disabled; a
// TICKscript error shown inline in the editor.

import { test, expect, screenshot, agentData } from './fixtures';

test.beforeAll(async ({ almanac }) => {
  // A clean slate: no tasks from other files that shared this server.
  const r = await fetch(`${almanac.url}/kapacitor/v1/tasks`);
  for (const t of (await r.json()).tasks ?? []) await fetch(`${almanac.url}/kapacitor/v1/tasks/${encodeURIComponent(t.id)}`, { method: 'DELETE' });
  await almanac.write('telegraf', agentData(['web-1', 'web-2'], 10));
});

test('build a threshold rule, see it fire in the history, disable it', async ({ page, almanac }) => {
  await page.goto('/alerting');
  await expect(page.getByTestId('alerting-empty')).toContainText('No alert rules yet');
  await page.getByRole('button', { name: 'New alert rule' }).click();
  await expect(page).toHaveURL(/\/alerting\/rules\/new$/);

  await page.getByLabel('Rule name').fill('CPU busy');
  await page.getByLabel('Database', { exact: true }).selectOption('telegraf');
  await page.getByLabel('Measurement', { exact: true }).selectOption('cpu');
  await page.getByLabel('Field', { exact: true }).selectOption('usage_user');
  await page.getByLabel('Group by host').check();
  await page.getByLabel('Value', { exact: true }).fill('90');
  const preview = page.getByTestId('rule-tickscript');
  await expect(preview).toContainText(`var groupBy = ['host']`);
  await expect(preview).toContainText('.crit(lambda: "value" > crit)');
  await expect(preview).toContainText("var outputMeasurement = 'alerts'");
  await screenshot(page, 'alerting-rule-builder');
  await page.getByRole('button', { name: 'Create rule' }).click();

  await expect(page).toHaveURL(/\/alerting$/);
  const row = page.getByTestId('task-row').filter({ hasText: 'CPU busy' });
  await expect(row).toContainText('threshold rule');
  await expect(row.getByLabel('Enabled cpu_busy')).toBeChecked();
  await expect(row).toContainText('running');

  // Points crossing the threshold: web-1 fires and recovers, web-2 stays critical.
  const ns = (ms: number) => `${ms * 1_000_000}`;
  const now = Date.now();
  await almanac.write('telegraf', [`cpu,host=web-1,cpu=cpu-total usage_user=97 ${ns(now - 2000)}`, `cpu,host=web-2,cpu=cpu-total usage_user=95 ${ns(now - 2000)}`]);
  await almanac.write('telegraf', [`cpu,host=web-1,cpu=cpu-total usage_user=5 ${ns(now - 1000)}`]);
  await expect
    .poll(async () => JSON.stringify(await almanac.query('SELECT count("value") FROM "chronograf"."autogen"."alerts"')))
    .toMatch(/,3\]\]/);

  await page.reload();
  await expect(page.getByRole('table', { name: 'Active alerts' })).toContainText('CPU busy:host=web-2');
  await screenshot(page, 'alerting');

  await page.getByRole('tab', { name: 'Alert history' }).click();
  await expect(page).toHaveURL(/\/alerting\/history$/);
  const history = page.getByRole('table', { name: 'Alert history' });
  await expect(history.getByTestId('history-row')).toHaveCount(3);
  await expect(history).toContainText('CPU busy:host=web-1');
  await expect(history).toContainText('OK');
  await expect(history).toContainText('CRITICAL');
  const timeline = page.getByTestId('alert-timeline');
  await expect(timeline.locator('rect[data-level="CRITICAL"]')).toHaveCount(2);
  await expect(timeline.locator('rect[data-level="OK"]')).toHaveCount(1);
  await page.getByLabel('Level filter').selectOption('OK');
  await expect(history.getByTestId('history-row')).toHaveCount(1);
  await page.getByLabel('Level filter').selectOption('');
  await screenshot(page, 'alerting-history');

  // Disable from the list.
  await page.getByRole('tab', { name: 'Rules and tasks' }).click();
  // The switch follows the task's stored status, so it flips once the PATCH is answered.
  await page.getByLabel('Enabled cpu_busy').click();
  await expect(page.getByLabel('Enabled cpu_busy')).not.toBeChecked();
  await expect(page.getByTestId('task-row').filter({ hasText: 'CPU busy' })).toContainText('stopped');
  const task = await (await fetch(`${almanac.url}/kapacitor/v1/tasks/cpu_busy`)).json();
  expect(task.status).toBe('disabled');

  // The builder opens the rule again from its task.
  await page.getByRole('link', { name: 'CPU busy' }).click();
  await expect(page).toHaveURL(/\/alerting\/rules\/cpu_busy$/);
  await expect(page.getByLabel('Rule name')).toHaveValue('CPU busy');
  await expect(page.getByLabel('Value', { exact: true })).toHaveValue('90');
});

test('a TICKscript error is shown inline at its line and character', async ({ page, almanac }) => {
  await page.goto('/alerting/tasks/new');
  await page.getByLabel('Task id').fill('window_typo');
  await page.getByLabel('Databases and retention policies').fill('telegraf.autogen');
  const editor = page.getByRole('textbox', { name: 'TICKscript' });
  await editor.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.insertText("stream\n    |from()\n        .measurement('cpu')\n    |window()\n        .bogus(1m)\n    |mean('usage_user')\n");
  await page.getByRole('button', { name: /Save task/ }).click();
  const diag = page.getByTestId('tick-diagnostic');
  await expect(diag).toContainText('line 5 char 10: no method or property "bogus" on WindowNode');
  await expect(page.getByTestId('tick-diagnostic-mark')).toHaveText('bogus');
  // The message sits right under the line it is about.
  const line5 = page.locator('.cm-line').nth(4);
  const lineBox = (await line5.boundingBox())!;
  const diagBox = (await diag.boundingBox())!;
  expect(diagBox.y).toBeGreaterThanOrEqual(lineBox.y + lineBox.height - 1);
  expect(diagBox.y).toBeLessThan(lineBox.y + lineBox.height + 10);
  await screenshot(page, 'alerting-tickscript');
  expect((await fetch(`${almanac.url}/kapacitor/v1/tasks/window_typo`)).status).toBe(404);

  // Fixing the line clears the mark; saving creates the task.
  await page.getByTestId('tick-diagnostic-mark').dblclick();
  await page.keyboard.insertText('period');
  await expect(diag).toHaveCount(0);
  await page.getByRole('button', { name: /Save task/ }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved window_typo' })).toBeVisible();
  await expect(page).toHaveURL(/\/alerting\/tasks\/window_typo$/);
  const task = await (await fetch(`${almanac.url}/kapacitor/v1/tasks/window_typo`)).json();
  expect(task.script).toContain('.period(1m)');
});

test('typing fast into the TICKscript editor keeps every keystroke', async ({ page }) => {
  // Each keystroke used to race the editor's echo of the text and could hang the page.
  await page.goto('/alerting/tasks/new');
  const editor = page.getByRole('textbox', { name: 'TICKscript' });
  await editor.click();
  await page.keyboard.press('Control+End');
  const typed = '\n// typed quickly: every key must land\nvar x = 1\n';
  await page.keyboard.type(typed);
  await expect(editor).toContainText('// typed quickly: every key must land');
  await expect(editor).toContainText('var x = 1');
  expect(await page.evaluate(() => 1 + 1)).toBe(2);
});
