// trace: 3.4
// Training's long steps let the event loop run (model/paced.ts): `sda demo` trains beside Kafka consumers whose
// heartbeats are timers and socket callbacks. The paced versions of the online band run and the per-horizon ridge
// penalty choice give exactly the numbers of the one-piece functions, and they yield to timers before resolving.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseRidgeAlphasByBlock, chooseRidgeAlphasByBlockPaced } from '../../model/baselines.js';
import { ONLINE_BAND_DEFAULTS, type OnlineBandSpec, onlineBandForecasts } from '../../model/online-band.js';
import { onlineBandForecastsPaced, pacer } from '../../model/paced.js';
import { Rng } from '../../streams/simulator/prng.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 4, 1);

/** Three series of hourly origins (interleaved by window end, as a dataset holds them), H steps each, heavy-tailed actuals around P50. */
function bandSamples(n: number, H: number) {
  const rng = new Rng(7);
  const seriesIds: string[] = [];
  const windowEnds: number[] = [];
  const p50: number[] = [];
  const actual: number[] = [];
  const scale: Record<string, number> = { A: 1, B: 5, C: 20 };
  for (let t = 0; t < n; t++) {
    for (const s of ['A', 'B', 'C']) {
      seriesIds.push(s);
      windowEnds.push(T0 + t * HOUR);
      for (let h = 0; h < H; h++) {
        const m = 10 + Math.sin((t + h) / 5) * scale[s]!;
        p50.push(m);
        const u = rng.uniform();
        // an unknown actual now and then (NaN), as at the end of a dataset
        actual.push(u < 0.02 ? Number.NaN : m + scale[s]! * (u - 0.5) * (u > 0.95 ? 8 : 1));
      }
    }
  }
  return { seriesIds, windowEnds, p50: Float64Array.from(p50), actual: Float64Array.from(actual) };
}

describe('paced training steps', () => {
  it('onlineBandForecastsPaced gives exactly onlineBandForecasts, series one at a time, for every method', async () => {
    const H = 6;
    const samples = bandSamples(200, H);
    const trained = { below: [1, 2, 3, 4, 5, 6], above: [2, 2, 2, 3, 3, 3] };
    const specs: OnlineBandSpec[] = [
      { ...ONLINE_BAND_DEFAULTS },
      { ...ONLINE_BAND_DEFAULTS, method: 'window', windowDays: 7 },
      { ...ONLINE_BAND_DEFAULTS, method: 'aci', windowDays: 14, gamma: 0.05 },
    ];
    for (const spec of specs) {
      const whole = onlineBandForecasts(spec, H, HOUR, samples, trained);
      const paced = await onlineBandForecastsPaced(spec, H, HOUR, samples, trained, pacer(0));
      assert.deepEqual(paced.p10, whole.p10, `${spec.method} P10`);
      assert.deepEqual(paced.p90, whole.p90, `${spec.method} P90`);
    }
    // The series differ (a wrong scatter back to the samples would show here): C's band is wider than A's at the end.
    const whole = onlineBandForecasts(specs[0]!, H, HOUR, samples, trained);
    const last = samples.seriesIds.length - 3;
    assert.ok(whole.p90[(last + 2) * H]! - samples.p50[(last + 2) * H]! > whole.p90[last * H]! - samples.p50[last * H]!);
  });

  it('onlineBandForecastsPaced rejects what onlineBandForecasts refuses', async () => {
    const H = 2;
    const s = { ...ONLINE_BAND_DEFAULTS };
    const trained = { below: [1, 1], above: [1, 1] };
    await assert.rejects(onlineBandForecastsPaced(s, H, HOUR, { seriesIds: ['A', 'A'], windowEnds: [T0 + HOUR, T0], p50: [0, 0, 0, 0], actual: [0, 0, 0, 0] }, trained), RangeError);
    await assert.rejects(onlineBandForecastsPaced(s, H, HOUR, { seriesIds: ['A'], windowEnds: [T0], p50: [0, 0, 0], actual: [0, 0] }, trained), RangeError);
  });

  it('chooseRidgeAlphasByBlockPaced chooses the penalties and scores of chooseRidgeAlphasByBlock, and rejects what it throws on', async () => {
    const rng = new Rng(3);
    const n = 400;
    const p = 4;
    const H = 3;
    const X = new Float64Array(n * p).map(() => rng.uniform() * 2 - 1);
    const Y = new Float64Array(n * H).map((_, j) => X[Math.floor(j / H) * p + (j % H)]! * (j % H) + (rng.uniform() - 0.5) * (1 + (j % H)));
    const folds = [
      { fitCount: 200, from: 220, to: 280 },
      { fitCount: 260, from: 280, to: 340 },
      { fitCount: 320, from: 340, to: 400 },
    ];
    const whole = chooseRidgeAlphasByBlock(X, Y, p, H, folds);
    const paced = await chooseRidgeAlphasByBlockPaced(X, Y, p, H, folds, pacer(0));
    assert.deepEqual(paced, whole);
    await assert.rejects(chooseRidgeAlphasByBlockPaced(X, Y, p, H, [], pacer(0)), RangeError);
  });

  it('pacer yields to a due timer once everyMs passed, and not before', async () => {
    const pace = pacer(1);
    let fired = false;
    setTimeout(() => {
      fired = true;
    }, 0);
    const until = performance.now() + 5;
    while (performance.now() < until) {
      // busy: the timer is due before the pace below
    }
    // everyMs not yet passed: resolves without running the loop (the due timer waits)
    await pacer(60_000)();
    assert.equal(fired, false);
    await pace();
    assert.equal(fired, true);
    assert.throws(() => pacer(-1), RangeError);
    assert.throws(() => pacer(Number.NaN), RangeError);
  });

  it('the paced functions let a timer scheduled before them run before they resolve', async () => {
    const H = 6;
    const samples = bandSamples(200, H);
    const trained = { below: [1, 2, 3, 4, 5, 6], above: [2, 2, 2, 3, 3, 3] };
    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
    }, 0);
    try {
      const until = performance.now() + 5;
      while (performance.now() < until) {
        // the interval is due
      }
      await onlineBandForecastsPaced({ ...ONLINE_BAND_DEFAULTS }, H, HOUR, samples, trained, pacer(0));
      assert.ok(ticks > 0, 'no timer ran while the online band was computed');
    } finally {
      clearInterval(timer);
    }
  });
});
