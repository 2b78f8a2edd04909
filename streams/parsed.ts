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
}

export type Parsed = { ok: true; tick: MarketTick } | { ok: false; rejection: Rejection };

export const accept = (tick: MarketTick): Parsed => ({ ok: true, tick });
export const reject = (rejection: Rejection): Parsed => ({ ok: false, rejection });
