// An InfluxDB 2 dashboard template with a Flux template variable, imported,
// resolved through /api/v2/query and edited; annotations added by clicking
// and Shift+dragging on a graph.

import { test, expect, screenshot, agentData } from './fixtures';

const template = [
  {
    apiVersion: 'influxdata.com/v2alpha1',
    kind: 'Variable',
    metadata: { name: 'var-host' },
    spec: { name: 'host', type: 'query', language: 'flux', query: 'import "influxdata/influxdb/schema"\nschema.tagValues(bucket: "telegraf", tag: "host")', selected: ['web-1'] },
  },
  {
    apiVersion: 'influxdata.com/v2alpha1',
    kind: 'Dashboard',
    metadata: { name: 'hosts-v2' },
    spec: {
      name: 'Hosts (InfluxDB 2)',
      charts: [
        {
          kind: 'Xy',
          name: 'Idle CPU',
          geom: 'line',
          xPos: 0,
          yPos: 0,
          width: 12,
          height: 4,
          queries: [
            {
              query:
                'from(bucket: "telegraf") |> range(start: v.timeRangeStart, stop: v.timeRangeStop) |> filter(fn: (r) => r._measurement == "cpu" and r._field == "usage_idle" and r.host == v.host)',
            },
          ],
        },
      ],
    },
  },
];

test.beforeAll(async ({ almanac }) => {
  await almanac.write('telegraf', agentData(['web-1', 'web-2']));
});

test('import a v2 dashboard with a Flux variable, change it, annotate by clicking', async ({ page, almanac }) => {
  await page.goto('/dashboards');
  await page.getByRole('button', { name: 'Import dashboard' }).click();
  await page.getByRole('textbox', { name: 'Dashboard JSON' }).fill(JSON.stringify(template));
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByTestId('dashboard-name')).toHaveText('Hosts (InfluxDB 2)');

  // The Flux variable's values come from /api/v2/query; the chart reads it as v.host.
  const host = page.getByLabel(':host:', { exact: true });
  await expect(host.locator('option')).toHaveCount(2);
  await expect(host).toHaveValue('web-1');
  const chart = page.getByTestId('chart');
  await expect(chart.locator('.u-legend')).toContainText('host=web-1');
  await host.selectOption('web-2');
  await expect(chart.locator('.u-legend')).toContainText('host=web-2');
  await expect(chart.locator('.u-legend')).not.toContainText('host=web-1');

  // Click: an annotation at that moment.
  const over = (await chart.locator('.u-over').boundingBox())!;
  await page.mouse.click(over.x + over.width * 0.5, over.y + over.height / 2);
  const dialog = page.getByRole('dialog', { name: 'New annotation' });
  await dialog.getByLabel('Annotation text').fill('deploy 42');
  await dialog.getByRole('button', { name: 'Save annotation' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(chart).toHaveAttribute('data-annotations', '1');

  // Shift+drag: an annotation of a span (not a zoom). The annotation list
  // coming back from the server only redraws the chart; wait for it anyway so
  // the drag starts on the settled page.
  await page.waitForLoadState('networkidle');
  await page.keyboard.down('Shift');
  await page.mouse.move(over.x + over.width * 0.2, over.y + over.height / 2);
  await page.mouse.down();
  await page.mouse.move(over.x + over.width * 0.35, over.y + over.height / 2, { steps: 6 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  await dialog.getByLabel('Annotation text').fill('maintenance');
  await screenshot(page, 'annotate');
  await dialog.getByRole('button', { name: 'Save annotation' }).click();
  await expect(chart).toHaveAttribute('data-annotations', '2');
  await expect(page.getByLabel('Time range')).not.toHaveValue('custom');

  const res = await almanac.query('SELECT "text", "start_time" FROM "chronograf"."autogen"."annotations"');
  const rows: [number | string, string, number][] = res.results[0].series[0].values;
  const byText = Object.fromEntries(rows.map((r) => [r[1], r]));
  const now = Date.now();
  // The point's time is the end of the span; start_time is in nanoseconds.
  const moment = byText['deploy 42'];
  expect(Math.abs(Date.parse(String(moment[0])) - Number(moment[2]) / 1e6)).toBeLessThan(1);
  expect(Math.abs(Date.parse(String(moment[0])) - (now - 30 * 60_000))).toBeLessThan(10 * 60_000);
  const span = byText['maintenance'];
  const spanMs = Date.parse(String(span[0])) - Number(span[2]) / 1e6;
  expect(spanMs).toBeGreaterThan(5 * 60_000);
  expect(spanMs).toBeLessThan(15 * 60_000);

  // The Flux variable is editable: narrow its query, and its values follow.
  await page.getByRole('button', { name: 'Edit', exact: true }).click();
  await page.getByRole('button', { name: 'Variables' }).click();
  await expect(page.getByLabel('Variable 1 type')).toHaveValue('flux');
  const q = page.getByLabel('Variable 1 Flux query');
  await expect(q).toHaveValue(/schema\.tagValues/);
  await q.fill('import "influxdata/influxdb/schema"\nschema.tagValues(bucket: "telegraf", tag: "host") |> filter(fn: (r) => r._value == "web-1")');
  await page.getByRole('button', { name: 'Save variables' }).click();
  await expect(host.locator('option')).toHaveCount(1);
  await expect(host).toHaveValue('web-1');
  await page.reload();
  await expect(page.getByLabel(':host:', { exact: true }).locator('option')).toHaveCount(1);
});
