// Synthetic hourly data for the model's unit tests (model-last-week-level, model-last-week-robust,
// model-rolling-origin): a feature matrix (the calendar and system columns of model/feature-matrix.ts FEATURE_COLUMNS,
// then the window's slot values v0..v{slots-1}), standard normal draws, and a weekly series on a random-walk level.
import { FEATURE_COLUMNS, type FeatureMatrix } from '../../model/feature-matrix.js';

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
