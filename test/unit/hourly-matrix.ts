// A synthetic hourly feature matrix for the model's unit tests (model-last-week-level, model-rolling-origin): the
// calendar and system columns of model/feature-matrix.ts FEATURE_COLUMNS, then the window's slot values v0..v{slots-1}.
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
