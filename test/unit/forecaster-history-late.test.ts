// trace: 3.4, D.forecaster, D.windower
// The forecaster's slot history (processors/forecaster/history.ts) keeps what a late window needs: the windower
// re-emits a window up to its allowed lateness (2 steps) behind the series' newest window end, and serving that window
// the level-adjusted last week with L = 24 reads back 7 days + 23 slots from its end. Before, the history kept 8 days
// behind the newest (one hour short for an hourly window 2 h late), so such a window fell back to the graph's source
// where the trainer's applyLastWeek serves the level.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LAST_WEEK_LEVEL_SOURCE, type ModelMetadata } from '../../model/contract.js';
import { LEVEL_MAX_SLOTS } from '../../model/last-week.js';
import { HISTORY_KEEP_MS, SeriesHistory, serveSteps } from '../../processors/forecaster/history.js';
import { PartitionWindower } from '../../processors/windower/windower.js';
import type { MarketTick } from '../../schemas/types.js';
import { feedTicks } from './windower-feed.js';

const HOUR = 3_600_000;
const QUARTER = 900_000;
const WEEK = 168 * HOUR;
const T0 = Date.UTC(2024, 6, 1, 5);
const L = LEVEL_MAX_SLOTS;

/** The hourly slot ending at `slotEnd`: an hour-of-week profile that rises by 30 each week, so every y(s) − y(s − 7 days) is 30. */
const y = (slotEnd: number) => {
  const h = (slotEnd - T0) / HOUR;
  return 10 * (h % 168) + 30 * Math.floor(h / 168);
};

/** Level-adjusted last week alone at h1, over L slots; the graph's own source 'lstm' where it cannot be served. */
const meta = {
  architecture: { horizon: 1 },
  stepSources: [LAST_WEEK_LEVEL_SOURCE],
  lastWeekWeight: [1],
  lastWeekLevel: { slots: L, weight: [1] },
  training: { graphSources: ['lstm'] },
} as unknown as ModelMetadata;

function quarterTicks(fromHour: number, hours: number): MarketTick[] {
  const out: MarketTick[] = [];
  for (let h = fromHour; h < fromHour + hours; h++) {
    for (let q = 0; q < 4; q++) {
      const start = T0 + h * HOUR + q * QUARTER;
      out.push({ market: 'ERCOT', seriesId: 'HB_NORTH', pointType: 'HUB', kind: 'RT_PRICE', intervalStart: start, intervalEnd: start + QUARTER, value: y(T0 + (h + 1) * HOUR), unit: 'USD/MWh', source: 'test', ingestedAt: 0 });
    }
  }
  return out;
}

describe('forecaster history: late windows', () => {
  it("serves the level-adjusted last week for a window the windower re-emits at its allowed lateness (L = 24, hourly)", () => {
    const windower = new PartitionWindower({ stepMs: HOUR }); // default allowed lateness: 2 h
    const history = new SeriesHistory();
    const hours = 200;
    for (const w of feedTicks(windower, quarterTicks(0, hours))) history.add(w);
    const newest = T0 + hours * HOUR;
    assert.equal(history.newest({ market: 'ERCOT', seriesId: 'HB_NORTH', kind: 'RT_PRICE', stepMs: HOUR }), newest);
    // A correction of the oldest slot that still takes ticks: its window and the later ones come out again.
    const again = feedTicks(windower, quarterTicks(hours - 3, 1).slice(3));
    assert.deepEqual(again.map((w) => (newest - w.windowEnd) / HOUR), [2, 1, 0], 're-emitted windows, hours behind the newest');
    for (const w of again) history.add(w);
    const late = again[0]!;
    const s = serveSteps(late, meta, [-1], undefined, history);
    // y(T − 7 days) + the level (every weekly change is 30), T = the window end + 1 h
    const T = late.windowEnd + HOUR;
    assert.deepEqual(s, { values: [y(T - WEEK) + 30], p10: null, p90: null, stepSources: [LAST_WEEK_LEVEL_SOURCE] }, 'the 2 h late window is served at the level');
    // The history reaches exactly that far: 7 days + (L − 1 + 2) h behind the newest.
    assert.equal(HISTORY_KEEP_MS, WEEK + (L - 1 + 2) * HOUR);
  });

  it('answers a window 2 steps behind the newest and no further: 3 h late with L = 24 falls back to the graph', () => {
    const key = { market: 'M', seriesId: 'S', kind: 'LOAD', stepMs: HOUR };
    const history = new SeriesHistory();
    const newest = T0 + 9 * 24 * HOUR;
    // Hourly windows of 24 slots ending every hour from T0 + 24 h to the newest.
    for (let end = T0 + 24 * HOUR; end <= newest; end += HOUR) history.add({ ...key, windowEnd: end, values: Array.from({ length: 24 }, (_, i) => y(end - (23 - i) * HOUR)) });
    const serve = (hoursLate: number) => serveSteps({ ...key, windowEnd: newest - hoursLate * HOUR, values: [] }, meta, [-1], undefined, history);
    for (const late of [0, 1, 2]) {
      const T = newest - late * HOUR + HOUR;
      assert.deepEqual(serve(late), { values: [y(T - WEEK) + 30], p10: null, p90: null, stepSources: [LAST_WEEK_LEVEL_SOURCE] }, `${late} h late`);
    }
    // Its oldest level slot, newest − 3 h − 23 h − 7 days, is past the history's reach.
    assert.deepEqual(serve(3), { values: [-1], p10: null, p90: null, stepSources: ['lstm'] });
  });
});
