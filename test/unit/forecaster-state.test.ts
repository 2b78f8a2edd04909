// trace: D.forecaster
// The forecaster's per-partition state (processors/forecaster/state.ts): pure, no services. Stepping only the
// trailing windows (what a restarted forecaster reads back) leaves a state that serves the next windows exactly as
// the state that stepped the whole stream; a model switch's replay equals a state fed by the new model from the
// start of the trailing span; the batch cut does not matter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelMetadata } from '../../model/contract.js';
import { LAST_WEEK_SOURCE } from '../../model/quantile.js';
import { randomModelMetadata } from '../../processors/forecaster/random-model.js';
import { PartitionState, type WindowOutput, stateSpanMs } from '../../processors/forecaster/state.js';
import type { FeatureWindow, Forecast } from '../../schemas/types.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 6, 1);
const H = 4;

/** Hourly windows of two series over `days`, a daily and weekly shape plus a seeded wobble; every 50th window re-emitted with a corrected last value. */
function stream(days: number): FeatureWindow[] {
  const out: FeatureWindow[] = [];
  const y = (s: number, t: number) => 40 + 10 * s + 8 * Math.sin((2 * Math.PI * t) / DAY) + 3 * Math.sin((2 * Math.PI * t) / (7 * DAY)) + 5 * Math.sin(t / 7_777_777 + s);
  for (let k = 24; k <= days * 24; k++) {
    const end = T0 + k * HOUR;
    for (const s of [0, 1]) {
      const values = Array.from({ length: 24 }, (_, i) => y(s, end - (23 - i) * HOUR));
      const w = { market: 'ERCOT', seriesId: s ? 'HB_WEST' : 'HB_NORTH', kind: 'RT_PRICE', stepMs: HOUR, windowStart: end - 24 * HOUR, windowEnd: end, values, count: 24, missing: 0, hourOfDay: 0, dayOfWeek: 0, isHoliday: false, computedAt: end } as unknown as FeatureWindow;
      out.push(w);
      if (k % 50 === 0) out.push({ ...w, values: [...values.slice(0, 23), values[23]! + 20], computedAt: end + 1 });
    }
  }
  return out;
}

/** A stand-in for the model: P50 and a band per step from the window's last value (deterministic). */
function outputOf(meta: ModelMetadata, scale: number): (w: FeatureWindow) => WindowOutput {
  return (w) => {
    const last = w.values[23]!;
    const values = Array.from({ length: H }, (_, h) => scale * last + h);
    return { version: meta.version, metadata: meta, values, band: { p10: values.map((v) => v - 3), p90: values.map((v) => v + 4) } };
  };
}

function metaOf(version: string): ModelMetadata {
  return randomModelMetadata({
    version, horizon: H, stepSources: ['lstm', 'lstm', 'lstm', 'lstm'], lastWeek: { steps: [2, 4], weight: 1 },
    onlineBand: { method: 'window', windowDays: 2, level: 0.8, gamma: 0, minResiduals: 10, trained: { below: [2, 2, 2, 2], above: [2, 2, 2, 2] } },
  });
}

/** The first forecast that differs, for the message (deepEqual's own is too long to read). */
function sameForecasts(a: Forecast[], b: Forecast[], what: string): void {
  assert.equal(a.length, b.length, `${what}: as many forecasts`);
  a.forEach((x, i) => assert.deepEqual(b[i], x, `${what}: forecast ${i} (${x.seriesId} ${new Date(x.targetStart).toISOString()}) differs`));
}

const run = (st: PartitionState, ws: FeatureWindow[], out: (w: FeatureWindow) => WindowOutput) => ws.map((w) => st.step(w, out(w))).filter((f): f is Forecast => f !== undefined);

describe('forecaster partition state', () => {
  const meta = metaOf('v1');
  const span = stateSpanMs(meta);
  const all = stream(30);
  const cutAt = all.findIndex((w) => w.windowEnd >= T0 + 25 * DAY);
  const before = all.slice(0, cutAt);
  const afterCut = all.slice(cutAt);

  it('spans the history and, with an online band, its window and horizon', () => {
    assert.equal(stateSpanMs(undefined), 8 * DAY);
    assert.equal(span, 8 * DAY + 2 * DAY + H * HOUR);
  });

  it('a state rebuilt from the trailing windows serves the next windows as the one that saw everything', () => {
    const full = new PartitionState(span, 0n);
    run(full, before, outputOf(meta, 1));
    // The trailing windows a restore reads: each series' windows within the span of its newest.
    const newest = new Map<string, number>();
    for (const w of before) newest.set(w.seriesId, Math.max(newest.get(w.seriesId) ?? 0, w.windowEnd));
    const trailing = before.filter((w) => w.windowEnd >= newest.get(w.seriesId)! - span);
    assert.ok(trailing.length < before.length / 2, 'the rebuild steps far fewer windows');
    const rebuilt = new PartitionState(span, 0n);
    run(rebuilt, trailing, outputOf(meta, 1));
    const a = run(full, afterCut, outputOf(meta, 1));
    const b = run(rebuilt, afterCut, outputOf(meta, 1));
    sameForecasts(b, a, 'rebuilt vs never stopped');
    assert.ok(a.some((f) => f.stepSources?.[1] === LAST_WEEK_SOURCE), 'steps served from last week');
    assert.ok(a.some((f) => Math.abs(f.values[0]! - f.p10![0]! - 2) > 1e-9), 'the online band moved off the trained offsets');
    // Teeth: a state that starts empty at the cut serves otherwise.
    const empty = new PartitionState(span, 0n);
    assert.notDeepEqual(run(empty, afterCut, outputOf(meta, 1)), a);
  });

  it('a model switch replays the trailing windows: the same as a state fed by the new model over them', async () => {
    const v2 = metaOf('v2');
    const st = new PartitionState(span, 0n);
    run(st, before, outputOf(meta, 1));
    const trailing = st.trailing();
    await st.replay(v2.version, trailing.map(outputOf(v2, 1.5)));
    const fresh = new PartitionState(span, 0n);
    run(fresh, trailing, outputOf(v2, 1.5));
    assert.equal(st.bandVersion, 'v2');
    sameForecasts(run(st, afterCut, outputOf(v2, 1.5)), run(fresh, afterCut, outputOf(v2, 1.5)), 'replayed vs fed by v2');
  });
  it('an ACI band is rebuilt exactly when the replay issues the bands served (read back from the output), and not without them', async () => {
    const aci = randomModelMetadata({
      version: 'v-aci', horizon: H, stepSources: ['lstm', 'lstm', 'lstm', 'lstm'],
      onlineBand: { method: 'aci', windowDays: 6, level: 0.8, gamma: 0.05, minResiduals: 10, trained: { below: [2, 2, 2, 2], above: [2, 2, 2, 2] } },
    });
    const spanAci = stateSpanMs(aci);
    const full = new PartitionState(spanAci, 0n);
    const servedBefore = run(full, before, outputOf(aci, 1));
    const newest = new Map<string, number>();
    for (const w of before) newest.set(w.seriesId, Math.max(newest.get(w.seriesId) ?? 0, w.windowEnd));
    const trailing = before.filter((w) => w.windowEnd >= newest.get(w.seriesId)! - spanAci);
    const rebuild = async (withServed: boolean) => {
      const st = new PartitionState(spanAci, 0n);
      if (withServed) for (const f of servedBefore) if (f.targetStart >= newest.get(f.seriesId)! - spanAci) st.recordForecast(f);
      await st.stepAll(trailing, trailing.map(outputOf(aci, 1)));
      return st;
    };
    const a = run(full, afterCut, outputOf(aci, 1));
    sameForecasts(run(await rebuild(true), afterCut, outputOf(aci, 1)), a, 'ACI rebuilt with the served bands vs never stopped');
    assert.notDeepEqual(run(await rebuild(false), afterCut, outputOf(aci, 1)), a, 'without the served bands the ACI band differs');
  });
});
