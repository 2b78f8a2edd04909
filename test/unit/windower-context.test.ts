// trace: 2.3, D.windower
// Context features: the related SYSTEM series aligned to the window's last slot, net load, and the US/Central
// calendar across DST changes and an ERCOT holiday.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FeatureWindow, MarketTick, TickKind } from '../../schemas/types.js';
import { centralDateOf } from '../../market/central-time.js';
import { PartitionWindower } from '../../processors/windower/windower.js';
import { centralCalendar } from '../../market/calendar.js';
import { feedTicks } from './windower-feed.js';

const HOUR = 3_600_000;
const QUARTER = 900_000;

function tick(seriesId: string, kind: TickKind, start: number, ms: number, value: number, market = 'ERCOT'): MarketTick {
  return {
    market, seriesId, pointType: seriesId === 'SYSTEM' ? 'SYSTEM' : 'HUB', kind, intervalStart: start, intervalEnd: start + ms, value,
    unit: kind.endsWith('PRICE') ? 'USD/MWh' : 'MW', source: 'test', ingestedAt: 0,
  };
}

/** The windows of `ticks` fed in order, computed at 0. */
const run = (w: PartitionWindower, ticks: MarketTick[]): FeatureWindow[] => feedTicks(w, ticks, 0);

/** Hourly DAM prices for hours [0, hours) from start. */
const prices = (start: number, hours: number): MarketTick[] =>
  Array.from({ length: hours }, (_, n) => tick('HB_NORTH', 'DAM_PRICE', start + n * HOUR, HOUR, 30 + (n % 5)));

describe('windower context features', () => {
  it('aligns SYSTEM load, wind and solar to the last slot and computes net load', () => {
    const T0 = Date.UTC(2024, 4, 6, 5); // 2024-05-06 00:00 CDT
    const w = new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: 0 });
    const ticks: MarketTick[] = [];
    const load = (q: number): number => 50_000 + 100 * q;
    const wind = (q: number): number => 10_000 + 10 * (q % 7);
    const solar = (q: number): number => 5_000 + q;
    for (let n = 0; n < 27; n++) {
      ticks.push(tick('HB_NORTH', 'DAM_PRICE', T0 + n * HOUR, HOUR, 30));
      for (let q = 4 * n; q < 4 * n + 4; q++) {
        const t = T0 + q * QUARTER;
        ticks.push(tick('SYSTEM', 'LOAD', t, QUARTER, load(q)), tick('SYSTEM', 'WIND', t, QUARTER, wind(q)));
        if (n !== 25) ticks.push(tick('SYSTEM', 'SOLAR', t, QUARTER, solar(q)));
      }
    }
    const out = run(w, ticks).filter((x) => x.seriesId === 'HB_NORTH');
    assert.equal(out.length, 3);
    const hourMean = (f: (q: number) => number, n: number): number => (f(4 * n) + f(4 * n + 1) + f(4 * n + 2) + f(4 * n + 3)) / 4;
    const first = out[0]!; // ends after hour 23
    assert.equal(first.systemLoad, hourMean(load, 23));
    assert.equal(first.wind, hourMean(wind, 23));
    assert.equal(first.solar, hourMean(solar, 23));
    assert.equal(first.netLoad, hourMean(load, 23) - hourMean(wind, 23) - hourMean(solar, 23));
    const noSolar = out[2]!; // ends after hour 25, which has no solar
    assert.equal(noSolar.solar, null);
    assert.equal(noSolar.netLoad, null);
    assert.equal(noSolar.systemLoad, hourMean(load, 25));
    // the SYSTEM series get their own windows too, in key order after HB_NORTH
    const all = run(new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: 0 }), ticks);
    assert.deepEqual(all.slice(0, 4).map((x) => `${x.seriesId}/${x.kind}`), ['HB_NORTH/DAM_PRICE', 'SYSTEM/LOAD', 'SYSTEM/SOLAR', 'SYSTEM/WIND']);
  });

  it('takes related series only from the same market, and from another partition through addRelated', () => {
    const T0 = Date.UTC(2024, 4, 6, 5);
    const w = new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: 0 });
    // related ticks before this partition's first own tick are kept
    for (let n = 0; n < 25; n++) {
      assert.equal(w.addRelated(tick('SYSTEM', 'LOAD', T0 + n * HOUR, HOUR, 1000 + n)), undefined);
      assert.equal(w.addRelated(tick('SYSTEM', 'WIND', T0 + n * HOUR, HOUR, 100 + n)), undefined);
      assert.equal(w.addRelated(tick('SYSTEM', 'SOLAR', T0 + n * HOUR, HOUR, 10 + n)), undefined);
    }
    const out = run(w, [tick('GB_X', 'DAM_PRICE', T0, HOUR, 1, 'GB'), ...prices(T0, 49)]);
    assert.ok(out.every((x) => x.seriesId !== 'SYSTEM'), 'related-only series are not emitted');
    const first = out.find((x) => x.market === 'ERCOT')!;
    assert.equal(first.windowEnd, T0 + 24 * HOUR);
    assert.equal(first.systemLoad, 1023);
    assert.equal(first.netLoad, 1023 - 123 - 33);
    const gb = out.find((x) => x.market === 'GB')!;
    assert.equal(gb.systemLoad, null);
    assert.equal(gb.netLoad, null);
  });

  it('gives the Central hour and weekday of the last slot across the DST changes', () => {
    // spring forward: 2024-03-10 02:00 CST -> 03:00 CDT (08:00 UTC)
    const spring = Date.UTC(2024, 2, 9, 6); // 2024-03-09 00:00 CST
    const w = new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: 0 });
    const out = run(w, prices(spring, 60));
    const hours = out.map((x) => x.hourOfDay);
    const atSpring = out.findIndex((x) => x.windowEnd - HOUR === Date.UTC(2024, 2, 10, 7));
    assert.deepEqual(hours.slice(atSpring, atSpring + 3), [1, 3, 4], 'local 02:00 does not exist');
    assert.equal(out[atSpring]!.dayOfWeek, 0);
    assert.equal(centralDateOf(out[atSpring]!.windowEnd - HOUR), '2024-03-10');
    // fall back: 2024-11-03 02:00 CDT -> 01:00 CST (07:00 UTC)
    const fall = Date.UTC(2024, 10, 2, 5); // 2024-11-02 00:00 CDT
    const out2 = run(new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: 0 }), prices(fall, 60));
    const atFall = out2.findIndex((x) => x.windowEnd - HOUR === Date.UTC(2024, 10, 3, 5)); // 00:00 CDT
    assert.deepEqual(out2.slice(atFall, atFall + 4).map((x) => x.hourOfDay), [0, 1, 1, 2], 'local 01:00 happens twice');
    assert.ok(out2.slice(atFall, atFall + 4).every((x) => x.dayOfWeek === 0 && !x.isHoliday));
    // every window: the hour follows Intl's America/Chicago
    const fmt = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', hourCycle: 'h23', hour: 'numeric' });
    for (const x of [...out, ...out2]) assert.equal(x.hourOfDay, Number(fmt.format(new Date(x.windowEnd - HOUR))));
  });

  it('marks ERCOT holidays in Central time (2024-07-04)', () => {
    const start = Date.UTC(2024, 6, 2, 5); // 2024-07-02 00:00 CDT
    const out = run(new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: 0 }), prices(start, 24 * 4));
    for (const x of out) {
      const date = centralDateOf(x.windowEnd - HOUR);
      assert.equal(x.isHoliday, date === '2024-07-04', `${date} ${x.hourOfDay}`);
      assert.equal(x.dayOfWeek, { '2024-07-02': 2, '2024-07-03': 3, '2024-07-04': 4, '2024-07-05': 5 }[date]);
    }
    // the holiday starts at local midnight, which is 05:00 UTC
    assert.equal(centralCalendar(Date.UTC(2024, 6, 4, 4, 59)).isHoliday, false);
    assert.deepEqual(centralCalendar(Date.UTC(2024, 6, 4, 5)), { hourOfDay: 0, dayOfWeek: 4, isHoliday: true });
    assert.deepEqual(centralCalendar(Date.UTC(2024, 10, 28, 18)), { hourOfDay: 12, dayOfWeek: 4, isHoliday: true }); // Thanksgiving
    assert.equal(centralCalendar(Date.UTC(2024, 11, 25, 6)).isHoliday, true);
  });
});
