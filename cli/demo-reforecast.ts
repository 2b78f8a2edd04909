// `sda demo` step 7 on a second run: when the model `current` names is not the one that issued the newest stored
// forecast of the series the demo shows (step 6 just promoted a new one, or one was promoted by hand since), the
// forecaster's group is moved back over the latest windows (processors/forecaster/rewind.ts) so that the forecaster
// started next forecasts them again with the current model. Before, a second run's forecaster found no new windows
// on market.features and issued nothing, so the forecasts the demo printed (and GET /forecast answered) were still the
// earlier model's, and the user could not see what the new model changed (a fresh-clone tester's finding).
import type pg from 'pg';
import type { Provisioned } from '../platform/kafka/provision.js';
import { type Rewind, rewindForecaster } from '../processors/forecaster/rewind.js';
import { storedForecast } from '../reports/forecasts.js';

export interface DemoReforecastQuery {
  /** The version the registry's `current` names now (model/registry.ts readCurrent), null when none. */
  current: string | null;
  /** The forecaster's consumer group and input topic (sda-forecaster on market.features). */
  groupId: string;
  inputTopic: string;
  /** The series whose newest stored forecast decides (the one the demo shows: ERCOT HB_NORTH RT_PRICE). */
  market: string;
  seriesId: string;
  kind: string;
  /** How far behind the input topic's newest window the windows are forecast again (ms, > 0); series whose windows
   * all lie before that (the taylor demand of 2000 beside ERCOT's 2024) are not. */
  spanMs: number;
}

export interface DemoReforecast {
  /** The version whose forecasts were stored newest before (null: none stored). */
  storedVersion: string | null;
  /** The rewind made; null when none was needed (or it failed: see lines). */
  rewound: Rewind | null;
  /** What to print, one line each (empty when the stored forecasts are the current model's already). */
  lines: string[];
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/**
 * Rewinds the forecaster's group when `q.current` did not issue the newest stored forecast of (market, series,
 * kind): then the forecaster, started next on `q.groupId`, forecasts the windows within `q.spanMs` of the input
 * topic's newest window with the current model (rewindForecaster's cutoff; the window ends printed are those >= it).
 * Nothing is done when there is no current model, no stored forecast, or the newest one is the current model's (a
 * second call after the forecaster caught up is a no-op). A group that still has running members (another `sda process forecaster`) is not moved: a line says that the current model serves from
 * the next window on. Errors: the pool's (reading the stored forecast); Kafka errors of the rewind are reported in
 * `lines`, never thrown.
 */
export async function demoReforecast(p: Provisioned, pool: pg.Pool, q: DemoReforecastQuery): Promise<DemoReforecast> {
  if (q.current === null) return { storedVersion: null, rewound: null, lines: [] };
  const newest = await storedForecast(pool, q.market, q.seriesId, q.kind, { latest: true });
  if (!newest || newest.modelVersion === q.current) return { storedVersion: newest?.modelVersion ?? null, rewound: null, lines: [] };
  const days = q.spanMs / 86_400_000;
  const head = `the newest stored ${q.seriesId} forecasts are ${newest.modelVersion}'s, not the current ${q.current}'s`;
  let rewound: Rewind;
  try {
    rewound = await rewindForecaster(p, { groupId: q.groupId, inputTopic: q.inputTopic, spanMs: q.spanMs });
  } catch (err) {
    return { storedVersion: newest.modelVersion, rewound: null, lines: [`${head}; the windows could not be read again (${(err as Error).message}): ${q.current} forecasts from the next window on`] };
  }
  if (rewound.windows === 0) return { storedVersion: newest.modelVersion, rewound, lines: [`${head}; no window to read again on ${q.inputTopic}`] };
  const first = Math.min(...rewound.partitions.map((r) => r.firstWindowEnd));
  const last = Math.max(...rewound.partitions.map((r) => r.lastWindowEnd));
  const older = rewound.partitions.reduce((a, r) => a + r.older, 0);
  const olderNote = older > 0 ? `, and ${older.toLocaleString('en-US')} older windows of other series written between them` : '';
  return {
    storedVersion: newest.modelVersion,
    rewound,
    lines: [
      `${head}: ${q.groupId} moved back over the last ${days} days of windows on ${q.inputTopic}, ${rewound.windows.toLocaleString('en-US')} windows in ${rewound.partitions.length} partitions (window ends ${day(first)} to ${day(last)} UTC${olderNote}),`,
      `so the forecaster forecasts them again with ${q.current} (exactly once per read, rows added beside ${newest.modelVersion}'s)`,
    ],
  };
}
