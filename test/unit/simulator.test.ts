// trace: D.sources
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MarketTick } from '../../schemas/types.js';
import { CentralClock, newCentralFields } from '../../market/calendar.js';
import { centralOffsetMs } from '../../market/central-time.js';
import { Rng } from '../../streams/simulator/prng.js';
import {
  DEFAULT_PRICE_NODES,
  OFFER_CAP,
  OFFER_FLOOR,
  SimulatorOptionError,
  seriesCatalog,
  simulateMarket,
  type SimulatorOptions,
} from '../../streams/simulator/market.js';

const QUARTER = 15 * 60_000;
const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
/** 2024-01-01 00:00 US/Central (CST). */
const YEAR_START = Date.UTC(2024, 0, 1, 6);

const central = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', hourCycle: 'h23', hour: 'numeric', month: 'numeric' });
const localCache = new Map<number, { hour: number; month: number }>();
/** Central-time hour (0-23) and month (1-12) by Intl: the reference the simulator's own arithmetic is checked against. */
function localTime(ms: number): { hour: number; month: number } {
  const key = Math.floor(ms / QUARTER);
  let v = localCache.get(key);
  if (!v) {
    const parts = central.formatToParts(new Date(ms));
    v = { hour: Number(parts.find((p) => p.type === 'hour')!.value), month: Number(parts.find((p) => p.type === 'month')!.value) };
    localCache.set(key, v);
  }
  return v;
}

const take = (opts: SimulatorOptions): MarketTick[] => [...simulateMarket(opts)];
const seriesKey = (t: Pick<MarketTick, 'seriesId' | 'kind'>): string => `${t.seriesId}/${t.kind}`;

/** One pass over a simulated year (seed 42), reduced to what the tests look at. */
interface YearSummary {
  ticks: number;
  perSeries: Map<string, number>;
  outOfRange: MarketTick[];
  solarAtNight: MarketTick[];
  westRt: number;
  westNegative: number;
  westNegativeNightSpring: number;
  northRtSummer: number;
  northRtSummerOver1000: number;
  rtOver1000: number;
  rtTotal: number;
  rtSum: Map<string, { n: number; sum: number }>;
  loadMin: number;
  loadMax: number;
  loadMaxAt: number;
}

let yearCache: YearSummary | undefined;
function simulatedYear(): YearSummary {
  if (yearCache) return yearCache;
  const y: YearSummary = {
    ticks: 0,
    perSeries: new Map(),
    outOfRange: [],
    solarAtNight: [],
    westRt: 0,
    westNegative: 0,
    westNegativeNightSpring: 0,
    northRtSummer: 0,
    northRtSummerOver1000: 0,
    rtOver1000: 0,
    rtTotal: 0,
    rtSum: new Map(),
    loadMin: Infinity,
    loadMax: -Infinity,
    loadMaxAt: 0,
  };
  for (const t of simulateMarket({ start: YEAR_START, days: 365, seed: 42 })) {
    y.ticks++;
    const key = seriesKey(t);
    y.perSeries.set(key, (y.perSeries.get(key) ?? 0) + 1);
    if (t.unit === 'USD/MWh') {
      if (!(t.value >= OFFER_FLOOR && t.value <= OFFER_CAP)) y.outOfRange.push(t);
    } else if (!(t.value >= 0)) {
      y.outOfRange.push(t);
    }
    if (t.kind === 'SOLAR' && t.value > 0) {
      const { hour } = localTime(t.intervalStart);
      if (hour >= 21 || hour < 6) y.solarAtNight.push(t);
    }
    if (t.kind === 'RT_PRICE') {
      y.rtTotal++;
      if (t.value > 1000) y.rtOver1000++;
      const s = y.rtSum.get(t.seriesId) ?? { n: 0, sum: 0 };
      s.n++;
      s.sum += t.value;
      y.rtSum.set(t.seriesId, s);
      if (t.seriesId === 'HB_WEST') {
        y.westRt++;
        if (t.value < 0) {
          y.westNegative++;
          const { hour, month } = localTime(t.intervalStart);
          if (month >= 3 && month <= 5 && hour < 6) y.westNegativeNightSpring++;
        }
      }
      if (t.seriesId === 'HB_NORTH') {
        const { month } = localTime(t.intervalStart);
        if (month >= 6 && month <= 9) {
          y.northRtSummer++;
          if (t.value > 1000) y.northRtSummerOver1000++;
        }
      }
    }
    if (t.seriesId === 'SYSTEM' && t.kind === 'LOAD') {
      y.loadMin = Math.min(y.loadMin, t.value);
      if (t.value > y.loadMax) {
        y.loadMax = t.value;
        y.loadMaxAt = t.intervalStart;
      }
    }
  }
  yearCache = y;
  return y;
}

describe('simulator: seeded random numbers', () => {
  it('repeats for a seed, differs across seeds, and has uniform and normal moments', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const sa = Array.from({ length: 5 }, () => a.nextUint32());
    assert.deepEqual(sa, Array.from({ length: 5 }, () => b.nextUint32()));
    assert.notDeepEqual(sa, Array.from({ length: 5 }, () => c.nextUint32()));
    const r = new Rng(123);
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      assert.ok(u > 0 && u < 1);
      su += u;
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    assert.ok(Math.abs(su / n - 0.5) < 0.005, `uniform mean ${su / n}`);
    assert.ok(Math.abs(sn / n) < 0.01, `normal mean ${sn / n}`);
    assert.ok(Math.abs(sn2 / n - 1) < 0.02, `normal variance ${sn2 / n}`);
  });
});

describe('simulator: US/Central time', () => {
  it('matches Intl America/Chicago every hour of 2023-2025, including DST transitions', () => {
    const clock = new CentralClock();
    const f = newCentralFields();
    for (let t = Date.UTC(2023, 0, 1); t < Date.UTC(2026, 0, 1); t += HOUR) {
      const expected = localTime(t).hour;
      clock.fields(t, f);
      assert.equal(Math.floor(f.hour), expected, new Date(t).toISOString());
      assert.equal(centralOffsetMs(t), f.offsetMs);
    }
  });

  it('switches at 2:00 local on the second Sunday of March and the first Sunday of November', () => {
    assert.equal(centralOffsetMs(Date.UTC(2024, 2, 10, 7, 59)), -6 * HOUR);
    assert.equal(centralOffsetMs(Date.UTC(2024, 2, 10, 8, 0)), -5 * HOUR);
    assert.equal(centralOffsetMs(Date.UTC(2024, 10, 3, 6, 59)), -5 * HOUR);
    assert.equal(centralOffsetMs(Date.UTC(2024, 10, 3, 7, 0)), -6 * HOUR);
  });

  it('knows weekdays and ERCOT holidays', () => {
    const clock = new CentralClock();
    const f = newCentralFields();
    const at = (y: number, m: number, d: number, h: number): { weekday: number; offDay: boolean } => {
      clock.fields(Date.UTC(y, m, d, h + 6), f); // h local, CST in these months
      return { weekday: f.weekday, offDay: f.offDay };
    };
    assert.deepEqual(at(2024, 0, 2, 12), { weekday: 2, offDay: false }); // Tuesday
    assert.deepEqual(at(2024, 0, 6, 12), { weekday: 6, offDay: true }); // Saturday
    assert.deepEqual(at(2024, 0, 1, 12), { weekday: 1, offDay: true }); // New Year's Day, a Monday
    assert.deepEqual(at(2024, 10, 28, 12), { weekday: 4, offDay: true }); // Thanksgiving
    assert.deepEqual(at(2024, 10, 29, 12), { weekday: 5, offDay: true }); // and the Friday after
  });
});

describe('simulator: stream shape', () => {
  const opts: SimulatorOptions = { start: Date.UTC(2024, 6, 1, 5), days: 2, seed: 1 };

  it('is byte-identical for a seed and different for another seed', () => {
    const a = JSON.stringify(take(opts));
    const b = JSON.stringify(take(opts));
    const c = JSON.stringify(take({ ...opts, seed: 2 }));
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  it('emits in event-time order, then in the catalog series order', () => {
    const order = new Map(seriesCatalog().map((s, i) => [seriesKey(s), i]));
    const ticks = take(opts);
    for (let i = 1; i < ticks.length; i++) {
      const p = ticks[i - 1]!;
      const t = ticks[i]!;
      assert.ok(t.intervalStart >= p.intervalStart, `tick ${i} goes back in time`);
      if (t.intervalStart === p.intervalStart) assert.ok(order.get(seriesKey(t))! > order.get(seriesKey(p))!, `tick ${i}: ${seriesKey(t)} after ${seriesKey(p)}`);
    }
  });

  it('aligns intervals: RT and SYSTEM every 15 minutes, DAM and weather zones hourly, end = start + step', () => {
    const steps = new Map(seriesCatalog().map((s) => [seriesKey(s), s]));
    const ticks = take(opts);
    for (const t of ticks) {
      const s = steps.get(seriesKey(t));
      assert.ok(s, `unexpected series ${seriesKey(t)}`);
      const step = t.kind === 'RT_PRICE' || t.pointType === 'SYSTEM' ? QUARTER : HOUR;
      assert.equal(s.stepMs, step);
      assert.equal(t.intervalStart % step, 0);
      assert.equal(t.intervalEnd, t.intervalStart + step);
      assert.equal(t.ingestedAt, t.intervalEnd);
      assert.equal(t.market, 'ERCOT');
      assert.equal(t.source, 'simulator');
      assert.equal(t.unit, t.kind.endsWith('_PRICE') ? 'USD/MWh' : 'MW');
      assert.equal(t.unit, s.unit);
      assert.equal(t.pointType, s.pointType);
      assert.ok(t.intervalStart >= opts.start && t.intervalStart < opts.start + 2 * DAY);
    }
    // Every series every step: 2 days.
    const count = new Map<string, number>();
    for (const t of ticks) count.set(seriesKey(t), (count.get(seriesKey(t)) ?? 0) + 1);
    for (const s of seriesCatalog()) assert.equal(count.get(seriesKey(s)), (2 * DAY) / s.stepMs, seriesKey(s));
  });

  it('lists 29 series by default: 3 SYSTEM, 8 weather zones, RT and DAM for 5 hubs and 4 load zones', () => {
    const c = seriesCatalog();
    assert.equal(c.length, 29);
    assert.deepEqual(DEFAULT_PRICE_NODES, ['HB_NORTH', 'HB_SOUTH', 'HB_WEST', 'HB_HOUSTON', 'HB_PAN', 'LZ_NORTH', 'LZ_SOUTH', 'LZ_WEST', 'LZ_HOUSTON']);
    assert.deepEqual(c.slice(0, 3).map((s) => `${s.seriesId}:${s.kind}`), ['SYSTEM:LOAD', 'SYSTEM:WIND', 'SYSTEM:SOLAR']);
    assert.equal(c.filter((s) => s.pointType === 'WEATHER_ZONE').length, 8);
    assert.equal(c.filter((s) => s.kind === 'RT_PRICE').length, 9);
    assert.equal(c.filter((s) => s.kind === 'DAM_PRICE').length, 9);
  });

  it('filters nodes without changing their values, and can leave the SYSTEM series out', () => {
    const all = take(opts);
    const some = take({ ...opts, nodes: ['LZ_HOUSTON', 'HB_WEST'], includeSystem: false });
    assert.deepEqual(new Set(some.map(seriesKey)), new Set(['HB_WEST/RT_PRICE', 'HB_WEST/DAM_PRICE', 'LZ_HOUSTON/RT_PRICE', 'LZ_HOUSTON/DAM_PRICE']));
    const wanted = new Set(['HB_WEST', 'LZ_HOUSTON']);
    assert.deepEqual(some, all.filter((t) => wanted.has(t.seriesId)));
    assert.deepEqual(seriesCatalog({ nodes: ['LZ_HOUSTON', 'HB_WEST'], includeSystem: false }).map(seriesKey), [
      'HB_WEST/RT_PRICE',
      'LZ_HOUSTON/RT_PRICE',
      'HB_WEST/DAM_PRICE',
      'LZ_HOUSTON/DAM_PRICE',
    ]);
    assert.equal(take({ ...opts, nodes: [] }).filter((t) => t.kind.endsWith('_PRICE')).length, 0);
  });

  it('starts at any quarter hour: hourly series begin at the next full hour', () => {
    const start = Date.UTC(2024, 6, 1, 5, 45);
    const ticks = take({ start, days: 1, seed: 3, nodes: ['HB_NORTH'] });
    assert.equal(ticks[0]!.intervalStart, start);
    const dam = ticks.filter((t) => t.kind === 'DAM_PRICE');
    assert.equal(dam.length, 24);
    assert.equal(dam[0]!.intervalStart, Date.UTC(2024, 6, 1, 6));
    assert.equal(ticks.filter((t) => t.kind === 'RT_PRICE').length, 96);
  });

  it('streams: the first ticks of a century come without simulating the century', () => {
    let n = 0;
    for (const t of simulateMarket({ start: YEAR_START, days: 36_500, seed: 5 })) {
      assert.equal(t.intervalStart < YEAR_START + DAY, true);
      if (++n === 1000) break;
    }
    assert.equal(n, 1000);
  });
});

describe('simulator: option errors name the option', () => {
  const good: SimulatorOptions = { start: YEAR_START, days: 1, seed: 1 };
  const rejects = (opts: unknown, option: string, message: RegExp): void => {
    assert.throws(
      () => simulateMarket(opts as SimulatorOptions),
      (err: unknown) => {
        assert.ok(err instanceof SimulatorOptionError, String(err));
        assert.equal(err.option, option);
        assert.match(err.message, new RegExp(`^simulator option ${option}: `));
        assert.match(err.message, message);
        return true;
      },
    );
  };

  it('rejects days <= 0, non-numbers and fractions of a quarter hour', () => {
    rejects({ ...good, days: 0 }, 'days', /0 must be a number greater than 0/);
    rejects({ ...good, days: -3 }, 'days', /-3 must be a number greater than 0/);
    rejects({ ...good, days: Number.NaN }, 'days', /NaN/);
    rejects({ ...good, days: '2' }, 'days', /must be a number/);
    rejects({ ...good, days: 0.001 }, 'days', /whole number of 15-minute intervals/);
  });

  it('rejects a start not aligned to 15 minutes', () => {
    rejects({ ...good, start: YEAR_START + 60_000 }, 'start', /aligned to 15 minutes/);
    rejects({ ...good, start: 1.5 }, 'start', /aligned to 15 minutes/);
  });

  it('rejects unknown or repeated nodes, listing the known ones', () => {
    rejects({ ...good, nodes: ['HB_NORTH', 'HB_NOWHERE'] }, 'nodes', /unknown price node "HB_NOWHERE"; known: HB_NORTH, HB_SOUTH/);
    rejects({ ...good, nodes: ['HB_NORTH', 'HB_NORTH'] }, 'nodes', /listed twice/);
    rejects({ ...good, nodes: 'HB_NORTH' }, 'nodes', /expected an array/);
  });

  it('rejects a non-integer seed and a non-boolean includeSystem', () => {
    rejects({ ...good, seed: 1.5 }, 'seed', /safe integer/);
    rejects({ ...good, includeSystem: 'yes' }, 'includeSystem', /true or false/);
  });
});

describe('simulator: a realistic year (seed 42)', () => {
  it('emits the expected number of ticks for every series', () => {
    const y = simulatedYear();
    const catalog = seriesCatalog();
    let expected = 0;
    for (const s of catalog) {
      const n = (365 * DAY) / s.stepMs;
      expected += n;
      assert.equal(y.perSeries.get(seriesKey(s)), n, seriesKey(s));
    }
    assert.equal(y.perSeries.size, catalog.length);
    assert.equal(y.ticks, expected);
    assert.equal(expected, 365 * (3 * 96 + 8 * 24 + 9 * 96 + 9 * 24));
  });

  it('keeps prices within [-250, 5000] and power non-negative', () => {
    assert.deepEqual(simulatedYear().outOfRange, []);
  });

  it('has no solar at night, Central time', () => {
    assert.deepEqual(simulatedYear().solarAtNight, []);
  });

  it('has negative HB_WEST prices on spring nights, but not most of the time', () => {
    const y = simulatedYear();
    assert.ok(y.westNegativeNightSpring > 0, 'no negative HB_WEST price on a spring night');
    assert.ok(y.westNegative / y.westRt < 0.3, `HB_WEST negative ${((100 * y.westNegative) / y.westRt).toFixed(1)}% of intervals`);
  });

  it('has scarcity spikes above $1,000 in summer, but rarely', () => {
    const y = simulatedYear();
    assert.ok(y.northRtSummerOver1000 > 0, 'no HB_NORTH RT price above $1,000 in June-September');
    assert.ok(y.northRtSummerOver1000 / y.northRtSummer < 0.01, `${y.northRtSummerOver1000} of ${y.northRtSummer} summer intervals above $1,000`);
    assert.ok(y.rtOver1000 / y.rtTotal < 0.005, `${y.rtOver1000} of ${y.rtTotal} RT prices above $1,000`);
  });

  it('has realistic average prices and load range, peaking on a summer afternoon', () => {
    const y = simulatedYear();
    for (const hub of ['HB_NORTH', 'HB_SOUTH', 'HB_WEST', 'HB_HOUSTON', 'HB_PAN']) {
      const s = y.rtSum.get(hub)!;
      const mean = s.sum / s.n;
      assert.ok(mean > 10 && mean < 60, `${hub} mean RT ${mean.toFixed(2)}`);
    }
    const north = y.rtSum.get('HB_NORTH')!;
    assert.ok(north.sum / north.n > 20, `HB_NORTH mean RT ${(north.sum / north.n).toFixed(2)}`);
    assert.ok(y.loadMin > 30_000 && y.loadMin < 42_000, `load min ${y.loadMin}`);
    assert.ok(y.loadMax > 72_000 && y.loadMax < 90_000, `load max ${y.loadMax}`);
    const { hour, month } = localTime(y.loadMaxAt);
    assert.ok(month >= 6 && month <= 9, `load peak in month ${month}`);
    assert.ok(hour >= 13 && hour <= 20, `load peak at ${hour}:00 Central`);
  });
});
