// trace: 6.2
// Issue 12 follow-up: after one scarcity spike the forecast chart's price axis still reads the normal hours. 48 hourly
// actuals of $20-60 with one hour at the $5,000 cap and a 36-hour forecast with its band, in headless Chromium against
// the real gateway and PostgreSQL (rows under a market of its own): the y scale is set by the normal hours and the
// band, the spike is marked and said under the chart, and "full range" shows it. Screenshots of both views are kept
// under .cache/artifacts/.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { type RunningGateway, startGateway } from '../../gateway/server.js';
import { projectRoot } from '../../platform/config.js';
import { createPool } from '../../platform/postgres/pool.js';
import { writeForecasts } from '../../sinks/postgres/forecasts-sink.js';
import { config, uniqueName } from './harness.js';

const HOUR = 3_600_000;
const END = Date.UTC(2024, 7, 1, 0);
const CHROMIUM = '/usr/bin/chromium';
const SPIKE_HOUR = 30;

describe('dashboard: the price axis after a $5,000 spike', () => {
  const market = `S${uniqueName('x').slice(-8).toUpperCase()}`;
  const series = 'HB_SPIKETEST';
  const pool = createPool(config, 2);
  let registry: string;
  let gw: RunningGateway;
  let browser: Browser;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: bootstrap.sh --test installs Debian's chromium`);
    const starts = Array.from({ length: 48 }, (_, h) => END - (48 - h) * HOUR);
    const values = starts.map((_, h) => (h === SPIKE_HOUR ? 5_000 : 40 + 20 * Math.sin((2 * Math.PI * h) / 24)));
    await pool.query(
      `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
       SELECT $1, $2, 'HUB', 'RT_PRICE', u.a, u.a + interval '1 hour', u.v, 'USD/MWh', 'test', now() FROM unnest($3::timestamptz[], $4::float8[]) AS u(a, v)`,
      [market, series, starts.map((t) => new Date(t)), values],
    );
    const curve = Array.from({ length: 36 }, (_, h) => 45 + 15 * Math.sin((2 * Math.PI * h) / 24));
    await writeForecasts(pool, [{
      market, seriesId: series, kind: 'RT_PRICE', modelVersion: 'spike-v1', issuedAt: END, targetStart: END, stepMs: HOUR, unit: 'USD/MWh', inputStart: END - 24 * HOUR, inputEnd: END,
      values: curve, p10: curve.map((v, h) => v - 6 - h / 4), p90: curve.map((v, h) => v + 8 + h / 2), stepSources: curve.map(() => 'lstm'),
    }]);
    registry = await mkdtemp(path.join(os.tmpdir(), 'sda-spike-registry-'));
    gw = await startGateway(config, { port: 0, registryDir: registry, liveFeed: false });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  after(async () => {
    await browser?.close();
    await gw?.close();
    await pool.query('DELETE FROM market_data WHERE market = $1', [market]);
    await pool.query('DELETE FROM forecasts WHERE market = $1', [market]);
    await pool.end();
    if (registry) await rm(registry, { recursive: true, force: true });
  });

  it('scales to the normal hours and the band, marks the spike, and shows it all under "full range"', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${gw.url}/#market=${market}&series=${series}`);
    await page.waitForFunction(() => (window as unknown as { __sdaFirstData?: number }).__sdaFirstData !== undefined, undefined, { timeout: 30_000 });
    const read = () =>
      page.evaluate(() => {
        const w = window as unknown as { __sdaPlot: { scales: { y: { min: number; max: number } } }; __sdaPriceRange?: { clipped: Array<{ v: number; side: string; series: string }> } };
        return { y: { min: w.__sdaPlot.scales.y.min, max: w.__sdaPlot.scales.y.max }, clipped: w.__sdaPriceRange?.clipped ?? null, note: document.querySelector('#range-note')?.textContent ?? '' };
      });
    const robust = await read();
    assert.deepEqual(errors, []);
    assert.ok(robust.y.max < 150 && robust.y.min >= 0, `the axis reads the $20-60 hours and the band: ${JSON.stringify(robust.y)}`);
    assert.deepEqual(robust.clipped?.map((c) => [c.series, c.v, c.side]), [['actual', 5_000, 'high']]);
    assert.match(robust.note, /^1 above the price axis \(up to 5,000\.00 USD\/MWh\), each marked with its value/);
    const dir = path.join(projectRoot(), '.cache', 'artifacts');
    await mkdir(dir, { recursive: true });
    const shot = path.join(dir, 'dashboard-spike.png');
    await page.locator('#forecast').screenshot({ path: shot });
    console.log(`dashboard-spike: screenshot ${shot}`);

    await page.locator('#full-range').check();
    const full = await read();
    assert.ok(full.y.max >= 5_000, `"full range" shows the spike: ${JSON.stringify(full.y)}`);
    assert.equal(full.note, '');
    const fullShot = path.join(dir, 'dashboard-spike-full.png');
    await page.locator('#forecast').screenshot({ path: fullShot });
    console.log(`dashboard-spike: screenshot ${fullShot}`);
    await page.close();
  });
});
