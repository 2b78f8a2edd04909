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
import { readDiffers } from '../../processors/forecaster/processor.js';
import type { FeatureWindow, Forecast } from '../../schemas/types.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 6, 1);
const H = 4;
/** The history's reach (processors/forecaster/history.ts HISTORY_KEEP_MS): 7 days + (24 − 1 + 2) h. */
const KEEP = 8 * DAY + HOUR;

/**
 * Hourly windows of two series over `days`, a daily and weekly shape plus a seeded wobble and, with `noise`, a
 * hash noise of that amplitude per (series, hour); every 50th window re-emitted with a corrected last value.
 */
function stream(days: number, noise = 0): FeatureWindow[] {
  const out: FeatureWindow[] = [];
  const hash = (s: number, t: number) => {
    const x = Math.sin((t / HOUR) * 12.9898 + s * 78.233) * 43758.5453;
    return x - Math.floor(x) - 0.5;
  };
  const y = (s: number, t: number) => 40 + 10 * s + 8 * Math.sin((2 * Math.PI * t) / DAY) + 3 * Math.sin((2 * Math.PI * t) / (7 * DAY)) + 5 * Math.sin(t / 7_777_777 + s) + noise * hash(s, t);
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

/** A model with steps from same hour last week, a rolling-window band over `windowDays` and (centreDays) a median centre of its P50. */
function metaOf(version: string, centreDays = 1, windowDays = 2): ModelMetadata {
  return randomModelMetadata({
    version, horizon: H, stepSources: ['lstm', 'lstm', 'lstm', 'lstm'], lastWeek: { steps: [2, 4], weight: 1 },
    onlineBand: { method: 'window', windowDays, level: 0.8, gamma: 0, minResiduals: 10, centreDays, trained: { below: [2, 2, 2, 2], above: [2, 2, 2, 2] } },
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

  it('spans the history and, with an online band, its window and horizon, and with a centre the centre\'s window and horizon too', () => {
    assert.equal(stateSpanMs(undefined), KEEP);
    assert.equal(span, KEEP + (2 * DAY + H * HOUR) + (1 * DAY + H * HOUR));
    assert.equal(stateSpanMs(metaOf('v0', 0)), KEEP + 2 * DAY + H * HOUR);
  });

  it('with a noisy stream, a week\'s band and a week\'s centre, the state rebuilt over the span serves as the one that saw everything; over the band\'s span alone it does not', () => {
    const m = metaOf('v7', 7, 7);
    // Noise ±1.5: the median centre moves with it (at ±6 the replaced residuals kept to their side of the median and
    // the shorter span below served the same, by luck of the data).
    const noisy = stream(45, 3);
    const cut = noisy.findIndex((w) => w.windowEnd >= T0 + 40 * DAY);
    const head = noisy.slice(0, cut);
    const tail = noisy.slice(cut);
    const full = new PartitionState(stateSpanMs(m), 0n);
    run(full, head, outputOf(m, 1));
    const a = run(full, tail, outputOf(m, 1));
    const newest = new Map<string, number>();
    for (const w of head) newest.set(w.seriesId, Math.max(newest.get(w.seriesId) ?? 0, w.windowEnd));
    const rebuiltOver = (spanMs: number) => {
      const st = new PartitionState(spanMs, 0n);
      run(st, head.filter((w) => w.windowEnd >= newest.get(w.seriesId)! - spanMs), outputOf(m, 1));
      return run(st, tail, outputOf(m, 1));
    };
    sameForecasts(rebuiltOver(stateSpanMs(m)), a, 'rebuilt over history + band + centre spans vs never stopped');
    // Teeth: the history and the longer window alone (the served P50s at the start of the band's window then miss
    // the centre's residuals before them) serve other bands.
    assert.notDeepEqual(rebuiltOver(KEEP + 7 * DAY + H * HOUR), a, 'a span without the centre\'s part');
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
    // The centre moved the served P50 off the model's (a state of the same model without the centre serves otherwise).
    const plain = new PartitionState(span, 0n);
    run(plain, before, outputOf(metaOf('v1', 0), 1));
    const c = run(plain, afterCut, outputOf(metaOf('v1', 0), 1));
    assert.ok(a.some((f, i) => Math.abs(f.values[0]! - c[i]!.values[0]!) > 1e-9), 'the centre shifted the P50');
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
  for (const method of ['aci', 'aci-interval'] as const) it(`an ACI band (${method}) is rebuilt exactly when the replay issues the bands served (read back from the output), and not without them`, async () => {
    // γ = 0.02: at 0.05 the miss level reaches ONLINE_BAND_BOUNDS' limits within a few misses in both runs, so the
    // bands with and without the served ones no longer differ and the negative check below says nothing.
    const aci = randomModelMetadata({
      version: 'v-aci', horizon: H, stepSources: ['lstm', 'lstm', 'lstm', 'lstm'],
      onlineBand: { method, windowDays: 6, level: 0.8, gamma: 0.02, minResiduals: 10, centreDays: 0, trained: { below: [2, 2, 2, 2], above: [2, 2, 2, 2] } },
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

  it('a rebuild reads again when the model that answered needs another span or read-back than the one it read for (readDiffers)', () => {
    const band = (method: 'aci' | 'window', windowDays = 2) => ({ method, windowDays, level: 0.8, gamma: 0.05, minResiduals: 10, centreDays: 0, trained: { below: [2, 2, 2, 2], above: [2, 2, 2, 2] } });
    const m = (version: string, onlineBand?: ReturnType<typeof band>) => randomModelMetadata({ version, horizon: H, stepSources: ['lstm', 'lstm', 'lstm', 'lstm'], ...(onlineBand ? { onlineBand } : {}) });
    assert.equal(readDiffers(m('a', band('aci')), m('b', band('aci'))), false, 'another version, the same needs');
    assert.equal(readDiffers(undefined, m('b')), false, 'no model read for, one without a band answered: the history alone');
    assert.equal(readDiffers(m('a', band('window')), m('b', band('aci'))), true, 'the same span, but ACI needs the served bands');
    assert.equal(readDiffers(m('a', band('aci')), m('b', band('aci', 3))), true, 'a longer window');
    assert.equal(readDiffers(m('a', band('aci')), m('b', { ...band('aci'), centreDays: 4 })), true, 'a centre longer than the window');
    assert.equal(readDiffers(m('a'), m('b', band('window'))), true, 'a band where there was none');
  });

  describe('a live switch to an ACI model', () => {
    const H4 = ['lstm', 'lstm', 'lstm', 'lstm'];
    const band = (method: 'aci' | 'window') => ({ method, windowDays: 3, level: 0.8, gamma: 0.05, minResiduals: 10, centreDays: 0, trained: { below: [2, 2, 2, 2], above: [2, 2, 2, 2] } });
    const aci = randomModelMetadata({ version: 'v-aci', horizon: H, stepSources: H4, onlineBand: band('aci') });
    const at = (days: number) => all.findIndex((w) => w.windowEnd >= T0 + days * DAY);
    /** The trailing windows of `ws` a rebuild reads for `spanMs`, and each series' newest window end. */
    const trailingOf = (ws: FeatureWindow[], spanMs: number) => {
      const newest = new Map<string, number>();
      for (const w of ws) newest.set(w.seriesId, Math.max(newest.get(w.seriesId) ?? 0, w.windowEnd));
      return { newest, windows: ws.filter((w) => w.windowEnd >= newest.get(w.seriesId)! - spanMs) };
    };
    /** A rebuild at the end of `ws` for the ACI model with the forecasts served before read back (processor.ts rebuild). */
    const rebuildAci = async (ws: FeatureWindow[], served: Forecast[]) => {
      const span = stateSpanMs(aci);
      const { newest, windows } = trailingOf(ws, span);
      const st = new PartitionState(span, 0n);
      for (const f of served) if (f.targetStart >= newest.get(f.seriesId)! - (3 * DAY + H * HOUR + DAY)) st.recordForecast(f);
      st.servedComplete = true;
      await st.stepAll(windows, windows.map(outputOf(aci, 1.2)));
      return st;
    };

    it('from a model without an online band: the bands it served are recorded live and replayed, as a restart reads them back', async () => {
      const plain = randomModelMetadata({ version: 'v-plain', horizon: H, stepSources: H4 });
      const sw = at(20);
      const rs = at(21);
      // Never stopped: the plain model, then the ACI model from sw (the replay of the trailing windows), to the end.
      const live = new PartitionState(stateSpanMs(aci), 0n);
      live.servedComplete = true;
      const served = run(live, all.slice(0, sw), outputOf(plain, 1));
      assert.ok(served.every((f) => f.p10 && f.p90), 'the plain model serves its own band');
      assert.equal(live.needsRebuildFor(aci), false, 'a state that saw every band served replays in place');
      await live.replay(aci.version, live.trailing().map(outputOf(aci, 1.2)));
      served.push(...run(live, all.slice(sw, rs), outputOf(aci, 1.2)));
      const a = run(live, all.slice(rs), outputOf(aci, 1.2));
      // Restarted at rs on the ACI model: the served bands (the plain model's among them) read back.
      const b = run(await rebuildAci(all.slice(0, rs), served), all.slice(rs), outputOf(aci, 1.2));
      sameForecasts(b, a, 'switched live vs restarted after the switch');
    });

    it('after a rebuild without the read-back (a window-band model then): the partition is read again, and serves as one that never stopped', async () => {
      const win = randomModelMetadata({ version: 'v-window', horizon: H, stepSources: H4, onlineBand: band('window') });
      const rs = at(20);
      const sw = at(20.5);
      const span = stateSpanMs(win);
      assert.equal(span, stateSpanMs(aci), 'same span: only the missing served bands call for the read');
      // Never stopped: the window model to sw, then the ACI model.
      const live = new PartitionState(span, 0n);
      live.servedComplete = true;
      const served = run(live, all.slice(0, sw), outputOf(win, 1));
      assert.equal(live.needsRebuildFor(aci), false);
      await live.replay(aci.version, live.trailing().map(outputOf(aci, 1.2)));
      const a = run(live, all.slice(sw), outputOf(aci, 1.2));
      // Restarted at rs on the window model (no read-back), then the same live switch at sw.
      const { windows } = trailingOf(all.slice(0, rs), span);
      const restarted = new PartitionState(span, 0n);
      await restarted.stepAll(windows, windows.map(outputOf(win, 1)));
      run(restarted, all.slice(rs, sw), outputOf(win, 1));
      assert.equal(restarted.needsRebuildFor(aci), true, 'the bands served before the restart are not known: read again');
      assert.equal(restarted.needsRebuildFor(win), false);
      // Teeth: replayed in place it serves other bands than the forecaster that never stopped.
      await restarted.replay(aci.version, restarted.trailing().map(outputOf(aci, 1.2)));
      assert.notDeepEqual(run(restarted, all.slice(sw), outputOf(aci, 1.2)), a, 'replayed without the served bands');
      // Read again (what outputsFor does): equal.
      sameForecasts(run(await rebuildAci(all.slice(0, sw), served), all.slice(sw), outputOf(aci, 1.2)), a, 'read again at the switch vs never stopped');
    });
  });
});
