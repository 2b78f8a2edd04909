// How the product writes market values and times in text: prices with cents, MW whole, a kind in words, an instant
// as Central wall time ("2024-07-01 17:00 CT"). One place, so the summarizer's documents, the responder's facts and
// the answer checks write and read the same characters (the checks compare numbers and times as text).
import { centralOffsetMs } from './central-time.js';

const KIND_LABEL: Readonly<Record<string, string>> = {
  RT_PRICE: 'real-time price',
  DAM_PRICE: 'day-ahead price',
  LOAD: 'load',
  WIND: 'wind generation',
  SOLAR: 'solar generation',
};

/** A tick kind in words: RT_PRICE -> "real-time price"; a kind not listed in lower case. */
export function kindLabel(kind: string): string {
  return KIND_LABEL[kind] ?? kind.toLowerCase();
}

/** Whether a unit is money ("USD/MWh", "$/MWh", "$"). */
export function isMoneyUnit(unit: string): boolean {
  return unit.includes('$') || unit.startsWith('USD');
}

/**
 * A value as text: money with cents ("41.37"), anything else (MW, counts) rounded to a whole number ("52013").
 * @param value the number (NaN and infinities come out as JavaScript writes them)
 * @param unit  its unit, which decides the rounding
 */
export function formatValue(value: number, unit: string): string {
  return isMoneyUnit(unit) ? value.toFixed(2) : Math.round(value).toString();
}

/** The number `formatValue` writes, as a number (41.369 USD/MWh -> 41.37; 52_013.4 MW -> 52013). */
export function roundAsWritten(value: number, unit: string): number {
  return Number(formatValue(value, unit));
}

/**
 * Whole dollars as a sentence writes them, with thousands separators as the tables write money (one formatter for
 * chat and tables): 10771 -> "$10,771", -43.2 -> "-$43", the sign before the dollar sign (never "$-43", which the
 * answer checks would read as 43); a value that rounds to 0 is "$0".
 */
export function formatDollars(x: number): string {
  const whole = Math.round(x);
  return `${whole < 0 ? '-' : ''}$${Math.abs(whole).toLocaleString('en-US')}`;
}

/** A $/MWh price with cents, the sign before the dollar sign as formatDollars writes it: 31.254 -> "$31.25", -4.1 -> "-$4.10". */
export function formatPrice(x: number): string {
  return `${x < 0 ? '-' : ''}$${Math.abs(x).toFixed(2)}`;
}

/** A unit as a sentence writes it: "USD/MWh" -> "$/MWh"; others unchanged ("MW"). */
export function unitText(unit: string): string {
  return unit === 'USD/MWh' ? '$/MWh' : unit;
}

/** Central wall time of an instant as ISO text without a zone, "2024-07-01T17:00:00.000" (+ "Z" not meaning UTC). */
function centralIso(utcMs: number): string {
  return new Date(utcMs + centralOffsetMs(utcMs)).toISOString();
}

/**
 * "2024-07-01 17:00 CT": an instant in ERCOT's Central prevailing time, to the minute. The two 01:xx hours of the
 * fall-back day read alike (as a Central clock shows them).
 * @param utcMs UTC epoch ms
 * @throws RangeError when utcMs is not finite
 */
export function centralLabel(utcMs: number): string {
  const local = centralIso(utcMs);
  return `${local.slice(0, 10)} ${local.slice(11, 16)} CT`;
}

/** "17:00": the Central wall clock of an instant (UTC epoch ms), hours 00-23. */
export function centralClockText(utcMs: number): string {
  return centralIso(utcMs).slice(11, 16);
}

/**
 * A target or a set of series as the training messages write it, market/series/kind: "ERCOT/HB_NORTH/RT_PRICE",
 * several series comma-separated ("ERCOT/HB_NORTH,HB_WEST/RT_PRICE"), an empty list (every series) as "*". For
 * people, not a key (keys: market/series.ts).
 */
export function seriesLabel(market: string, seriesIds: string | readonly string[], kind: string): string {
  const ids = typeof seriesIds === 'string' ? [seriesIds] : seriesIds;
  return `${market}/${ids.length ? ids.join(',') : '*'}/${kind}`;
}

/**
 * ERCOT hour endings as ranges: [1, 2, 3, 7, 9, 10] -> "HE 1-3, HE 7, HE 9-10" (order and repeats ignored); "none"
 * for an empty list.
 */
export function hourEndingRanges(hes: readonly number[]): string {
  if (hes.length === 0) return 'none';
  const sorted = [...new Set(hes)].sort((a, b) => a - b);
  const parts: string[] = [];
  let a = sorted[0]!;
  let b = a;
  for (const h of sorted.slice(1)) {
    if (h === b + 1) b = h;
    else {
      parts.push(a === b ? `HE ${a}` : `HE ${a}-${b}`);
      a = b = h;
    }
  }
  parts.push(a === b ? `HE ${a}` : `HE ${a}-${b}`);
  return parts.join(', ');
}
