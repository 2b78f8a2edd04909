// Synthetic hourly data for the model's unit tests (model-last-week-level, model-last-week-robust,
// model-rolling-origin): a feature matrix (the calendar and system columns of model/feature-matrix.ts FEATURE_COLUMNS,
// then the window's slot values v0..v{slots-1}), standard normal draws, a weekly series on a random-walk level, and
// the forecaster's slot history fed from such a matrix at each hold-out origin.
import type { Dataset } from '../../model/dataset.js';
import { FEATURE_COLUMNS, type FeatureMatrix } from '../../model/feature-matrix.js';
import type { HistoryWindow, SeriesHistory } from '../../processors/forecaster/history.js';

const HOUR = 3_600_000;

/**
 * `rows` hourly windows of `slots` one-hour slots, window j ending at start + j h (ms since the epoch, UTC); slot i of a
 * window ending at `end` holds value(end - (slots - 1 - i) h), so the last slot is the window's own hour. Called in
 * row order, slots oldest first (a value function that draws random numbers sees the same sequence every time).
 * Calendar columns come from the window end in UTC (hour_of_day, day_of_week; is_holiday 0); the system columns are
 * constants (system_load 40,000 MW, wind 5,000 MW, solar 1,000 MW, net_load 34,000 MW); `last` is the last slot's value.
 */
export function hourlyMatrix(start: number, rows: number, slots: number, value: (slotEnd: number) => number): FeatureMatrix {
  const columns = [...FEATURE_COLUMNS, ...Array.from({ length: slots }, (_, i) => `v${i}`)];
  const out: number[][] = [];
  const windowEnds: number[] = [];
  for (let j = 0; j < rows; j++) {
    const end = start + j * HOUR;
    const values = Array.from({ length: slots }, (_, i) => value(end - (slots - 1 - i) * HOUR));
    const byName: Record<string, number> = { hour_of_day: new Date(end).getUTCHours(), day_of_week: new Date(end).getUTCDay(), is_holiday: 0, system_load: 40_000, wind: 5_000, solar: 1_000, net_load: 34_000, last: values[slots - 1]! };
    out.push([...FEATURE_COLUMNS.map((c) => byName[c] ?? 0), ...values]);
    windowEnds.push(end);
  }
  return { columns, rows: out, windowEnds, shape: [rows, columns.length] };
}

/** A standard normal draw (Box-Muller) from two uniform draws of `rng` (e.g. model/lstm.ts mulberry32). */
export function normal(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/**
 * An hourly series (ms since the epoch -> MW) at first, first + 1 h, ..., last (inclusive): 5,000 + a weekly profile
 * (168 hourly values, 200·N(0, 1) each) + a level that random-walks (8·N(0, 1) per hour) + 2·N(0, 1) noise + spike(k)
 * at hour k = 0, 1, ... The week-over-week change persists over the hours ahead, so last week plus the current change
 * beats last week alone. Draws from `rng` in a fixed order: the profile, then per hour the level step and the noise.
 */
export function weeklyRandomWalk(rng: () => number, first: number, last: number, spike: (k: number) => number = () => 0): Map<number, number> {
  const profile = Array.from({ length: 168 }, () => 200 * normal(rng));
  const series = new Map<number, number>();
  let level = 0;
  for (let t = first; t <= last; t += HOUR) {
    level += 8 * normal(rng);
    const k = (t - first) / HOUR;
    series.set(t, 5_000 + profile[k % 168]! + level + 2 * normal(rng) + spike(k));
  }
  return series;
}

/**
 * The hold-out origins of `d`, a dataset built from `matrix` alone: yields { i, end } for i = 0 .. d.n − d.trainCount
 * − 1, end = d.windowEnds[d.trainCount + i] (ms since the epoch), each once `history` holds every window of `matrix`
 * up to and including the one ending at `end`, added in row order as the forecaster sees them. A window carries
 * `series` and the row's slot values (the columns after FEATURE_COLUMNS). Throws RangeError for an origin whose window
 * end is not in `matrix`.
 */
export function* holdoutOrigins(d: Dataset, matrix: FeatureMatrix, series: Omit<HistoryWindow, 'windowEnd' | 'values'>, history: SeriesHistory): Generator<{ i: number; end: number }> {
  const rowOf = new Map(matrix.windowEnds.map((e, r) => [e, r]));
  const firstValue = FEATURE_COLUMNS.length;
  let fed = 0;
  for (let i = 0; i < d.n - d.trainCount; i++) {
    const end = d.windowEnds[d.trainCount + i]!;
    const row = rowOf.get(end);
    if (row === undefined) throw new RangeError(`holdoutOrigins: origin ${i} (${new Date(end).toISOString()}) is not a window end of the matrix`);
    for (; fed <= row; fed++) history.add({ ...series, windowEnd: matrix.windowEnds[fed]!, values: matrix.rows[fed]!.slice(firstValue) });
    yield { i, end };
  }
}

/** Whether `a` equals `b` up to float32 rounding (relative 1.2e-7, plus 1e-9): the dataset keeps its baselines as float32. */
export function closeToFloat32(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1.2e-7 * Math.abs(b) + 1e-9;
}
