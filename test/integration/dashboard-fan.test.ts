// trace: 6.2
// The forecast chart's fan: the newest 36-hour forecast drawn with its P10-P90 band (uPlot band between the P10 and
// P90 series), in headless Chromium against the real gateway and PostgreSQL (rows under a market of its own).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { projectRoot } from '../../platform/config.js';
import { type RunningGateway, startGateway } from '../../gateway/server.js';
import { writeForecasts } from '../../sinks/postgres/forecasts-sink.js';
import { createPool } from '../../platform/postgres/pool.js';
import { config, uniqueName } from './harness.js';

const HOUR = 3_600_000;
const END = Date.UTC(2024, 7, 1, 0);
const CHROMIUM = '/usr/bin/chromium';

describe('dashboard: the newest forecast as a P10-P90 fan', () => {
  const market = `F${uniqueName('x').slice(-8).toUpperCase()}`;
  const series = 'HB_FANTEST';
  const pool = createPool(config, 2);
  let registry: string;
  let gw: RunningGateway;
  let browser: Browser;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: bootstrap.sh --test installs Debian's chromium`);
    // 24 hourly actuals up to END, and one 36-hour forecast from END with a band widening with the horizon.
    const starts = Array.from({ length: 24 }, (_, h) => END - (24 - h) * HOUR);
    await pool.query(
      `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
       SELECT $1, $2, 'HUB', 'RT_PRICE', u.a, u.a + interval '1 hour', u.v, 'USD/MWh', 'test', now() FROM unnest($3::timestamptz[], $4::float8[]) AS u(a, v)`,
      [market, series, starts.map((t) => new Date(t)), starts.map((_, h) => 30 + h)],
    );
    const values = Array.from({ length: 36 }, (_, h) => 50 + h);
    await writeForecasts(pool, [{
      market, seriesId: series, kind: 'RT_PRICE', modelVersion: 'fan-v1', issuedAt: END, targetStart: END, stepMs: HOUR, unit: 'USD/MWh', inputStart: END - 24 * HOUR, inputEnd: END,
      values, p10: values.map((v, h) => v - 2 - h / 4), p90: values.map((v, h) => v + 3 + h / 2), stepSources: values.map(() => 'lstm'),
    }]);
    registry = await mkdtemp(path.join(os.tmpdir(), 'sda-fan-registry-'));
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

  it('draws P10 and P90 around the newest curve and fills the band between them', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${gw.url}/#market=${market}&series=${series}`);
    await page.waitForFunction(() => (window as unknown as { __sdaFirstData?: number }).__sdaFirstData !== undefined, undefined, { timeout: 30_000 });
    const plot = await page.evaluate(() => {
      const p = (window as unknown as { __sdaPlot: { data: Array<Array<number | null>>; series: Array<{ label?: string }>; bands?: Array<{ series: number[] }> } }).__sdaPlot;
      return { data: p.data, labels: p.series.map((s) => s.label), bands: (p.bands ?? []).map((b) => b.series) };
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(plot.labels.slice(5), ['newest forecast P10', 'newest forecast P90']);
    assert.deepEqual(plot.bands, [[6, 5]], 'a band from the P90 series down to the P10 series');
    const [x, , , curve, , p10, p90] = plot.data;
    const idx = x!.map((_, i) => i).filter((i) => curve![i] !== null);
    assert.equal(idx.length, 36, 'the whole 36-hour curve');
    for (const i of idx) {
      assert.ok(p10![i] !== null && p90![i] !== null, `band at ${x![i]}`);
      assert.ok(p10![i]! <= curve![i]! && curve![i]! <= p90![i]!, `P10 <= P50 <= P90 at ${x![i]}`);
    }
    assert.equal(p90![idx[35]!]! - p10![idx[35]!]!, 5 + 35 * 0.75, 'the last hour\'s band as stored');
    const dir = path.join(projectRoot(), '.cache', 'artifacts');
    await mkdir(dir, { recursive: true });
    const shot = path.join(dir, 'dashboard-fan.png');
    await page.locator('#plot').screenshot({ path: shot });
    console.log(`dashboard-fan: screenshot ${shot}`);
    await page.close();
  });
});
