// trace: 6.2
// Fresh tester's findings on the dashboard's charts: the dispatch chart drew the last hour (HE 24) as a lone point and
// its x axis ended an hour before the state-of-charge chart's (04:00Z vs 05:00Z); the dispatch panel wrote raw ISO
// times ("issued 2024-06-21T04:00:00.000Z") and the hover legends unrounded values without a unit ("25.745").
// gateway/public/dispatch-chart.js and chart-data.js (the browser modules, loaded here as served) now give the columns
// and the one formatter; the page modules must use them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';

interface Interval { start: string; end: string; price: number; p10: number | null; p90: number | null; chargeMw: number; dischargeMw: number; socMwh: number }
type Columns = { price: Array<Array<number | null>>; soc: number[][]; x: [number, number] } | null;
interface Modules {
  dispatchColumns(plan: { intervals: Interval[]; initialSocMwh: number }): Columns;
  mwRange(plan: unknown): [number, number] | null;
  startText(plan: unknown): string;
  valueText(v: number | null | undefined, unit?: string, digits?: number): string;
  secondsText(ts: number | null | undefined): string;
}

const HOUR = 3_600;
/** A 24-hour plan of the Central day 2024-06-21 (05:00Z to 05:00Z): charge 10 MW in hour 3, discharge in hour 24. */
function plan(): { intervals: Interval[]; initialSocMwh: number } {
  const t0 = Date.UTC(2024, 5, 21, 5) / 1000;
  const intervals = Array.from({ length: 24 }, (_, h) => ({
    start: new Date((t0 + h * HOUR) * 1000).toISOString(),
    end: new Date((t0 + (h + 1) * HOUR) * 1000).toISOString(),
    price: 20 + h, p10: 15 + h, p90: 30 + h,
    chargeMw: h === 2 ? 10 : 0, dischargeMw: h === 23 ? 9 : 0,
    socMwh: h < 2 ? 5 : h < 23 ? 14.5 : 5,
  }));
  return { intervals, initialSocMwh: 5 };
}

describe('dashboard dispatch charts and the one value formatter', () => {
  let m: Modules;
  before(async () => {
    const root = path.join(projectRoot(), 'gateway', 'public');
    m = {
      ...((await import(pathToFileURL(path.join(root, 'dispatch-chart.js')).href)) as Pick<Modules, 'dispatchColumns' | 'mwRange' | 'startText'>),
      ...((await import(pathToFileURL(path.join(root, 'chart-data.js')).href)) as Omit<Modules, 'dispatchColumns' | 'mwRange' | 'startText'>),
    };
  });

  it('draws HE 24 as a step to the day\'s end, and both charts span the same [first start, last end]', () => {
    const c = m.dispatchColumns(plan())!;
    const t0 = Date.UTC(2024, 5, 21, 5) / 1000;
    const end = t0 + 24 * HOUR;
    assert.deepEqual(c.x, [t0, end]);
    const [x, p50, p10, p90, net] = c.price;
    assert.equal(x!.length, 25, '24 interval starts and the last interval\'s end');
    assert.equal(x!.at(-1), end, 'the price axis reaches 05:00Z, as the state of charge does');
    assert.equal(c.soc[0]!.at(-1), end);
    assert.equal(c.soc[0]![0], x![0]);
    // The extra point repeats HE 24, so the stepped path holds it over the hour instead of ending at its start.
    assert.deepEqual([p50!.at(-2), p50!.at(-1)], [43, 43]);
    assert.deepEqual([p10!.at(-1), p90!.at(-1)], [38, 53]);
    assert.deepEqual([net!.at(-2), net!.at(-1)], [9, 9], 'the last hour\'s discharge is drawn over the whole hour');
    assert.equal(net![2], -10, 'charging is negative net power');
    assert.deepEqual(c.soc[1]!.slice(0, 4), [5, 5, 5, 14.5], 'state of charge from the initial state at the first start');
    assert.equal(m.dispatchColumns({ intervals: [], initialSocMwh: 0 }), null);
  });

  it("scales the MW axis to +-the battery's power, a no-trade plan too (fresh tester: 0-100 for a 10 MW battery)", () => {
    assert.deepEqual(m.mwRange({ asset: { powerMw: 10 }, intervals: [] }), [-10, 10]);
    assert.deepEqual(m.mwRange({ asset: { powerMw: 37.5 } }), [-37.5, 37.5]);
    for (const bad of [{}, { asset: {} }, { asset: { powerMw: 0 } }, { asset: { powerMw: Number.NaN } }, null]) assert.equal(m.mwRange(bad), null, JSON.stringify(bad));
    const panel = fs.readFileSync(path.join(projectRoot(), 'gateway', 'public', 'dispatch-panel.js'), 'utf8');
    assert.match(panel, /mw: mwRange\(plan\) \? \{ range: \(\) => mwRange\(plan\) \}/, 'the panel sets the MW scale from it');
    assert.doesNotMatch(panel, /mw: \{ auto: true \} \}/);
  });

  it('states where the plan starts and, for an ad-hoc battery, whose settings it has', () => {
    assert.equal(
      m.startText({ initialSocMwh: 19, initialSocSource: "the live dispatcher's schedule on forecast v7 issued 2024-07-01T23:00:00.000Z, at 2024-07-02T05:00:00.000Z", adHocSettings: null }),
      "starts at 19 MWh (the live dispatcher's schedule on forecast v7 issued 2024-07-01T23:00:00.000Z, at 2024-07-02T05:00:00.000Z)",
    );
    const adHoc = {
      initialSocMwh: 5.55, initialSocSource: 'an ad-hoc battery, which follows no live dispatcher schedule, so its initial state of charge setting, 5%',
      asset: { roundTripEfficiency: 0.85 },
      adHocSettings: { from: 'bess-north', reason: 'the first configured battery; none is configured at HB_SOUTH', efficiencyGiven: false, settings: { roundTripEfficiency: 0.85, minSoc: 0.05, maxSoc: 0.95, initialSoc: 0.05, dailyCycleLimit: 2, degradationCostPerMwh: 2 } },
    };
    assert.equal(
      m.startText(adHoc),
      'starts at 5.6 MWh (an ad-hoc battery, which follows no live dispatcher schedule, so its initial state of charge setting, 5%); settings of bess-north (the first configured battery; none is configured at HB_SOUTH): round-trip efficiency 85%, state of charge 5% to 95%, starting at 5%, at most 2 cycles a day, degradation cost $2/MWh',
    );
    const given = { ...adHoc, asset: { roundTripEfficiency: 1 }, adHocSettings: { ...adHoc.adHocSettings, efficiencyGiven: true, settings: { minSoc: 0, maxSoc: 1, initialSoc: 0, dailyCycleLimit: null, degradationCostPerMwh: 0 } } };
    assert.match(m.startText(given), /: state of charge 0% to 100%, starting at 0%, no daily cycle limit, degradation cost \$0\/MWh; round-trip efficiency 100% as given$/);
    assert.equal(m.startText({}), '');
    const panel = fs.readFileSync(path.join(projectRoot(), 'gateway', 'public', 'dispatch-panel.js'), 'utf8');
    assert.match(panel, /; \$\{startText\(body\)\}\./, 'the summary says it');
  });

  it('writes hover values rounded with their unit and chart times as the page does', () => {
    assert.equal(m.valueText(25.745, '$/MWh'), '25.75 $/MWh');
    assert.equal(m.valueText(-1234.5, 'USD/MWh'), '-1,234.50 USD/MWh');
    assert.equal(m.valueText(-0.004, 'MW'), '0.00 MW', 'no "-0.00"');
    assert.equal(m.valueText(9.96, 'MWh', 1), '10.0 MWh');
    assert.equal(m.valueText(null, 'MW'), '–');
    assert.equal(m.valueText(Number.NaN, 'MW'), '–');
    assert.equal(m.valueText(3, ''), '3.00');
    assert.equal(m.secondsText(Date.UTC(2024, 5, 21, 9) / 1000), '2024-06-21 09:00Z');
    assert.equal(m.secondsText(null), '–');
  });

  it('the page modules use them: no raw ISO time in the dispatch summary, a formatter on every hover value', () => {
    const root = path.join(projectRoot(), 'gateway', 'public');
    const panel = fs.readFileSync(path.join(root, 'dispatch-panel.js'), 'utf8');
    const app = fs.readFileSync(path.join(root, 'app.js'), 'utf8');
    assert.match(panel, /dispatchColumns\(plan\)/);
    assert.match(panel, /issued \$\{utcText\(body\.forecast\.issuedAt\)\}/);
    assert.doesNotMatch(panel, /issued \$\{body\.forecast\.issuedAt\}/);
    // Every drawn uPlot series (a `{ label: ..., stroke: ... }`) of both modules carries a value formatter, and the time too.
    for (const [name, src] of [['dispatch-panel.js', panel], ['app.js', app]] as const) {
      const series = src.split('\n').filter((line) => /\{ label: .*stroke: /.test(line));
      assert.ok(series.length >= 4, `${name} defines its series`);
      for (const s of series) assert.match(s, /value: /, `${name}: ${s}`);
    }
    assert.match(panel, /label: 'time \(UTC\)', value: \(_u, ts\) => secondsText\(ts\)/);
    assert.equal(app.match(/\{ label: 'time \(UTC\)', value: hoverTime \}/g)?.length, 2, 'both forecast charts write hover times');
  });
});
