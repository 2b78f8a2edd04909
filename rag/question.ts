// What a question names: settlement points or series, a period, real-time or day-ahead, whether it asks for a
// forecast. Pure; the responder turns it into retrieval filters and tool calls. Days are counted on the market's
// clock (market/zone-clock.ts: US Central for ERCOT, UK time for GB), given by the caller; default US Central.
import { addCentralDays } from '../market/central-time.js';
import { SYSTEM_SERIES_ID } from '../market/series.js';
import { CENTRAL_CLOCK, type ZoneClock } from '../market/zone-clock.js';
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

/** `days` whole local days from `date` ("YYYY-MM-DD") on `clock`: [its midnight, the midnight `days` later), UTC ms (23/25-hour days on a clock change). */
function localDays(clock: ZoneClock, date: string, days = 1, label = date): { from: number; to: number; label: string } {
  return { from: clock.midnightUtc(date), to: clock.midnightUtc(addCentralDays(date, days)), label };
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The series, period, value kind and forecast wish a question names (the issue-7 path; the responder's own parser is
 * rag/intent.ts parseIntent).
 * @param question    the asker's text
 * @param now         the market clock, UTC epoch ms (the end of the latest stored interval, rag/market-clock.ts)
 * @param pickedSeries a series chosen beside the question (the dashboard's), added first
 * @param clock       the market's clock (market/zone-clock.ts marketClock(market)): days named ("yesterday",
 *                    "2000-06-05", "the last 3 days") are its local days; default US Central (ERCOT)
 * @returns period [from, to) in UTC ms, or null when none is named
 */
export function parseQuestion(question: string, now: number, pickedSeries?: string, clock: ZoneClock = CENTRAL_CLOCK): ParsedQuestion {
  const series = new Set<string>();
  if (pickedSeries) series.add(pickedSeries.toUpperCase());
  for (const m of question.matchAll(/\b(?:HB|LZ|WZ)_[A-Za-z_]+\b/gi)) series.add(m[0].toUpperCase());
  if (namesSystemSeries(question)) series.add(SYSTEM_SERIES_ID);
  if (series.size === (pickedSeries ? 1 : 0)) for (const [re, code] of ALIASES) if (re.test(question)) series.add(code);

  let period: ParsedQuestion['period'] = null;
  const today = clock.dateOf(now);
  const day = (date: string, days = 1) => localDays(clock, date, days);
  const iso = /\b(\d{4})-(\d{2})-(\d{2})\b/.exec(question);
  const named = new RegExp(`\\b(${MONTHS.join('|')})\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})\\b`, 'i').exec(question);
  if (iso) period = day(`${iso[1]}-${iso[2]}-${iso[3]}`);
  else if (named) period = day(`${named[3]}-${pad(MONTHS.indexOf(named[1]!.toLowerCase()) + 1)}-${pad(Number(named[2]))}`);
  else if (/\byesterday\b|\blast night\b/i.test(question)) period = { ...day(addCentralDays(today, -1)), label: 'yesterday' };
  else if (/\btoday\b|\btonight\b|\bthis morning\b/i.test(question)) period = { ...day(today), label: 'today' };
  else {
    const lastDays = /\b(?:last|past)\s+(\d{1,2})\s+days\b/i.exec(question);
    const week = /\b(?:last|past|this)\s+week\b/i.test(question);
    const n = lastDays ? Number(lastDays[1]) : week ? 7 : 0;
    if (n > 0) {
      period = { ...day(addCentralDays(today, -(n - 1)), n), label: `the last ${n} days` };
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
