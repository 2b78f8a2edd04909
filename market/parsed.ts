// What a source's parser returns for one input row: a tick, or the reason the row cannot become one.
// Rejected rows go to the dead-letter topic with the reason and their raw text; none is dropped silently.
import type { MarketTick } from '../schemas/types.js';

export interface Rejection {
  /** Stable kebab-case code, e.g. missing-field, not-a-number, bad-timestamp, unknown-series. */
  reasonCode: string;
  /** Human-readable: what was wrong, naming the field and the value. */
  message: string;
  /** The row exactly as received (a CSV line, a JSON array of the API row). */
  raw: string;
  /** Where it came from: `ercot-api:<report>`, `file:<path>:<line>`, ... */
  origin: string;
  /**
   * The tick this row would have been, when everything but its value was readable. The gap policy
   * (streams/imputation.ts) may fill such a slot; otherwise it is dead-lettered like any rejection.
   */
  slot?: Omit<MarketTick, 'value'>;
  /** The row's ERCOT time label, on DST-change days only (market/dst-day.ts checks the whole day). */
  label?: HourLabel;
}

/**
 * An ERCOT row's own time label, kept on rows of DST-change days (spring-forward, fall-back) so the day's numbering
 * can be checked once every row of the day is in (market/dst-day.ts, placeDstDays). `provisional` rows were
 * placed by a guess that only the whole day can confirm; a publisher refuses them (dead letter 'dst-day-numbering').
 */
export interface HourLabel {
  /** Delivery/operating date, YYYY-MM-DD (US Central). */
  date: string;
  /** The hour ending as written, 1..25. */
  hourEnding: number;
  /** 15-minute interval 1..4 (1 for hourly data). */
  interval: number;
  /** The row's DSTFlag; null when the report has no DSTFlag column. */
  dstFlag: boolean | null;
  stepMinutes: 15 | 60;
  /** The report and file/request the row belongs to: rows are checked per day within one group. */
  group: string;
  /** The series the row belongs to (duplicates of one hour are told apart per series). */
  seriesKey: string;
  raw: string;
  origin: string;
  provisional: boolean;
}

export type Parsed = { ok: true; tick: MarketTick; label?: HourLabel } | { ok: false; rejection: Rejection };

export const accept = (tick: MarketTick): Parsed => ({ ok: true, tick });
export const reject = (rejection: Rejection): Parsed => ({ ok: false, rejection });
