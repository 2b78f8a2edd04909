// Series identity: a series is (market, series id, kind), e.g. ERCOT / HB_NORTH / RT_PRICE. Topics are keyed by the
// series id alone; a consumer that holds several series in one map keys them by `seriesKey`, and a record of one
// series (a window end, a forecast's start) by `seriesRecordKey`. The parts are joined with NUL, which no market,
// series id (market/tick-validation.ts: A-Z a-z 0-9 _ . -) or kind can hold, so a key splits back unambiguously. The
// windower's changelog stores these keys (WindowerChangelog.seriesKey): changing the separator would orphan the
// stored state.

/** Series id of the system-wide totals (load, wind, solar; the kind tells them apart): the context series every
 * price window carries beside it (platform/kafka/context-series.ts, the windower's related series). */
export const SYSTEM_SERIES_ID = 'SYSTEM';

/** What names one series. */
export interface SeriesIdentity {
  market: string;
  seriesId: string;
  kind: string;
}

const SEP = '\u0000';

/**
 * The key of one series in a map or a changelog: market, series id and kind joined by NUL.
 * @example seriesKey('ERCOT', 'HB_NORTH', 'RT_PRICE') === 'ERCOT\u0000HB_NORTH\u0000RT_PRICE'
 */
export function seriesKey(market: string, seriesId: string, kind: string): string {
  return `${market}${SEP}${seriesId}${SEP}${kind}`;
}

/** `seriesKey` of anything that names its series (a tick, a window, a forecast). */
export function seriesKeyOf(s: SeriesIdentity): string {
  return seriesKey(s.market, s.seriesId, s.kind);
}

/**
 * The key of one record of a series: its series key and further parts (a step in ms, an instant in ms, a model
 * version, a date), NUL-joined like the series key, so two records collide only when every part is equal.
 */
export function seriesRecordKey(s: SeriesIdentity, ...parts: ReadonlyArray<string | number>): string {
  let key = seriesKeyOf(s);
  for (const p of parts) key += SEP + String(p);
  return key;
}

/**
 * The series a `seriesKey` names.
 * @throws RangeError when the text is not three non-empty NUL-separated parts
 */
export function parseSeriesKey(key: string): SeriesIdentity {
  const parts = key.split(SEP);
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    throw new RangeError(`series key ${JSON.stringify(key)} is not market, series id and kind separated by NUL`);
  }
  return { market: parts[0]!, seriesId: parts[1]!, kind: parts[2]! };
}
