// The web UI against a real server: explorer, dashboards with a template
// variable, admin, Chronograf import, hosts.

import { test, expect, screenshot, agentData } from './fixtures';

test.beforeAll(async ({ almanac }) => {
  await almanac.write('telegraf', agentData(['web-1', 'web-2']));
});

test('the UI is served at / and the APIs keep their paths', async ({ page, almanac }) => {
  const res = await page.goto('/');
  expect(res?.headers()['content-type']).toContain('text/html');
  expect((await fetch(`${almanac.url}/ping`)).status).toBe(204);
  expect((await fetch(`${almanac.url}/api/v2/no-such-route`)).status).toBe(404);
  expect((await fetch(`${almanac.url}/dashboards/any`)).status).toBe(200);
  expect((await fetch(`${almanac.url}/no/such/endpoint`)).status).toBe(404);
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
});

test('explore a measurement and see a chart', async ({ page }) => {
  await page.goto('/explorer');
  await page.getByRole('button', { name: /telegraf/ }).click();
  await page.getByRole('button', { name: /\bcpu\b/ }).click();
  await page.getByRole('checkbox', { name: /usage_idle/ }).check();
  await expect(page.getByTestId('sent-query')).toContainText('mean("usage_idle")');
  await expect(page.getByTestId('sent-query')).toContainText('GROUP BY time(5s)');
  const chart = page.getByTestId('chart');
  await expect(chart.locator('canvas')).toBeVisible();
  await expect(chart.locator('.u-legend')).toContainText('mean_usage_idle');
  await expect(page.getByTestId('timing')).toContainText('ms');
  // Group by host: one line per host.
  await page.getByRole('button', { name: /^▸ host/ }).click();
  await page.getByRole('button', { name: 'Group by host' }).click();
  await expect(chart.locator('.u-legend')).toContainText('host=web-2');
  await screenshot(page, 'explorer');

  // Zoom by dragging over the chart: the range becomes an absolute one.
  const over = (await chart.locator('.u-over').boundingBox())!;
  await page.mouse.move(over.x + over.width * 0.3, over.y + over.height / 2);
  await page.mouse.down();
  await page.mouse.move(over.x + over.width * 0.6, over.y + over.height / 2, { steps: 6 });
  await page.mouse.up();
  await expect(page.getByTestId('sent-query')).toContainText(/time > '20\d\d-/);
  await expect(page.getByLabel('Time range')).toHaveValue('custom');

  // Ctrl+drag pans: the chart follows the pointer, then the query runs for the range panned to.
  // The zoomed range's query must have finished and its chart drawn before the pan
  // (while it runs, the chart being replaced has no plot area to drag over).
  await expect(page.getByRole('status', { name: 'Running' })).toHaveCount(0);
  await expect(chart.locator('.u-over')).toBeVisible();
  const zoomed = await page.getByTestId('sent-query').textContent();
  const over2 = (await chart.locator('.u-over').boundingBox())!;
  expect(over2).not.toBeNull();
  await page.keyboard.down('Control');
  await page.mouse.move(over2.x + over2.width * 0.6, over2.y + over2.height / 2);
  await page.mouse.down();
  await page.mouse.move(over2.x + over2.width * 0.3, over2.y + over2.height / 2, { steps: 6 });
  await page.mouse.up();
  await page.keyboard.up('Control');
  await expect(page.getByTestId('sent-query')).not.toHaveText(zoomed!);
  await expect(page.getByTestId('sent-query')).toContainText(/time > '20\d\d-/);

  // Completion offers the measurement's fields first after "SELECT mean(", in the theme's colors.
  const ed = page.getByLabel('InfluxQL query');
  await ed.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.type('SELECT mean(');
  await page.keyboard.press('Control+Space');
  const options = page.locator('.cm-tooltip-autocomplete li');
  await expect(options.first()).toContainText('usage_idle');
  await expect(options.first()).toContainText('field');
  const bg = await page.locator('.cm-tooltip-autocomplete').evaluate((e) => getComputedStyle(e).backgroundColor);
  expect(bg).toBe('rgb(28, 30, 37)'); // --panel of the dark theme, not CodeMirror's light default
  await page.keyboard.press('Escape');

    // Table view and a server error with the server's message.
  await page.getByLabel('Visualization').selectOption('table');
  await expect(page.locator('table.data')).toContainText('web-1');
  const editor = page.getByLabel('InfluxQL query');
  await editor.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.type('SELECT nope( FROM cpu');
  await page.keyboard.press('Control+Enter');
  await expect(page.getByRole('alert')).toContainText(/error|expected|found/i);
});

test('build and save a dashboard with a template variable, then reload it', async ({ page }) => {
  await page.goto('/dashboards');
  await page.getByLabel('Name').fill('Web servers');
  await page.getByRole('button', { name: 'Create dashboard' }).click();
  await expect(page).toHaveURL(/\/dashboards\/[0-9a-f]+/);
  await expect(page.getByTestId('dashboard-name')).toHaveText('Web servers');

  await page.getByRole('button', { name: 'Variables' }).click();
  await page.getByRole('button', { name: 'Add variable' }).click();
  await page.getByLabel('Variable 1 name').fill('host');
  await page.getByLabel('Variable 1 type').selectOption('tagValues');
  await page.getByLabel('Variable 1 database').selectOption('telegraf');
  await page.getByLabel('Variable 1 measurement').fill('cpu');
  await page.getByLabel('Variable 1 tag key').fill('host');
  // A custom meta query lists the values of SHOW TAG VALUES.
  await page.getByRole('button', { name: 'Add variable' }).click();
  await page.getByLabel('Variable 2 name').fill('meta');
  await page.getByLabel('Variable 2 type').selectOption('influxql');
  await page.getByLabel('Variable 2 meta query').fill('SHOW TAG VALUES ON "telegraf" WITH KEY = "host"');
  await page.getByRole('button', { name: 'Save variables' }).click();
  await expect(page.getByLabel(':meta:', { exact: true }).locator('option')).toHaveText(['web-1', 'web-2']);
  const hostSelect = page.getByLabel(':host:', { exact: true });
  await expect(hostSelect.locator('option')).toHaveCount(2);
  await hostSelect.selectOption('web-2');

  await page.getByRole('button', { name: 'Add cell' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit cell' });
  await dialog.getByLabel('Title').fill('CPU of :host:');
  await dialog.getByRole('button', { name: 'Add query' }).click();
  await dialog.getByLabel('Database of query 1').selectOption('telegraf');
  const q = dialog.getByRole('textbox', { name: 'Query 1' });
  await q.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.type('SELECT mean("usage_user") FROM "cpu" WHERE "host" = :host: AND time > :dashboardTime: GROUP BY time(:interval:)');
  await dialog.getByRole('button', { name: 'Save cell' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  const cell = page.getByTestId('cell');
  await expect(cell.locator('.title')).toHaveText('CPU of web-2');
  await expect(cell.locator('canvas')).toBeVisible();
  await expect(cell.locator('.u-legend')).toContainText('cpu.mean');
  await page.getByRole('button', { name: 'Done editing' }).click();
  await screenshot(page, 'dashboard');

  // Presentation mode hides the navigation; its exit button sits in the toolbar.
  await page.getByRole('button', { name: 'Presentation mode' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
  await page.getByRole('button', { name: 'Exit presentation (Esc)' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();

  await page.reload();
  await expect(page.getByTestId('dashboard-name')).toHaveText('Web servers');
  await expect(page.getByLabel(':host:', { exact: true })).toHaveValue('web-2');
  await expect(page.getByTestId('cell').locator('.title')).toHaveText('CPU of web-2');
  await expect(page.getByTestId('cell').locator('canvas')).toBeVisible();

  // Rename and clone from the list.
  await page.goto('/dashboards');
  // Other specs may have made dashboards on the same server: use this one's row.
  await page
    .getByRole('row')
    .filter({ has: page.getByRole('link', { name: 'Web servers', exact: true }) })
    .getByRole('button', { name: 'Clone' })
    .click();
  await expect(page.getByRole('link', { name: 'Web servers (clone)' })).toBeVisible();
});

test('create a database and a user in Admin', async ({ page, almanac }) => {
  page.on('dialog', (d) => d.accept());
  await page.goto('/admin');
  await page.getByLabel('New database').fill('created_by_ui');
  await page.getByRole('button', { name: 'Create database' }).click();
  await expect(page.getByTestId('db-created_by_ui')).toContainText('autogen');
  await page.getByTestId('db-created_by_ui').getByRole('button', { name: 'Add retention policy' }).click();
  await page.getByRole('form', { name: 'Retention policy' }).getByLabel('Name').fill('week');
  await page.getByLabel('Duration', { exact: true }).fill('7d');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('db-created_by_ui')).toContainText('week');
  await screenshot(page, 'admin-databases');

  await page.getByRole('tab', { name: 'Users' }).click();
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password', { exact: true }).fill('s3cret!');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByTestId('user-alice')).toBeVisible();
  await page.getByTestId('user-alice').getByRole('button', { name: 'Password & grants' }).click();
  await page.getByLabel('Grant database for alice').selectOption('created_by_ui');
  await page.getByLabel('Grant privilege for alice').selectOption('READ');
  await page.getByRole('button', { name: 'Grant', exact: true }).click();
  await expect(page.getByText('created_by_ui: READ')).toBeVisible();
  await screenshot(page, 'admin-users');

  const users = await almanac.query('SHOW USERS');
  expect(JSON.stringify(users)).toContain('alice');
  const grants = await almanac.query('SHOW GRANTS FOR "alice"');
  expect(JSON.stringify(grants)).toContain('READ');
});

test('import a Chronograf dashboard JSON', async ({ page }) => {
  const exported = {
    meta: { chronografVersion: '1.9.4', sources: {} },
    dashboard: {
      id: 7,
      name: 'Imported from Chronograf',
      cells: [
        {
          i: 'a',
          x: 0,
          y: 0,
          w: 8,
          h: 4,
          name: 'Memory of :host:',
          queries: [
            {
              query: 'SELECT mean("used_percent") FROM "telegraf"."autogen"."mem" WHERE time > :dashboardTime: AND "host" = :host: GROUP BY time(:interval:)',
              queryConfig: { database: 'telegraf', retentionPolicy: 'autogen' },
              source: '',
              type: 'influxql',
            },
          ],
          axes: { y: { bounds: ['', ''], label: '', prefix: '', suffix: '%', base: '10', scale: 'linear' } },
          type: 'line',
          colors: [],
          legend: {},
        },
        {
          i: 'b',
          x: 8,
          y: 0,
          w: 4,
          h: 4,
          name: 'Load',
          queries: [{ query: 'SELECT last("load1") FROM "system" WHERE "host" = :host: AND time > :dashboardTime:', queryConfig: { database: 'telegraf' }, type: 'influxql' }],
          type: 'single-stat',
          colors: [{ id: 'base', type: 'text', hex: '#00C9FF', name: 'laser', value: '-1000000000000000000' }],
        },
        {
          i: 'c',
          x: 0,
          y: 4,
          w: 12,
          h: 3,
          name: 'Flux: memory',
          queries: [
            {
              query: 'from(bucket: "telegraf") |> range(start: v.timeRangeStart, stop: v.timeRangeStop) |> filter(fn: (r) => r._measurement == "mem") |> aggregateWindow(every: v.windowPeriod, fn: mean)',
              type: 'flux',
            },
          ],
          type: 'line',
        },
      ],
      templates: [
        {
          tempVar: ':host:',
          values: [
            { value: "'web-1'", type: 'csv', selected: true },
            { value: "'web-2'", type: 'csv', selected: false },
          ],
          id: 't',
          type: 'csv',
          label: '',
          query: { influxql: '', db: '', measurement: '', tagKey: '', fieldKey: '' },
        },
      ],
    },
  };
  await page.goto('/dashboards');
  await page.getByRole('button', { name: 'Import dashboard' }).click();
  await page.getByRole('textbox', { name: 'Dashboard JSON' }).fill(JSON.stringify(exported));
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByTestId('dashboard-name')).toHaveText('Imported from Chronograf');
  await expect(page.getByLabel(':host:', { exact: true })).toHaveValue("'web-1'");
  const cells = page.getByTestId('cell');
  await expect(cells).toHaveCount(3);
  await expect(page.getByRole('region', { name: 'Flux: memory' }).locator('.u-legend')).toContainText('mem.used_percent {host=web-1}');
  await expect(cells.first().locator('.title')).toHaveText("Memory of 'web-1'");
  await expect(cells.first().locator('canvas')).toBeVisible();
  await expect(page.getByTestId('single-stat')).toBeVisible();
  await screenshot(page, 'imported-dashboard');
  await page.reload();
  await expect(page.getByTestId('cell')).toHaveCount(3);
});

test('hosts list and a host dashboard', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/hosts');
  const row = page.getByRole('row', { name: /web-1/ });
  await expect(row).toContainText('up');
  await expect(row).toContainText('%');
  await screenshot(page, 'hosts');
  await page.getByRole('link', { name: 'web-1' }).click();
  await expect(page.getByRole('region', { name: 'CPU usage' }).locator('canvas')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Memory used' }).locator('canvas')).toBeVisible();
  await expect(page.getByRole('region', { name: 'System load' }).locator('canvas')).toBeVisible();
  // A flat series (swap at 5%) draws too: its empty y range used to throw (the page error checked below).
  const swap = page.getByRole('region', { name: 'Swap used' });
  await expect(swap.locator('.u-legend')).toContainText('swap.used_percent');
  await expect(swap.getByTestId('chart')).toHaveAttribute('data-points', /^[1-9]/);
  await screenshot(page, 'host');
  expect(errors).toEqual([]);
});

test('light theme', async ({ page }) => {
  await page.goto('/alerting');
  await expect(page.getByRole('tab', { name: 'Rules and tasks' })).toHaveAttribute('aria-selected', 'true');
  await page.getByRole('button', { name: 'Switch to light theme' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.goto('/explorer');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
});

test('logs viewer with severity filters', async ({ page, almanac }) => {
  const now = Date.now();
  const lines = [0, 1, 2, 3].map((i) => {
    const sev = i % 2 ? 'err' : 'info';
    return `syslog,severity=${sev},facility=daemon,hostname=web-1,appname=app${i} message="event number ${i}",severity_code=${i % 2 ? 3 : 6}i ${(now - (10 - i) * 60_000) * 1_000_000}`;
  });
  await almanac.write('telegraf', lines);
  await page.goto('/logs?db=telegraf');
  await expect(page.locator('table.data')).toContainText('event number 3');
  await expect(page.locator('table.data')).toContainText('event number 0');
  await expect(page.getByTestId('chart').locator('canvas')).toBeVisible();
  await page.getByRole('checkbox', { name: 'info' }).uncheck();
  await expect(page.locator('table.data')).not.toContainText('event number 0');
  await expect(page.locator('table.data')).toContainText('event number 1');
  await screenshot(page, 'logs');
  // The search applies while typing (no Enter), whatever the case.
  await page.getByLabel('Search').fill('EVENT NUMBER 3');
  await expect(page.locator('table.data')).not.toContainText('event number 1');
  await expect(page.locator('table.data')).toContainText('event number 3');
  await expect(page.getByTestId('chart').locator('.u-legend')).toContainText('err');
});

test('Flux and SQL in the explorer', async ({ page }) => {
  await page.goto('/explorer');
  await page.getByRole('radio', { name: 'Flux', exact: true }).check();
  const fluxEditor = page.getByRole('textbox', { name: 'Flux query' });
  await fluxEditor.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.type('from(bucket: "telegraf") |> range(start: -2h) |> filter(fn: (r) => r._measurement == "mem") |> aggregateWindow(every: 5m, fn: mean)');
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('chart').locator('.u-legend')).toContainText('mem.used_percent {host=web-1}');

  await page.getByRole('button', { name: /telegraf/ }).click();
  await page.getByRole('radio', { name: 'SQL', exact: true }).check();
  await page.getByRole('textbox', { name: 'SQL query' }).click();
  await page.keyboard.type('SELECT time, host, used_percent FROM mem ORDER BY time DESC LIMIT 3');
  await page.getByRole('button', { name: /^Run/ }).click();
  await page.getByLabel('Visualization').selectOption('table');
  await expect(page.locator('table.data tbody tr')).toHaveCount(3);
  await expect(page.locator('table.data thead')).toContainText('used_percent');
  // As a graph, a line per host (the rows split by their text columns).
  await page.getByLabel('Visualization').selectOption('line');
  await expect(page.getByTestId('chart').locator('.u-legend')).toContainText('used_percent {host=web-');
});

test('cells move and resize on the grid, and stay there', async ({ page }) => {
  await page.goto('/dashboards');
  await page.getByLabel('Name').fill('Grid');
  await page.getByRole('button', { name: 'Create dashboard' }).click();
  await expect(page.getByTestId('dashboard-name')).toHaveText('Grid');
  await page.getByRole('button', { name: 'Add cell' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit cell' });
  await dialog.getByLabel('Title').fill('A note');
  await dialog.getByLabel('Visualization').selectOption('note');
  await dialog.getByLabel('Note').fill('Deploys happen on Tuesdays.');
  await dialog.getByRole('button', { name: 'Save cell' }).click();
  const cell = page.getByTestId('cell');
  await expect(cell).toContainText('Deploys happen on Tuesdays.');
  const before = (await cell.boundingBox())!;

  // Drag the title bar right and down, then the corner handle to make it larger.
  const head = cell.locator('.cell-head');
  const h = (await head.boundingBox())!;
  await page.mouse.move(h.x + 40, h.y + h.height / 2);
  await page.mouse.down();
  await page.mouse.move(h.x + 40 + before.width / 2, h.y + h.height / 2 + 100, { steps: 8 });
  await page.mouse.up();
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  const moved = (await cell.boundingBox())!;
  expect(moved.x).toBeGreaterThan(before.x + 100);
  expect(moved.y).toBeGreaterThan(before.y + 50);

  const corner = (await cell.locator('.resize').boundingBox())!;
  await page.mouse.move(corner.x + 8, corner.y + 8);
  await page.mouse.down();
  await page.mouse.move(corner.x + 8 + 120, corner.y + 8 + 100, { steps: 8 });
  await page.mouse.up();
  await expect.poll(async () => (await cell.boundingBox())!.height).toBeGreaterThan(moved.height + 50);

  // Keyboard: Shift+ArrowLeft narrows the focused cell by one column.
  const wide = (await cell.boundingBox())!.width;
  await head.focus();
  await page.keyboard.press('Shift+ArrowLeft');
  await expect.poll(async () => (await cell.boundingBox())!.width).toBeLessThan(wide);

  const final = (await cell.boundingBox())!;
  await page.reload();
  await expect(page.getByTestId('cell')).toContainText('Deploys happen on Tuesdays.');
  const after = (await page.getByTestId('cell').boundingBox())!;
  expect(Math.round(after.x)).toBe(Math.round(final.x));
  expect(Math.round(after.width)).toBe(Math.round(final.width));
  expect(Math.round(after.height)).toBe(Math.round(final.height));
});

test('annotations are stored as Chronograf does and drawn on graphs', async ({ page, almanac }) => {
  // Annotations are global (as in Chronograf): start without other specs' ones.
  await almanac.query('DROP MEASUREMENT "annotations"', 'chronograf');
  const dash = {
    dashboard: {
      name: 'Annotated',
      cells: [{ x: 0, y: 0, w: 12, h: 4, name: 'Memory', queries: [{ query: 'SELECT mean("used_percent") FROM "mem" WHERE time > :dashboardTime: GROUP BY time(:interval:)', queryConfig: { database: 'telegraf' } }], type: 'line' }],
      templates: [],
    },
  };
  await page.goto('/dashboards');
  await page.getByRole('button', { name: 'Import dashboard' }).click();
  await page.getByRole('textbox', { name: 'Dashboard JSON' }).fill(JSON.stringify(dash));
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByTestId('dashboard-name')).toHaveText('Annotated');
  const chart = page.getByTestId('chart');
  await expect(chart).toHaveAttribute('data-annotations', '0');

  await page.getByRole('button', { name: /^Annotations/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Annotations' });
  await dialog.getByLabel('Text').fill('deploy v2');
  await dialog.getByRole('button', { name: 'Add annotation' }).click();
  await expect(dialog.locator('table.data')).toContainText('deploy v2');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(chart).toHaveAttribute('data-annotations', '1');
  const stored = await almanac.query('SELECT "text", "deleted" FROM "annotations"', 'chronograf');
  expect(JSON.stringify(stored)).toContain('deploy v2');

  await page.reload();
  await expect(page.getByTestId('chart')).toHaveAttribute('data-annotations', '1');
  await page.getByRole('button', { name: /^Annotations/ }).click();
  await page.getByRole('dialog', { name: 'Annotations' }).getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('dialog', { name: 'Annotations' })).toContainText('No annotations in this time range.');
  await page.getByRole('dialog', { name: 'Annotations' }).getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('chart')).toHaveAttribute('data-annotations', '0');
});

test('a chart of 8 series × 100,000 points renders and zooms', async ({ page, almanac }) => {
  test.setTimeout(120_000);
  const start = Math.floor(Date.now() / 1000) - 100_000;
  for (let s = 0; s < 8; s++) {
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(`big,s=s${s} v=${(i % 1000) + s * 100} ${(start + i) * 1_000_000_000}`);
    await almanac.write('big', lines);
  }
  await page.goto('/explorer');
  await page.getByLabel('Time range').selectOption('2d');
  await page.getByRole('button', { name: /\bbig\b/ }).first().click();
  const editor = page.getByRole('textbox', { name: 'InfluxQL query' });
  await editor.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.type('SELECT "v" FROM "big" WHERE time > :dashboardTime: AND time < :upperDashboardTime: GROUP BY "s"');
  await page.keyboard.press('Control+Enter');
  const chart = page.getByTestId('chart');
  await expect(chart.locator('.u-legend .u-series')).toHaveCount(9, { timeout: 60_000 }); // the time column + 8 series
  await expect(chart.locator('.u-legend')).toContainText('big {s=s7}');
  const points = await page.evaluate(() => (document.querySelector('[data-testid=chart]') as HTMLElement).dataset.points);
  expect(Number(points)).toBe(8 * 100_000);

  const over = (await chart.locator('.u-over').boundingBox())!;
  await page.mouse.move(over.x + over.width * 0.4, over.y + over.height / 2);
  await page.mouse.down();
  await page.mouse.move(over.x + over.width * 0.45, over.y + over.height / 2, { steps: 5 });
  await page.mouse.up();
  await expect(page.getByLabel('Time range')).toHaveValue('custom');
  await expect.poll(async () => Number(await page.evaluate(() => (document.querySelector('[data-testid=chart]') as HTMLElement).dataset.points)), { timeout: 60_000 }).toBeLessThan(8 * 100_000);
});
