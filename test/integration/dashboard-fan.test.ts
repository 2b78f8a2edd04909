// trace: 6.2
// The forecast chart's fan: the newest 36-hour forecast drawn with its P10-P90 band (uPlot band between the P10 and
// P90 series), in headless Chromium against the real gateway and PostgreSQL (rows under a market of its own).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeForecasts } from '../../sinks/postgres/forecasts-sink.js';
import { createPool } from '../../platform/postgres/pool.js';
import { type DashboardRig, keepScreenshot, openDashboard, startDashboardRig, stopDashboardRig } from './dashboard-browser.js';
import { config, uniqueName } from './harness.js';

const HOUR = 3_600_000;
const END = Date.UTC(2024, 7, 1, 0);

describe('dashboard: the newest forecast as a P10-P90 fan', () => {
  const market = `F${uniqueName('x').slice(-8).toUpperCase()}`;
  const series = 'HB_FANTEST';
  const pool = createPool(config, 2);
  let rig: DashboardRig | undefined;

  before(async () => {
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
    rig = await startDashboardRig('sda-fan-registry-', config, { liveFeed: false });
  });

  after(() => stopDashboardRig(rig, pool, market));

  it('draws P10 and P90 around the newest curve and fills the band between them', async () => {
    const { page, errors } = await openDashboard(rig!.browser, rig!.gw.url, market, series);
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
    await keepScreenshot(page.locator('#plot'), 'dashboard-fan.png', 'dashboard-fan');
    await page.close();
  });
});
