// Training's long synchronous stretches cut into pieces that let the event loop run between them. `sda demo` trains
// in the process that also runs Kafka consumers (sinks, processors): a stretch without timers longer than the
// session timeout loses their heartbeats ('The coordinator is not aware of this member'). model/lstm.ts yields
// inside the epochs; the rest of training (ridge penalty choice, band variants, online band candidates, hold-out
// scoring) awaits a Pace between steps. Numerics are unchanged: only where the work pauses moves.
import { setImmediate } from 'node:timers/promises';
import { type OnlineBandSpec, checkBandSamples, onlineBandForecasts } from './online-band.js';

/** How long training runs between two macrotask yields (ms), as model/lstm.ts's epochs. */
export const YIELD_EVERY_MS = 100;

/** `await pace()`: lets the event loop run timers and I/O callbacks when `everyMs` passed since the last yield. */
export type Pace = () => Promise<void>;

/**
 * A Pace: each call, when more than `everyMs` (ms, finite >= 0; 0: every call) passed since the last yield (or since
 * the pacer was made), awaits setImmediate twice, else resolves at once. Twice: work resumed from an I/O callback
 * (a PostgreSQL reply) runs in the loop's poll phase, and one setImmediate then resumes it in the check phase of
 * the same iteration, before any timer; an immediate queued from the check phase runs in the next iteration, after
 * its timers phase (Node.js docs, "The Node.js Event Loop": setImmediate, phases). Throws RangeError for a bad everyMs.
 */
export function pacer(everyMs = YIELD_EVERY_MS): Pace {
  if (!(Number.isFinite(everyMs) && everyMs >= 0)) throw new RangeError(`pacer: everyMs must be a finite number >= 0, got ${everyMs}`);
  let last = performance.now();
  return async () => {
    if (performance.now() - last < everyMs) return;
    await setImmediate();
    await setImmediate();
    last = performance.now();
  };
}

/**
 * onlineBandForecasts (model/online-band.ts) run one series at a time with `pace()` awaited between series: the
 * same P50/P10/P90 ([count, horizon], target unit), because onlineBandForecasts keeps one OnlineBand per series, fed
 * only that series' actuals and issues in the samples' order, so a series' band never depends on another's samples.
 * Arguments and errors as onlineBandForecasts (RangeError on disagreeing lengths or window ends not ascending).
 */
export async function onlineBandForecastsPaced(
  spec: OnlineBandSpec, horizon: number, stepMs: number,
  samples: { seriesIds: ArrayLike<string>; windowEnds: ArrayLike<number>; p50: ArrayLike<number>; actual: ArrayLike<number> },
  trained: { below: ArrayLike<number>; above: ArrayLike<number> },
  pace: Pace = pacer(),
): Promise<{ p50: Float64Array; p10: Float64Array; p90: Float64Array }> {
  const count = checkBandSamples(horizon, samples);
  const bySeries = new Map<string, number[]>();
  for (let i = 0; i < count; i++) {
    const s = samples.seriesIds[i]!;
    const rows = bySeries.get(s);
    if (rows) rows.push(i);
    else bySeries.set(s, [i]);
  }
  const out50 = new Float64Array(count * horizon);
  const p10 = new Float64Array(count * horizon);
  const p90 = new Float64Array(count * horizon);
  for (const [series, rows] of bySeries) {
    await pace();
    const m = rows.length;
    const p50 = new Float64Array(m * horizon);
    const actual = new Float64Array(m * horizon);
    rows.forEach((i, k) => {
      for (let h = 0; h < horizon; h++) {
        p50[k * horizon + h] = samples.p50[i * horizon + h]!;
        actual[k * horizon + h] = samples.actual[i * horizon + h]!;
      }
    });
    const band = onlineBandForecasts(spec, horizon, stepMs, { seriesIds: new Array<string>(m).fill(series), windowEnds: rows.map((i) => samples.windowEnds[i]!), p50, actual }, trained);
    rows.forEach((i, k) => {
      out50.set(band.p50.subarray(k * horizon, (k + 1) * horizon), i * horizon);
      p10.set(band.p10.subarray(k * horizon, (k + 1) * horizon), i * horizon);
      p90.set(band.p90.subarray(k * horizon, (k + 1) * horizon), i * horizon);
    });
  }
  await pace();
  return { p50: out50, p10, p90 };
}
