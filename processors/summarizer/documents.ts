// Market facts → short texts for retrieval (MarketDocument). Pure: hourly statistics in, documents out.
// Ids name the facts' subject and period (kind, market, series, kind of value, start), so summarising the same
// period again replaces the earlier document on the compacted topic instead of adding another.
// Times are written and days counted on the series' market clock (market/zone-clock.ts marketClock): US Central for
// ERCOT ("17:00 CT", days "(Central)"), UK time for GB ("17:00 UK", days "(UK)").
import { HOUR_MS, addCentralDays, centralDateOf, centralMidnightUtc } from '../../market/central-time.js';
import { formatValue, kindLabel, roundAsWritten, unitText } from '../../market/format.js';
import { seriesRecordKey } from '../../market/series.js';
import { CENTRAL_CLOCK, type ZoneClock, marketClock } from '../../market/zone-clock.js';
import type { MarketDocument } from '../../schemas/types.js';

export interface HourlyStat {
  market: string;
  seriesId: string;
  kind: string;
  unit: string;
  /** UTC epoch ms of the hour's start. */
  hourStart: number;
  mean: number;
  min: number;
  minAt: number;
  max: number;
  maxAt: number;
  count: number;
  /** Intervals below zero. */
  negative: number;
}

export interface ForecastSnapshot {
  market: string;
  seriesId: string;
  kind: string;
  modelVersion: string;
  unit: string;
  stepMs: number;
  targetStart: number;
  values: number[];
  issuedAt: number;
}

/** Thresholds for events: a spike is an hour whose high is at least `spikeFactor` x the day's mean and `spikeMin`. */
export interface EventRules {
  spikeMin: number;
  spikeFactor: number;
  /** At or above this a price is reported as scarcity pricing (ERCOT's offer cap is $5,000/MWh). */
  scarcity: number;
}

export const DEFAULT_EVENT_RULES: EventRules = { spikeMin: 250, spikeFactor: 3, scarcity: 4_500 };

const isPrice = (kind: string) => kind.endsWith('_PRICE');
/** "17:00 CT", "17:00 UK": the wall-clock time of an instant on a market's clock, as the documents write a low's or a high's time. */
const clockTime = (clock: ZoneClock, utcMs: number) => `${clock.clockText(utcMs)} ${clock.suffix}`;
/** How a document names the zone of a market day: "Central" (ERCOT's operating day, as written before clocks per market), else the clock's suffix ("UK"). */
const dayZone = (clock: ZoneClock) => (clock === CENTRAL_CLOCK ? 'Central' : clock.suffix);

export function documentId(kind: string, market: string, seriesId: string, valueKind: string, start: number): string {
  return `${kind}:${market}:${seriesId}:${valueKind}:${new Date(start).toISOString()}`;
}

/** An hour's summary, times on the market's clock ("hour starting 2024-07-01 17:00 CT"; GB "... 17:00 UK"). Id keyed by the hour's UTC start. */
export function hourlyDocument(h: HourlyStat, createdAt: number): MarketDocument {
  const clock = marketClock(h.market);
  const u = unitText(h.unit);
  const f = (v: number) => formatValue(v, h.unit);
  const negative = isPrice(h.kind) && h.negative > 0 ? ` ${h.negative} of ${h.count} intervals ${h.negative === 1 ? 'was' : 'were'} negative.` : '';
  return {
    id: documentId('hourly-summary', h.market, h.seriesId, h.kind, h.hourStart),
    kind: 'hourly-summary',
    seriesId: h.seriesId,
    rangeStart: h.hourStart,
    rangeEnd: h.hourStart + HOUR_MS,
    text: h.count === 1
      ? `${h.seriesId} ${kindLabel(h.kind)} (${h.market}), hour starting ${clock.label(h.hourStart)}: ${f(h.mean)} ${u}.`
      : `${h.seriesId} ${kindLabel(h.kind)} (${h.market}), hour starting ${clock.label(h.hourStart)}: average ${f(h.mean)} ${u}, low ${f(h.min)} at ${clockTime(clock, h.minAt)}, high ${f(h.max)} at ${clockTime(clock, h.maxAt)} (${h.count} intervals).${negative}`,
    numbers: { mean: roundAsWritten(h.mean, h.unit), min: roundAsWritten(h.min, h.unit), max: roundAsWritten(h.max, h.unit), intervals: h.count },
    createdAt,
  };
}

export interface DailyStat {
  market: string;
  seriesId: string;
  kind: string;
  unit: string;
  /** The market's calendar day (market/zone-clock.ts marketClock: ERCOT's Central operating day, GB's UK day), YYYY-MM-DD. */
  day: string;
  /** UTC ms of the day's local midnight, and of the next day's (23 or 25 hours later on a clock change). */
  dayStart: number;
  dayEnd: number;
  mean: number;
  min: number;
  minAt: number;
  max: number;
  maxAt: number;
  count: number;
  negative: number;
  hours: number;
}

/**
 * Hourly statistics folded into days of each series' market clock (ERCOT: Central operating days; GB: UK days), per
 * (market, series, kind). Mean weighted by interval count; min/max with the instant they occurred.
 */
export function dailyStats(hours: readonly HourlyStat[]): DailyStat[] {
  const byKey = new Map<string, DailyStat>();
  for (const h of hours) {
    const clock = marketClock(h.market);
    const day = clock.dateOf(h.hourStart);
    const key = seriesRecordKey(h, day);
    const d = byKey.get(key);
    if (!d) {
      byKey.set(key, { market: h.market, seriesId: h.seriesId, kind: h.kind, unit: h.unit, day, dayStart: clock.midnightUtc(day), dayEnd: clock.midnightUtc(addCentralDays(day, 1)), mean: h.mean, min: h.min, minAt: h.minAt, max: h.max, maxAt: h.maxAt, count: h.count, negative: h.negative, hours: 1 });
      continue;
    }
    d.mean = (d.mean * d.count + h.mean * h.count) / (d.count + h.count);
    d.count += h.count;
    d.negative += h.negative;
    d.hours += 1;
    if (h.min < d.min) [d.min, d.minAt] = [h.min, h.minAt];
    if (h.max > d.max) [d.max, d.maxAt] = [h.max, h.maxAt];
  }
  return [...byKey.values()];
}

/** A day's summary: "HB_WEST real-time price (ERCOT) on 2024-07-01 (Central): ... low -5.00 at 00:15 CT ..." (GB: "(UK)", "UK"). Id keyed by the day's start. */
export function dailyDocument(d: DailyStat, createdAt: number): MarketDocument {
  const clock = marketClock(d.market);
  const u = unitText(d.unit);
  const f = (v: number) => formatValue(v, d.unit);
  const negative = isPrice(d.kind) ? (d.negative > 0 ? ` ${d.negative} ${d.negative === 1 ? 'interval was' : 'intervals were'} negative.` : ' No interval was negative.') : '';
  return {
    id: documentId('daily-summary', d.market, d.seriesId, d.kind, d.dayStart),
    kind: 'daily-summary',
    seriesId: d.seriesId,
    rangeStart: d.dayStart,
    rangeEnd: d.dayEnd,
    text: `${d.seriesId} ${kindLabel(d.kind)} (${d.market}) on ${d.day} (${dayZone(clock)}): average ${f(d.mean)} ${u}, low ${f(d.min)} at ${clockTime(clock, d.minAt)}, high ${f(d.max)} at ${clockTime(clock, d.maxAt)}, from ${d.count} intervals in ${d.hours} hours.${negative}`,
    numbers: { mean: roundAsWritten(d.mean, d.unit), min: roundAsWritten(d.min, d.unit), max: roundAsWritten(d.max, d.unit), intervals: d.count, negativeIntervals: d.negative },
    createdAt,
  };
}

/** Price events: negative prices (one document per series and day), spikes and scarcity (one per hour). */
export function eventDocuments(hours: readonly HourlyStat[], days: readonly DailyStat[], createdAt: number, rules: EventRules = DEFAULT_EVENT_RULES): MarketDocument[] {
  const docs: MarketDocument[] = [];
  for (const d of days) {
    if (!isPrice(d.kind) || d.negative === 0) continue;
    const clock = marketClock(d.market);
    const u = unitText(d.unit);
    docs.push({
      id: documentId('event', d.market, d.seriesId, `${d.kind}:negative`, d.dayStart),
      kind: 'event',
      seriesId: d.seriesId,
      rangeStart: d.dayStart,
      rangeEnd: d.dayEnd,
      text: `Negative prices: ${d.seriesId} ${kindLabel(d.kind)} was below zero in ${d.negative} intervals on ${d.day} (${dayZone(clock)}), lowest ${formatValue(d.min, d.unit)} ${u} at ${clockTime(clock, d.minAt)}. Negative prices usually mean more wind or solar than the grid can use nearby.`,
      numbers: { negativeIntervals: d.negative, min: roundAsWritten(d.min, d.unit) },
      createdAt,
    });
  }
  const dayMean = new Map(days.map((d) => [seriesRecordKey(d, d.day), d.mean]));
  for (const h of hours) {
    if (!isPrice(h.kind)) continue;
    const clock = marketClock(h.market);
    const mean = dayMean.get(seriesRecordKey(h, clock.dateOf(h.hourStart))) ?? h.mean;
    const scarcity = h.max >= rules.scarcity;
    const spike = h.max >= rules.spikeMin && h.max >= rules.spikeFactor * Math.max(mean, 1);
    if (!scarcity && !spike) continue;
    const u = unitText(h.unit);
    const what = scarcity ? `Scarcity pricing: ${h.seriesId} ${kindLabel(h.kind)} reached ${formatValue(h.max, h.unit)} ${u}, near the $5,000/MWh offer cap,` : `Price spike: ${h.seriesId} ${kindLabel(h.kind)} reached ${formatValue(h.max, h.unit)} ${u},`;
    docs.push({
      id: documentId('event', h.market, h.seriesId, `${h.kind}:${scarcity ? 'scarcity' : 'spike'}`, h.hourStart),
      kind: 'event',
      seriesId: h.seriesId,
      rangeStart: h.hourStart,
      rangeEnd: h.hourStart + HOUR_MS,
      text: `${what} at ${clock.label(h.maxAt)}, against a daily average of ${formatValue(mean, h.unit)} ${u}.`,
      numbers: { max: roundAsWritten(h.max, h.unit), dailyMean: roundAsWritten(mean, h.unit) },
      createdAt,
    });
  }
  return docs;
}

/** A forecast's summary, times on the market's clock. Id keyed by the target start. */
export function forecastDocument(f: ForecastSnapshot, createdAt: number): MarketDocument {
  const clock = marketClock(f.market);
  const u = unitText(f.unit);
  const fv = (v: number) => formatValue(v, f.unit);
  const end = f.targetStart + f.values.length * f.stepMs;
  let hi = 0;
  let lo = 0;
  f.values.forEach((v, i) => {
    if (v > f.values[hi]!) hi = i;
    if (v < f.values[lo]!) lo = i;
  });
  const mean = f.values.reduce((a, b) => a + b, 0) / f.values.length;
  const at = (i: number) => clock.label(f.targetStart + i * f.stepMs);
  const first = f.values.slice(0, 6).map(fv).join(', ');
  return {
    id: documentId('forecast-snapshot', f.market, f.seriesId, f.kind, f.targetStart),
    kind: 'forecast-snapshot',
    seriesId: f.seriesId,
    rangeStart: f.targetStart,
    rangeEnd: end,
    text: `Forecast for ${f.seriesId} ${kindLabel(f.kind)} (${f.market}) by model ${f.modelVersion}, issued ${clock.label(f.issuedAt)}, for ${f.values.length} steps from ${clock.label(f.targetStart)}: average ${fv(mean)} ${u}, low ${fv(f.values[lo]!)} at ${at(lo)}, high ${fv(f.values[hi]!)} at ${at(hi)}. First values: ${first}.`,
    numbers: { mean: roundAsWritten(mean, f.unit), min: roundAsWritten(f.values[lo]!, f.unit), max: roundAsWritten(f.values[hi]!, f.unit), steps: f.values.length },
    createdAt,
  };
}

/**
 * Ids of documents an earlier summarizer wrote for these hours and this one no longer does: before documents followed
 * their market's clock (commit 8ef81a8 and after), every market's days were Central operating days, so a market on
 * another clock (GB: UK days) had its daily summaries and negative-price events keyed by Central midnights. For each
 * (market, series, kind) of `hours` on a clock other than US Central: the `daily-summary` id of every Central day an
 * hour falls in, and for a price kind the `event ... :negative` id of that day. Empty for ERCOT and any Central market,
 * whose ids are unchanged. A Central midnight is never the midnight of a UK day (the clocks are 5-7 hours apart), so no
 * id here is one the current documents use. The summarizer publishes these as tombstones with the new documents;
 * an id that never existed costs one null record, compacted away.
 * @returns ids, each once, in the order first met
 */
export function supersededDocumentIds(hours: readonly HourlyStat[]): string[] {
  const ids = new Set<string>();
  for (const h of hours) {
    if (marketClock(h.market) === CENTRAL_CLOCK) continue;
    const dayStart = centralMidnightUtc(centralDateOf(h.hourStart));
    ids.add(documentId('daily-summary', h.market, h.seriesId, h.kind, dayStart));
    if (isPrice(h.kind)) ids.add(documentId('event', h.market, h.seriesId, `${h.kind}:negative`, dayStart));
  }
  return [...ids];
}
