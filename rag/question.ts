// What a question names: settlement points or series, a period, real-time or day-ahead, whether it asks for a
// forecast. Pure; the responder turns it into retrieval filters and tool calls.
import { DAY_MS, centralDateOf, centralMidnightUtc } from '../market/central-time.js';
import { SYSTEM_SERIES_ID } from '../market/series.js';
import { namesSystemSeries } from './intent.js';

export interface ParsedQuestion {
  series: string[];
  /** The period named, [from, to) epoch ms, or null when none is. */
  period: { from: number; to: number; label: string } | null;
  kind: 'RT_PRICE' | 'DAM_PRICE' | 'LOAD' | 'WIND' | 'SOLAR' | null;
  wantsForecast: boolean;
}

/** Plain-language names of the hubs and load zones, checked after explicit codes. */
const ALIASES: Array<[RegExp, string]> = [
  [/\bnorth hub\b/i, 'HB_NORTH'],
  [/\bsouth hub\b/i, 'HB_SOUTH'],
  [/\bwest hub\b/i, 'HB_WEST'],
  [/\bhouston hub\b/i, 'HB_HOUSTON'],
  [/\bpanhandle\b/i, 'HB_PAN'],
  [/\bhouston load zone\b/i, 'LZ_HOUSTON'],
  [/\bnorth load zone\b/i, 'LZ_NORTH'],
  [/\bsouth load zone\b/i, 'LZ_SOUTH'],
  [/\bwest load zone\b/i, 'LZ_WEST'],
];

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

function centralDay(date: string, days = 1, label = date): { from: number; to: number; label: string } {
  const from = centralMidnightUtc(date);
  // The day after `days` days: step to the middle of the last day and on past midnight, then back to its midnight.
  const to = centralMidnightUtc(centralDateOf(from + (days - 1) * DAY_MS + DAY_MS + 2 * 3_600_000));
  return { from, to, label };
}

const pad = (n: number) => String(n).padStart(2, '0');

export function parseQuestion(question: string, now: number, pickedSeries?: string): ParsedQuestion {
  const series = new Set<string>();
  if (pickedSeries) series.add(pickedSeries.toUpperCase());
  for (const m of question.matchAll(/\b(?:HB|LZ|WZ)_[A-Za-z_]+\b/gi)) series.add(m[0].toUpperCase());
  if (namesSystemSeries(question)) series.add(SYSTEM_SERIES_ID);
  if (series.size === (pickedSeries ? 1 : 0)) for (const [re, code] of ALIASES) if (re.test(question)) series.add(code);

  let period: ParsedQuestion['period'] = null;
  const today = centralDateOf(now);
  const iso = /\b(\d{4})-(\d{2})-(\d{2})\b/.exec(question);
  const named = new RegExp(`\\b(${MONTHS.join('|')})\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})\\b`, 'i').exec(question);
  if (iso) period = centralDay(`${iso[1]}-${iso[2]}-${iso[3]}`);
  else if (named) period = centralDay(`${named[3]}-${pad(MONTHS.indexOf(named[1]!.toLowerCase()) + 1)}-${pad(Number(named[2]))}`);
  else if (/\byesterday\b|\blast night\b/i.test(question)) period = { ...centralDay(centralDateOf(centralMidnightUtc(today) - 12 * 3_600_000)), label: 'yesterday' };
  else if (/\btoday\b|\btonight\b|\bthis morning\b/i.test(question)) period = { ...centralDay(today), label: 'today' };
  else {
    const lastDays = /\b(?:last|past)\s+(\d{1,2})\s+days\b/i.exec(question);
    const week = /\b(?:last|past|this)\s+week\b/i.test(question);
    const n = lastDays ? Number(lastDays[1]) : week ? 7 : 0;
    if (n > 0) {
      const first = centralDateOf(centralMidnightUtc(today) - (n - 1) * DAY_MS + 2 * 3_600_000);
      period = { ...centralDay(first, n), label: `the last ${n} days` };
    }
  }

  const kind = /\bday[- ]ahead\b|\bDAM\b/i.test(question) ? 'DAM_PRICE'
    : /\breal[- ]time\b|\bRT\b|\bprice|\$|\bspike|\bnegative\b/i.test(question) ? 'RT_PRICE'
      : /\bwind\b/i.test(question) ? 'WIND'
        : /\bsolar\b/i.test(question) ? 'SOLAR'
          // "load zone" names a settlement point, not the load series.
          : /\bload\b(?!\s+zones?\b)|\bdemand\b/i.test(question) ? 'LOAD'
            : null;
  // Load, wind and solar are system-wide series unless the question names a zone.
  if (series.size === 0 && (kind === 'LOAD' || kind === 'WIND' || kind === 'SOLAR')) series.add(SYSTEM_SERIES_ID);
  const wantsForecast = /\bforecast|\bpredict|\bexpect|\bwill\b|\bnext\s+(?:\d+\s+)?hours?\b|\btomorrow\b/i.test(question);
  return { series: [...series], period, kind, wantsForecast };
}
