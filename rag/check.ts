// The model's words, checked (issue 14): model text is kept only if
//  - every number in it matches a fact value (rag/tools.ts FactValue) with the same series, measure and time: a number
//    in a sentence that names a series must be a value of that series; one that follows a measure word ("average",
//    "high", "low") must be that measure; a clock time or date in the sentence must be the time of the value it goes
//    with. Not "appears somewhere in the context": a figure from another day, series or statistic fails;
//  - it does not repeat itself (a sentence twice, a word run looping);
//  - it ends on a full sentence (not cut off at the token limit);
//  - it does not say the opposite of an event count it answers ("No, there were no negative prices" when the facts
//    count negative intervals).
// Without facts (concept questions) the numbers must be written in the trusted documents the model was shown.
// Before the check, a sentence saying the data is not available is dropped when facts were found (dropDataDenials).
// Pure; the responder drops text that fails and says nothing extra.
import { CENTRAL_CLOCK, MARKET_CLOCKS, type ZoneClock } from '../market/zone-clock.js';
import { SYSTEM_SERIES_ID } from '../market/series.js';
import { numbersIn } from './grounding.js';
import { seriesNamedIn } from './intent.js';
import type { FactValue } from './tools.js';

export interface TextCheck {
  kept: boolean;
  /** Why the text was dropped: 'empty', 'wrong-number', 'repetition', 'unfinished', 'contradiction', 'unsupported'. */
  reasons: string[];
  /** Numbers that match no fact with the same series, measure and time. */
  wrong: number[];
}

const MEASURE_WORDS: Array<[RegExp, string[]]> = [
  [/\b(?:average|mean|averaged|typical)\b/i, ['mean']],
  [/\b(?:highest|high|max(?:imum)?|peak(?:ed)?|top|spiked?|rose to|reached)\b/i, ['max']],
  [/\b(?:lowest|low|min(?:imum)?|bottom(?:ed)?|trough|fell to|dropped to)\b/i, ['min']],
  [/\b(?:latest|current(?:ly)?|now)\b/i, ['latest']],
  [/\bnext\b/i, ['next']],
  [/\bcorrelation\b/i, ['correlation']],
];
const COMPARABLE = new Set(['mean', 'min', 'max', 'latest', 'next']);

/** The sentences of a text (split after . ! ? followed by a space or the end; decimals and "p.m." stay whole). */
export function sentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+(?=[A-Z0-9"'(])/).map((s) => s.trim()).filter(Boolean);
}

// A sentence saying the data is missing or the question cannot be answered: "The data is not available to answer the
// question.", "There is no data for that day.", "I don't have enough information to answer.", "I cannot answer that."
const DATA_DENIAL = /\b(?:data|information|prices?|figures?|values?|records?)\b[^.!?]*\b(?:is|are|was|were)\s+(?:not|un)\s*available\b|\bno\s+(?:such\s+|relevant\s+|price\s+)?(?:data|information)\b(?!\s+(?:points?|intervals?|values?)\b)|\bnot\s+enough\s+(?:data|information)\b|\b(?:do|does)\s*(?:not|n't)\s+(?:have|contain|include)\s+(?:the\s+|any\s+|enough\s+)?(?:data|information)\b|\b(?:cannot|can't|can\s+not|unable\s+to)\s+(?:be\s+)?answer\w*\b|\b(?:data|information)\s+(?:is|are)\s+(?:missing|lacking|insufficient)\b/i;

/** A configured battery's name as questions and answers write it ("bess-north"). */
const BATTERY_NAME = /\bbess[-_][a-z0-9]/i;

/**
 * The model's text without the sentences that say the data is not available (DATA_DENIAL), when the answer has facts
 * (`hasFacts`: database facts with values were found): such a sentence contradicts the facts stated above it
 * ("...no interval was negative. The data is not available to answer the question."). Only a bare denial is dropped:
 * a sentence is kept when it writes a number ("Prices for hours ending 20 to 24 were not available yet." - a partial
 * day), goes on with "but" ("I cannot answer what prices will be next week, but yesterday the average was ..."), names
 * a series other than `covered.series`, as an id or by name ("HB_WEST has no data for yesterday.", "There is no data
 * for the West hub." over HB_NORTH facts: rag/intent.ts seriesNamedIn; a written date is a number, so kept too), or
 * names a battery ("I cannot answer what bess-north actually did.": its facts are schedules, not metered output, so
 * the caveat is true; reviewer LOW 6); "no data points / intervals" is a count, not a denial. Without facts the
 * text is returned whole. Pure.
 * @param covered the series ids the facts hold values for (upper case, "HB_NORTH"); omitted: any series id written
 *                keeps the sentence
 * @returns {text, dropped}: the text with those sentences removed (blank lines collapsed; '' when nothing is left)
 *          and the sentences removed, in order
 */
export function dropDataDenials(text: string, hasFacts: boolean, covered: { series?: readonly string[] } = {}): { text: string; dropped: string[] } {
  if (!hasFacts) return { text, dropped: [] };
  const dropped: string[] = [];
  const bare = (s: string) => !/\d/.test(s) && !/\bbut\b/i.test(s) && !BATTERY_NAME.test(s)
    && [...seriesIdsIn(s), ...seriesNamedIn(s)].every((id) => covered.series?.includes(id));
  const paragraphs = text.split(/\n\s*\n/).map((p) => {
    const before = dropped.length;
    const kept = sentences(p).filter((s) => {
      if (!DATA_DENIAL.test(s) || !bare(s)) return true;
      dropped.push(s);
      return false;
    });
    return dropped.length === before ? p.trim() : kept.join(' ');
  });
  if (dropped.length === 0) return { text, dropped };
  return { text: paragraphs.filter((p) => p.trim() !== '').join('\n\n'), dropped };
}

/** Whether the text ends a sentence: its last character (after closing quotes or brackets) is . ! or ?. */
export function endsOnFullSentence(text: string): boolean {
  return /[.!?]["')\]]*\s*$/.test(text.trim());
}

/**
 * Degenerate repetition: a sentence of 3+ words that occurs twice, a 5-word sequence that occurs three times, or one
 * word four times in a row.
 */
export function isRepetitive(text: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9$.,\s-]/g, '').replace(/\s+/g, ' ').trim();
  const seen = new Set<string>();
  for (const s of sentences(text)) {
    const n = norm(s);
    if (n.split(' ').length < 3) continue;
    if (seen.has(n)) return true;
    seen.add(n);
  }
  const words = norm(text).split(' ').filter(Boolean);
  const grams = new Map<string, number>();
  for (let i = 0; i + 5 <= words.length; i++) {
    const g = words.slice(i, i + 5).join(' ');
    const c = (grams.get(g) ?? 0) + 1;
    if (c >= 3) return true;
    grams.set(g, c);
  }
  for (let i = 0; i + 4 <= words.length; i++) if (words[i] === words[i + 1] && words[i] === words[i + 2] && words[i] === words[i + 3]) return true;
  return false;
}


/** Clock times written in a sentence ("18:30", "6:30 pm", "6 p.m.") as "HH:MM", with their positions. */
function timesIn(s: string): Array<{ hhmm: string; index: number; raw: string }> {
  const out: Array<{ hhmm: string; index: number; raw: string }> = [];
  for (const m of s.matchAll(/\b(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?![a-z])|\b(\d{1,2}):(\d{2})\b/gi)) {
    let h: number;
    let min: number;
    if (m[3]) {
      h = Number(m[1]) % 12 + (/^p/i.test(m[3]) ? 12 : 0);
      min = Number(m[2] ?? 0);
    } else {
      h = Number(m[4]);
      min = Number(m[5]);
    }
    if (h > 24 || min > 59) continue;
    out.push({ hhmm: `${String(h % 24).padStart(2, '0')}:${String(min).padStart(2, '0')}`, index: m.index!, raw: m[0] });
  }
  return out;
}

const STOPWORDS = new Set(('that this with from have which their there they them then than when what where will would could should about into also been more most much such only other some your these those were being does very just like over under each many make made more mostly because while after before between during through same both '
  + 'here high higher lower price prices market markets energy power').split(' '));
const contentWords = (text: string): string[] => (text.toLowerCase().match(/[a-z][a-z'-]{3,}/g) ?? []).map((w) => w.replace(/'s$|s$/, '')).filter((w) => !STOPWORDS.has(w));

/**
 * Sentences of a concept explanation that the documents shown to the model do not support: a sentence of three or
 * more content words (4+ letters, not stop words, plural folded) of which under 70% occur in the documents, or one
 * that names a capitalised word (not the first) the documents never use ("the North East of Germany" in an answer
 * about ERCOT's offer cap). A lexical check, not understanding: it keeps paraphrase close to the documents and drops
 * what the small model adds from nowhere. Pure.
 */
export function unsupportedSentences(text: string, documents: readonly string[]): string[] {
  const vocab = new Set(documents.flatMap((d) => contentWords(d)));
  const docText = documents.join(' ').toLowerCase();
  return sentences(text).filter((snt) => {
    const words = contentWords(snt);
    const known = words.filter((w) => vocab.has(w)).length;
    if (words.length >= 3 && known / words.length < 0.7) return true;
    const names = [...snt.matchAll(/(?<=\s)[A-Z][a-z]{2,}\b/g)].map((m) => m[0].toLowerCase());
    return names.some((n) => !docText.includes(n));
  });
}

/** Event counts a yes/no answer is about, with the words a sentence uses for them. */
const EVENT_COUNTS: Array<{ measure: string; words: RegExp }> = [
  { measure: 'negativeIntervals', words: /\bnegative\b|\bbelow zero\b/i },
  { measure: 'cappedIntervals', words: /\bcap(?:ped)?\b|\boffer cap\b/i },
  { measure: 'scarcityIntervals', words: /\bscarcity\b|\bspikes?\b/i },
];
const NEGATION = /\b(?:no|none|not|never|zero|neither|nor|nothing|didn't|wasn't|weren't|hasn't|haven't)\b/i;

/**
 * Whether model text says the opposite of an event count it answers: "No, there were no negative prices" when the
 * facts count negative intervals (> 0), or "Yes" / an affirmed event when every such count is 0. A yes/no answer
 * has no number for the number check to catch, so it is checked by polarity: a leading "No"/"Yes", or a sentence that
 * names the event with a negation word. Pure.
 */
export function contradictsCounts(text: string, values: readonly FactValue[]): boolean {
  const leadNo = /^\s*no\b/i.test(text);
  const leadYes = /^\s*yes\b/i.test(text);
  for (const { measure, words } of EVENT_COUNTS) {
    const counts = values.filter((v) => v.measure === measure);
    if (counts.length === 0) continue;
    const present = counts.some((v) => v.value > 0);
    const denied = sentences(text).some((snt) => words.test(snt) && NEGATION.test(snt));
    if (present && (leadNo || denied)) return true;
    if (!present && leadYes) return true;
  }
  return false;
}

const NUMBER_RE = /(?<![\w.])-?\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|(?<![\w.])-?\$?\d+(?:\.\d+)?(?![\d])/g;

/** Measure words in a text with their positions. */
function measureWordsIn(text: string): Array<{ at: number; measures: string[] }> {
  const out: Array<{ at: number; measures: string[] }> = [];
  for (const [re, measures] of MEASURE_WORDS) for (const w of text.matchAll(new RegExp(re.source, 'gi'))) out.push({ at: w.index!, measures });
  return out.sort((a, b) => a.at - b.at);
}

/**
 * The measure words a number at `index` (length `length`) in a masked sentence is bound to, each as the measures it
 * names: the closest measure word in the 60 characters before it, and the measure words after it up to the next
 * number or the end of the sentence ("23.02 $/MWh, which is the lowest price"), except the last of those when another
 * number follows ("23.02, low 15": "low" is the next number's). Pure.
 */
export function boundMeasures(masked: string, index: number, length: number): string[][] {
  const bound: string[][] = [];
  const before = measureWordsIn(masked.slice(Math.max(0, index - 60), index)).at(-1);
  if (before) bound.push(before.measures);
  const rest = masked.slice(index + length);
  const next = new RegExp(NUMBER_RE.source).exec(rest);
  const after = measureWordsIn(next ? rest.slice(0, next.index) : rest);
  bound.push(...(next ? after.slice(0, -1) : after).map((w) => w.measures));
  return bound;
}

/** A period bound written in text: a date and, when written, its clock time. */
interface Bound {
  date: string;
  time?: string;
}

/** What a written time may carry after it: each market clock's suffix ("CT", "UK"). */
const CLOCK_SUFFIX = [...new Set([CENTRAL_CLOCK, ...Object.values(MARKET_CLOCKS)].map((c) => c.suffix))].join('|');
const RANGE_RE = new RegExp(`(\\d{4}-\\d{2}-\\d{2})(?:\\s+(\\d{1,2}:\\d{2}))?(?:\\s*(?:${CLOCK_SUFFIX}))?\\s+(?:to|until|through|and|-|–)\\s+(\\d{4}-\\d{2}-\\d{2})(?:\\s+(\\d{1,2}:\\d{2}))?`, 'gi');

/** Periods written as "DATE [TIME] [CT|UK] to DATE [TIME]" (also until, through, and, a dash), with their positions. */
export function rangesIn(text: string): Array<{ from: Bound; to: Bound; index: number; length: number }> {
  return [...text.matchAll(RANGE_RE)].map((m) => ({
    from: { date: m[1]!, ...(m[2] ? { time: m[2].padStart(5, '0') } : {}) },
    to: { date: m[3]!, ...(m[4] ? { time: m[4].padStart(5, '0') } : {}) },
    index: m.index!,
    length: m[0].length,
  }));
}

/** Whether a written bound is a stated one: the same date, and the same time when both write one. */
const sameBound = (a: Bound, b: Bound) => a.date === b.date && (a.time === undefined || b.time === undefined || a.time === b.time);

/** Value kinds and other capitalised identifiers that are not series ids. */
const NOT_SERIES = new Set(['RT_PRICE', 'DAM_PRICE']);

/** Series ids a sentence writes: settlement point codes and other upper-case ids with an underscore (TAYLOR_EW). */
export function seriesIdsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0]).filter((id) => !NOT_SERIES.has(id)))];
}

/** A word of letters and digits, joined by - _ . or : ("20261202T153012345Z-tfjs-ab12", "taylor-1", "m1", "P10"). */
const ID_TOKEN = /(?<![A-Za-z0-9])[A-Za-z0-9]+(?:[-_.:][A-Za-z0-9]+)*/g;

/**
 * The identifiers a text writes that hold both letters and digits (model versions such as "20261202T153012345Z-tfjs-
 * ab12", "taylor-1", "m1"; band names "P10"): labels, whose digits are no figure and no date. Pure.
 */
export function identifiersIn(text: string): Set<string> {
  return new Set([...text.matchAll(ID_TOKEN)].map((m) => m[0]).filter((t) => /[A-Za-z]/.test(t) && /\d/.test(t)));
}

const near = (a: number, b: number) => Math.abs(a - b) < 0.005 + 1e-9 || Math.abs(Math.abs(a) - Math.abs(b)) < 0.005 + 1e-9;

/**
 * Checks model text against the facts' values. `series` are the series codes the facts are about (a sentence that
 * names one of them restricts its numbers to it); `periodTexts` are the fact sentences, whose dates and times (the
 * period bounds) a model may repeat; `documents` are trusted document texts whose numbers count only when there are
 * no fact values (concept answers); `clock` the facts' market clock, on which the values' times are read (default US
 * Central; market/zone-clock.ts marketClock).
 */
export function checkModelText(text: string, values: readonly FactValue[], opts: { periodTexts?: readonly string[]; documents?: readonly string[]; clock?: ZoneClock } = {}): TextCheck {
  const clock = opts.clock ?? CENTRAL_CLOCK;
  const t = text.trim();
  if (!t) return { kept: false, reasons: ['empty'], wrong: [] };
  const reasons: string[] = [];
  if (!endsOnFullSentence(t)) reasons.push('unfinished');
  if (isRepetitive(t)) reasons.push('repetition');
  const wrong: number[] = [];
  const allSeries = [...new Set(values.map((v) => v.series))];
  const factText = (opts.periodTexts ?? []).join(' ');
  const docNumbers = new Set((opts.documents ?? []).flatMap((d) => numbersIn(d)).map((v) => Math.round(Math.abs(v) * 100)));
  // Identifiers the facts write (the model version "20261202T153012345Z-tfjs-ab12") are labels: blanked before dates,
  // times and numbers are read, so their digits are not checked as figures (fresh-tester finding: "ungrounded:
  // [20261202]" dropped the model's text for naming the model). An identifier the facts do not write stays, and its
  // digits are checked as before.
  const factIds = identifiersIn(factText);
  // Dates the facts write outside any period ("issued 2024-06-24 00:00 CT"): stated, so grounded where written alone.
  const factRangesAll = rangesIn(factText);
  const standaloneDates = new Set([...factText.matchAll(/\b\d{4}-\d{2}-\d{2}\b/g)].filter((m) => !factRangesAll.some((f) => m.index! >= f.index && m.index! < f.index + f.length)).map((m) => m[0]));
  for (const sentence of sentences(t)) {
    const s = sentence.replace(ID_TOKEN, (tok) => (factIds.has(tok) ? ' '.repeat(tok.length) : tok));
    const named = allSeries.filter((code) => new RegExp(`\\b${code}\\b`, 'i').test(sentence));
    const times = timesIn(s);
    const dates = [...s.matchAll(/\b\d{4}-\d{2}-\d{2}\b/g)].map((m) => ({ date: m[0], index: m.index! }));
    // Dates and times first: each must be a fact value's time or a bound the facts state.
    for (const d of dates) if (!factText.includes(d.date) && !values.some((v) => v.at !== undefined && clock.dateOf(v.at) === d.date)) wrong.push(Number(d.date.replace(/-/g, '')));
    for (const tm of times) if (!factText.includes(tm.hhmm) && !values.some((v) => v.at !== undefined && clock.clockText(v.at) === tm.hhmm)) wrong.push(Number(tm.hhmm.replace(':', '.')));
    // A date written with its time ("2024-06-15 20:00") is one instant: it must be a fact value's time or a bound the
    // facts state together, not a true date beside a true clock time from another day.
    for (const d of dates) {
      const tm = times.find((x) => x.index >= d.index + 10 && x.index - (d.index + 10) <= 3);
      if (!tm) continue;
      if (!factText.includes(`${d.date} ${tm.hhmm}`) && !values.some((v) => v.at !== undefined && clock.dateOf(v.at) === d.date && clock.clockText(v.at) === tm.hhmm)) wrong.push(Number(`${d.date.replace(/-/g, '')}${tm.hhmm.replace(':', '')}`));
    }
    // A period the sentence writes ("2024-06-17 00:00 CT to 2024-06-24 00:00 CT") must be one a fact states, bounds in
    // that order; a date written alone must be a value's date or a day inside a stated period (not its exclusive end).
    const ranges = rangesIn(s);
    const factRanges = rangesIn(factText);
    for (const r of ranges) if (!factRanges.some((f) => sameBound(r.from, f.from) && sameBound(r.to, f.to))) wrong.push(Number(r.from.date.replace(/-/g, '')));
    for (const d of dates) {
      if (ranges.some((r) => d.index >= r.index && d.index < r.index + r.length) || standaloneDates.has(d.date)) continue;
      const inPeriod = factRanges.some((f) => d.date >= f.from.date && (d.date < f.to.date || (d.date === f.to.date && (f.to.time ?? '00:00') !== '00:00')));
      if (!inPeriod && factRanges.length > 0 && !values.some((v) => v.at !== undefined && clock.dateOf(v.at) === d.date)) wrong.push(Number(d.date.replace(/-/g, '')));
    }
    // A sentence that names a series the facts are not about ("The average TAYLOR_EW load is 65418 MW." over SYSTEM
    // facts) states none of the facts' numbers.
    const foreign = seriesIdsIn(sentence).filter((id) => !allSeries.includes(id));
    // Then every other number, with its place in the sentence.
    let masked = s;
    for (const x of [...times.map((m) => ({ i: m.index, n: m.raw.length })), ...dates.map((d) => ({ i: d.index, n: 10 }))]) masked = masked.slice(0, x.i) + ' '.repeat(x.n) + masked.slice(x.i + x.n);
    masked = masked.replace(/\b(?:HB|LZ|LZEW|DC|WZ)_[A-Z0-9_]+\b/gi, (m) => ' '.repeat(m.length));
    for (const m of masked.matchAll(NUMBER_RE)) {
      const n = Number(m[0].replace(/[$,]/g, ''));
      if (!Number.isFinite(n)) continue;
      if (values.length === 0) {
        if (!docNumbers.has(Math.round(Math.abs(n) * 100))) wrong.push(n);
        continue;
      }
      let cands = values.filter((v) => near(v.value, n));
      if (named.length > 0) cands = cands.filter((v) => named.includes(v.series) || v.series === SYSTEM_SERIES_ID && !allSeries.every((x) => x === SYSTEM_SERIES_ID));
      else if (foreign.length > 0) cands = [];
      // Measure words bound to the number (the closest before it in the clause, and those after it that describe it:
      // "23.02 $/MWh, which is the lowest") must each be the value's measure.
      for (const measures of boundMeasures(masked, m.index!, m[0].length)) cands = cands.filter((v) => !COMPARABLE.has(v.measure) || measures.includes(v.measure));
      // A time after the number in the same sentence ("... 61.20 at 18:30") must be the value's time.
      const after = times.filter((tm) => tm.index > m.index! && tm.index - m.index! < 40);
      if (after.length > 0 && cands.some((v) => v.at !== undefined)) cands = cands.filter((v) => v.at === undefined || clock.clockText(v.at) === after[0]!.hhmm);
      if (cands.length === 0) wrong.push(n);
    }
  }
  if (wrong.length > 0) reasons.push('wrong-number');
  if (contradictsCounts(t, values)) reasons.push('contradiction');
  if (values.length === 0 && opts.documents && opts.documents.length > 0 && unsupportedSentences(t, opts.documents).length > 0) reasons.push('unsupported');
  return { kept: reasons.length === 0, reasons, wrong: [...new Set(wrong)] };
}
