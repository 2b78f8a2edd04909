// trace: 6.2
// Issue 12 follow-up: after one scarcity spike the forecast chart's price axis still reads the normal hours. 48 hourly
// actuals of $20-60 with one hour at the $5,000 cap and a 36-hour forecast with its band, in headless Chromium against
// the real gateway and PostgreSQL (rows under a market of its own): the y scale is set by the normal hours and the
// band, the spike is marked and said under the chart, and "full range" shows it. A second series has clipped values an
// hour apart on both edges (and so spike errors on both sides of the error chart): each edge of each chart shows one
// merged marker, labels beside their triangles. A series without forecasts says it is not forecast. Screenshots are
// kept under .cache/artifacts/ (dashboard-spike.png, -full.png, -cluster.png).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPool } from '../../platform/postgres/pool.js';
import { writeForecasts } from '../../sinks/postgres/forecasts-sink.js';
import { type DashboardRig, keepScreenshot, openDashboard, startDashboardRig, stopDashboardRig } from './dashboard-browser.js';
import { config, uniqueName } from './harness.js';

const HOUR = 3_600_000;
const END = Date.UTC(2024, 7, 1, 0);
const SPIKE_HOUR = 30;
/**
 * The cluster series: two adjacent hours at the top ($5,000 and $4,100) and two at the bottom (-$250 and -$191), one
 * hour (about 24 px) apart, so their labels would collide; horizon-1 forecasts near the normal hours, so the error
 * chart has a spike's error on both sides too.
 */
const CLUSTER: Record<number, number> = { 10: -250, 11: -191, 30: 5_000, 31: 4_100 };
/** A series with market data and no forecast (LZ_NORTH in the demo). */
const UNFORECAST = 'LZ_NOFCTEST';

/** A laid-out clipped-value marker as app.js exposes it (chart-data.js layoutMarkers). */
interface Marker {
  side: string;
  label: string;
  n: number;
  labelX: number;
  align: string;
  box: [number, number];
  points: Array<{ x: number; series: string }>;
}

describe('dashboard: the price axis after a $5,000 spike', () => {
  const market = `S${uniqueName('x').slice(-8).toUpperCase()}`;
  const series = 'HB_SPIKETEST';
  const cluster = 'HB_CLUSTERTEST';
  const pool = createPool(config, 2);
  let rig: DashboardRig | undefined;

  before(async () => {
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
    const normal = (h: number) => 40 + 20 * Math.sin((2 * Math.PI * h) / 24);
    const clusterValues = starts.map((_, h) => CLUSTER[h] ?? normal(h));
    for (const [name, vs] of [[cluster, clusterValues], [UNFORECAST, starts.map((_, h) => normal(h))]] as const) {
      await pool.query(
        `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
         SELECT $1, $2, 'LOAD_ZONE', 'RT_PRICE', u.a, u.a + interval '1 hour', u.v, 'USD/MWh', 'test', now() FROM unnest($3::timestamptz[], $4::float8[]) AS u(a, v)`,
        [market, name, starts.map((t) => new Date(t)), vs],
      );
    }
    // Horizon-1 forecasts of the cluster's hours: the normal shape, off by up to $3 (so the error chart reads $±3 and
    // the cluster's hours miss by thousands), and the newest 36-hour curve.
    await writeForecasts(pool, [
      ...starts.map((t, h) => ({
        market, seriesId: cluster, kind: 'RT_PRICE' as const, modelVersion: 'spike-v1', issuedAt: t - HOUR, targetStart: t, stepMs: HOUR, unit: 'USD/MWh', inputStart: t - 25 * HOUR, inputEnd: t - HOUR,
        values: [normal(h) + 3 * Math.sin(h)], stepSources: ['lstm'],
      })),
      {
        market, seriesId: cluster, kind: 'RT_PRICE' as const, modelVersion: 'spike-v1', issuedAt: END, targetStart: END, stepMs: HOUR, unit: 'USD/MWh', inputStart: END - 24 * HOUR, inputEnd: END,
        values: curve, p10: curve.map((v, h) => v - 6 - h / 4), p90: curve.map((v, h) => v + 8 + h / 2), stepSources: curve.map(() => 'lstm'),
      },
    ]);
    rig = await startDashboardRig('sda-spike-registry-', config, { liveFeed: false });
  });

  after(() => stopDashboardRig(rig, pool, market));

  it('scales to the normal hours and the band, marks the spike, and shows it all under "full range"', async () => {
    const { page, errors } = await openDashboard(rig!.browser, rig!.gw.url, market, series);
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
    await keepScreenshot(page.locator('#forecast'), 'dashboard-spike.png', 'dashboard-spike');

    await page.locator('#full-range').check();
    const full = await read();
    assert.ok(full.y.max >= 5_000, `"full range" shows the spike: ${JSON.stringify(full.y)}`);
    assert.equal(full.note, '');
    await keepScreenshot(page.locator('#forecast'), 'dashboard-spike-full.png', 'dashboard-spike');
    await page.close();
  });

  it('merges clipped values close together on both edges into one marker each, on the price and the error chart', async () => {
    const { page, errors } = await openDashboard(rig!.browser, rig!.gw.url, market, cluster);
    // Both charts have drawn their markers (uPlot draws in a microtask after setData).
    await page.waitForFunction(() => { const m = (window as unknown as { __sdaMarkers?: Record<string, unknown[]> }).__sdaMarkers; return m?.price?.length && m?.error?.length; }, undefined, { timeout: 10_000 });
    const seen = await page.evaluate(() => {
      const w = window as unknown as {
        __sdaMarkers: Record<string, Marker[]>;
        __sdaPlot: { scales: { y: { min: number; max: number } } };
        __sdaErrPlot: { scales: { y: { min: number; max: number } } };
      };
      return { markers: w.__sdaMarkers, y: w.__sdaPlot.scales.y, err: w.__sdaErrPlot.scales.y, stats: document.querySelector('#error-stats')?.textContent ?? '' };
    });
    assert.deepEqual(errors, []);
    const summary = (ms: Marker[]) => ms.map((m) => [m.side, m.label, m.points.length]);
    // One hour apart the labels would collide: each edge shows one marker, the most extreme value and the count,
    // and keeps a triangle per value.
    assert.deepEqual(summary(seen.markers.price!), [['high', '5,000 (×2)', 2], ['low', '-250 (×2)', 2]]);
    // The error chart: forecast − actual is about -4,950 and -4,060 at the top hours, +290 and +231 at the bottom ones.
    assert.ok(seen.err.max < 20 && seen.err.min > -20, `the error axis reads the normal hours' $±3: ${JSON.stringify(seen.err)}`);
    const err = summary(seen.markers.error!);
    assert.equal(err.length, 2, JSON.stringify(err));
    assert.deepEqual(err.map((m) => [m[0], m[2]]), [['high', 2], ['low', 2]]);
    assert.match(String(err[0]![1]), /^29\d \(×2\)$/);
    assert.match(String(err[1]![1]), /^-4,9\d\d \(×2\)$/);
    // As drawn (canvas pixels, the browser's text widths): each label beside its marker's triangles, none covered.
    for (const m of [...seen.markers.price!, ...seen.markers.error!]) {
      const xs = m.points.map((p) => p.x);
      assert.ok(m.align === 'left' ? m.labelX > Math.max(...xs) : m.labelX < Math.min(...xs), `${m.label} at ${m.labelX} beside its triangles ${xs.join(', ')}`);
    }
    assert.ok(seen.y.max < 150 && seen.y.min > -50, `the price axis reads the normal hours: ${JSON.stringify(seen.y)}`);
    await keepScreenshot(page.locator('#forecast'), 'dashboard-spike-cluster.png', 'dashboard-spike');

    // "full range" shows every error too.
    await page.locator('#full-range').check();
    const fullErr = await page.evaluate(() => (window as unknown as { __sdaErrPlot: { scales: { y: { min: number; max: number } } } }).__sdaErrPlot.scales.y);
    assert.ok(fullErr.min <= -4_900, `"full range" shows the spike's error: ${JSON.stringify(fullErr)}`);

    await page.close();

    // A series with market data and no forecast says so, as GET /forecast does (a new page: the hash alone does not reload).
    const { page: plain } = await openDashboard(rig!.browser, rig!.gw.url, market, UNFORECAST);
    const stats = await plain.locator('#error-stats').textContent();
    assert.match(stats ?? '', new RegExp(`^${UNFORECAST} \\(${market}, RT_PRICE\\) is not forecast`));
    await plain.close();
  });
});
