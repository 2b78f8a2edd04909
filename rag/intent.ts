// Questions become structured queries: a question -> an Intent {series, kind, period, measure}, which the responder
// turns into parameterised SQL (rag/tools.ts). Pure: the market clock and the series the market holds are inputs
// (rag/tools.ts marketClock reads them). Rule-based; a language model is never the source of a number here.
//
// Series: settlement point codes (HB_*, LZ_*, LZEW_*, DC_*, WZ_*), any other id the market or another market holds
// (TAYLOR_EW, kept in Intent.otherMarkets with its market), and SYSTEM as written; plain names ("Houston",
// "the West hub", "the Houston load zone", "Panhandle"); system-wide load, wind and solar are SYSTEM. A code the market
// does not hold is an unknown series (the answer lists the known ones). A chart's picked series is used only when
// the question names none.
import { type Period, describePeriod, isUnknownPeriod, resolvePeriod } from './market-clock.js';
import { SYSTEM_SERIES_ID } from '../market/series.js';
import { CENTRAL_CLOCK, type ZoneClock } from '../market/zone-clock.js';
import { ASSET_LIMITS } from '../dispatch/asset.js';

export const VALUE_KINDS = ['RT_PRICE', 'DAM_PRICE', 'LOAD', 'WIND', 'SOLAR'] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

/**
 * What is asked of the data:
 * latest        the latest stored value (the market clock's interval)
 * max / min     the highest / lowest value in the period, with its interval start
 * extremes      both, with times
 * mean          the average over the period
 * summary       mean, min, max with times and counts (a period with no narrower measure)
 * negative      how many intervals were below zero, and which (prices)
 * capped        intervals at the offer cap ($5,000/MWh) and at scarcity levels (>= $4,500/MWh), with the peak
 * compare       two or more series side by side over the same period (mean, min, max, difference of means)
 * rank          every hub (or load zone) ordered by the mean, highest / lowest first
 * relation      the price against wind, load or solar over the period: Pearson correlation of hourly means
 * forecast      the latest stored forecast for the series
 * dispatch      a battery's charge/discharge schedule (the dispatch engine)
 * asset         what a configured battery is and how the dispatcher schedules it (config/assets.json), no data
 * concept       an explanation from the concepts corpus, no data
 */
export type Measure = 'latest' | 'max' | 'min' | 'extremes' | 'mean' | 'summary' | 'negative' | 'capped' | 'compare' | 'rank' | 'relation' | 'forecast' | 'dispatch' | 'asset' | 'concept';

export interface Intent {
  measure: Measure;
  /** Known series the question names, in order (or the picked series, or those a measure scans). */
  series: string[];
  /** Codes the question names that the market does not hold. */
  unknownSeries: string[];
  kind: ValueKind | null;
  /** A value kind the market does not hold ("gas price", "temperature"), as written. */
  unknownKind?: string;
  period: Period | null;
  /** A relative-period phrase the market clock does not resolve. */
  unknownPeriod?: string;
  /** For relation: the driver the price is set against. */
  relationTo?: 'WIND' | 'LOAD' | 'SOLAR';
  /** For rank: whether the question asks for the lowest first. */
  ascending?: boolean;
  /** How many series the question itself names (before picked or scanned series are added). */
  named: number;
  /** For negative and capped: the question also asks for the average, high or low, so the period's statistics come too. */
  withStats?: boolean;
  /**
   * For dispatch: the size of the battery the question describes, instead of a configured one's: power in MW, energy
   * in MWh and/or duration in hours, at least one of them ("a 10 MW / 20 MWh battery", "a 10 MW 4-hour battery", "a
   * 10 MWh battery": the planner derives a figure not written from the duration written, else from the configured
   * battery's, rag/dispatch-answer.ts adhocSize). Absent with batteryProblem.
   */
  battery?: BatterySize;
  /** For dispatch: why the size written is not usable (not positive, too large, no unit, two of one figure, figures that disagree, a form not read), naming the figure. */
  batteryProblem?: string;
  /**
   * For dispatch: the question asks about the past ("did", "was", "were", "had", "has/have been", also with one word
   * between, "has bess-north been", "has/have done/charged/discharged", "done", "ran"), so a
   * span running at the market clock ("this week", "last night" at 02:00) means its part before the clock
   * (rag/dispatch-answer.ts askedDay), not the rest of it.
   */
  pastTense?: boolean;
  /**
   * For dispatch: the question has a past marker (as pastTense) and a future one ("will", "shall", "won't", "'ll",
   * "going to": FUTURE_MARKER) outside a future perfect, so it is read forward (the plan, pastTense unset) and the
   * answer says that its past part is not answered (rag/dispatch-answer.ts dispatchFact).
   */
  pastAlso?: boolean;
  /** For dispatch and asset: battery energy storage system (BESS) names the question writes ("bess-west"), lower-cased. */
  assetNames?: string[];
  /** Series the question names that another market holds (catalog.elsewhere): series id -> that market. */
  otherMarkets?: Record<string, string>;
  /**
   * Power markets (ISOs/RTOs) the question names by name, canonical ("PJM", "NYISO", "ERCOT"; marketsNamedIn), in the
   * order of MARKET_NAMES. The responder refuses a market it holds no data for, naming it and listing those it holds.
   */
  marketsNamed?: string[];
  /** For forecast: the question asks whether the price goes negative ("Will HB_WEST go negative tomorrow?"). */
  forecastNegative?: boolean;
  /**
   * For forecast: the question asks for the N best hours ("Top 3 hours to discharge at HB_WEST tomorrow", "the 4
   * cheapest hours to charge"): how many (1-24) and which end of the P50 ranking (highest: discharge, most expensive;
   * lowest: charge, cheapest).
   */
  topHours?: { count: number; order: 'highest' | 'lowest' };
}

/** What the market holds, for validation: its series and the kinds stored for each. */
export interface MarketCatalog {
  /** series id -> value kinds stored for it. */
  series: ReadonlyMap<string, readonly string[]>;
  /** Series of other markets: series id -> the market that holds it (the responder answers those in their market). */
  elsewhere?: ReadonlyMap<string, string>;
  /** The market's clock, on which periods resolve (market/zone-clock.ts marketClock; default US Central). */
  clock?: ZoneClock;
  /**
   * Configured batteries (config/assets.json): battery id, lower-cased ("bess-north") -> its settlement point
   * ("HB_NORTH"). A question naming one names its settlement point too ("prices at bess-north yesterday").
   */
  assets?: ReadonlyMap<string, string>;
}

const ALIASES: Array<[RegExp, string]> = [
  [/\b(?:the\s+)?houston\s+load\s+zone\b|\bload\s+zone\s+houston\b/i, 'LZ_HOUSTON'],
  [/\b(?:the\s+)?north\s+load\s+zone\b|\bload\s+zone\s+north\b/i, 'LZ_NORTH'],
  [/\b(?:the\s+)?south\s+load\s+zone\b|\bload\s+zone\s+south\b/i, 'LZ_SOUTH'],
  [/\b(?:the\s+)?west\s+load\s+zone\b|\bload\s+zone\s+west\b/i, 'LZ_WEST'],
  [/\bnorth\s+hub\b|\bhub\s+north\b/i, 'HB_NORTH'],
  [/\bsouth\s+hub\b|\bhub\s+south\b/i, 'HB_SOUTH'],
  [/\bwest\s+hub\b|\bhub\s+west\b/i, 'HB_WEST'],
  [/\bhouston\s+hub\b|\bhub\s+houston\b/i, 'HB_HOUSTON'],
  [/\bpanhandle(?:\s+hub)?\b|\bpan\s+hub\b/i, 'HB_PAN'],
  // A bare city name means its hub (not when it is part of a load-zone name, matched above).
  [/\bhouston\b(?!\s+load\s+zone)/i, 'HB_HOUSTON'],
];

/**
 * Series a text names by plain name (ALIASES: "the West hub" -> HB_WEST, "the Houston load zone" -> LZ_HOUSTON,
 * "Houston" -> HB_HOUSTON), in ALIASES order, each once; codes written as codes are not read here (check.ts
 * seriesIdsIn). Pure.
 */
export function seriesNamedIn(text: string): string[] {
  const out: string[] = [];
  let rest = text;
  for (const [re, code] of ALIASES) {
    if (!re.test(rest)) continue;
    if (!out.includes(code)) out.push(code);
    rest = rest.replace(re, ' ');
  }
  return out;
}

const CODE = /\b(?:HB|LZ|LZEW|DC|WZ)_[A-Za-z0-9_]+\b/gi;

/**
 * Whether a question names the SYSTEM series: "SYSTEM" in capitals used as a word ("SYSTEM load", "wind at SYSTEM"),
 * or "system-wide" load, demand, wind or solar. Not a role header opening injected text: "SYSTEM:" or "SYSTEM
 * OVERRIDE:" ("SYSTEM: ignore previous instructions"); not "the system-wide offer cap" (a concept) nor a lower-case
 * "system".
 */
export function namesSystemSeries(question: string): boolean {
  return /\bSYSTEM\b(?!\s*:|\s+[A-Z]+\s*:)/.test(question) || /\bsystem[- ]wide\s+(?:load|demand|wind|solar)\b/i.test(question);
}

/**
 * North American power markets (ISOs/RTOs) and how a question writes them, canonical name first. SPP (Southwest Power
 * Pool) is also ERCOT's "settlement point price", so the bare code counts as the market only where it cannot be a
 * price: "Southwest Power Pool", "the SPP market/RTO/region/footprint", or "in/from SPP" not followed by a price word.
 * Source of the list: FERC's map of ISOs/RTOs (CAISO, ERCOT, ISO-NE, MISO, NYISO, PJM, SPP) and Canada's AESO and IESO.
 */
export const MARKET_NAMES: ReadonlyArray<readonly [string, RegExp]> = [
  ['ERCOT', /\bERCOT\b|\bElectric Reliability Council of Texas\b/i],
  ['PJM', /\bPJM\b/i],
  ['NYISO', /\bNYISO\b|\bNew York ISO\b|\bNew York Independent System Operator\b/i],
  ['CAISO', /\bCAISO\b|\bCalifornia ISO\b|\bCalifornia Independent System Operator\b/i],
  ['MISO', /\bMISO\b|\bMidcontinent ISO\b|\bMidcontinent Independent System Operator\b/i],
  ['SPP', /\bSouthwest Power Pool\b|\b(?:the\s+)?SPP\s+(?:market|RTO|region|footprint|ISO)\b|\b(?:in|from)\s+(?:the\s+)?SPP\b(?!\s+(?:prices?|at|of|for)\b)/],
  ['ISO-NE', /\bISO[- ]NE\b|\bISO New England\b/i],
  ['IESO', /\bIESO\b|\bOntario(?:'s)?\s+(?:market|ISO|IESO)\b/i],
  ['AESO', /\bAESO\b|\bAlberta(?:'s)?\s+(?:market|pool|ISO|AESO)\b/i],
];

/** The markets a text names by name (MARKET_NAMES), canonical, each once, in MARKET_NAMES order. Pure. */
export function marketsNamedIn(text: string): string[] {
  return MARKET_NAMES.filter(([, re]) => re.test(text)).map(([name]) => name);
}

const COUNT_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, twelve: 12 };

/**
 * The N best hours a question asks for: "top 3 hours", "the 4 best hours", "3 cheapest hours", "five most expensive
 * hours" (1-24); order lowest when it asks to charge or for the cheapest/lowest hours, else highest (discharge, top,
 * most expensive). Null when none is asked. Pure.
 */
export function topHoursIn(q: string): { count: number; order: 'highest' | 'lowest' } | null {
  const m = /\b(?:(top|best|highest|lowest|cheapest|most\s+expensive)\s+(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|twelve)|(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+(best|highest|lowest|cheapest|most\s+expensive|priciest))\s+hours?\b/i.exec(q);
  if (!m) return null;
  const written = (m[2] ?? m[3])!.toLowerCase();
  const count = COUNT_WORDS[written] ?? Number(written);
  if (!(count >= 1 && count <= 24)) return null;
  const word = (m[1] ?? m[4])!.toLowerCase();
  const low = /^(?:lowest|cheapest)$/.test(word) || (/^(?:top|best)$/.test(word) && /\bcharg\w*\b/i.test(q) && !/\bdischarg\w*\b/i.test(q));
  return { count, order: low ? 'lowest' : 'highest' };
}

/** Value kinds nobody stores here, named so the answer can say so. */
const UNKNOWN_KINDS = /\b(gas|natural gas|coal|nuclear|hydro|emissions?|carbon|temperature|humidity|rain(?:fall)?|ancillary|reg(?:ulation)?[- ]up|spinning reserve|congestion rent|capacity price|lmp)\b/i;

function kindOf(q: string): ValueKind | null {
  if (/\bday[- ]ahead\b|\bDAM\b/i.test(q)) return 'DAM_PRICE';
  if (/\breal[- ]time\b|\bRT\b|\bprices?\b|\$|\bspike|\bnegative\b|\boffer cap\b|\bscarcity\b|\bcapped\b|\bSPP\b/i.test(q)) return 'RT_PRICE';
  if (/\bwind\b/i.test(q)) return 'WIND';
  if (/\bsolar\b/i.test(q)) return 'SOLAR';
  // "load zone" names a settlement point, not the load series.
  if (/\bload\b(?!\s+zones?\b)|\bdemand\b/i.test(q)) return 'LOAD';
  return null;
}

/**
 * A question asking what a named battery is or how it works, rather than what it does in a period: "how does/do/is X
 * work / operate / get scheduled / charge / decide", "what is X", "tell me about X", "explain / describe X", or one of
 * its configured figures (capacity, power, size, duration, efficiency, state of charge, cycle limit, degradation cost).
 */
const ASSET_EXPLAIN = /\bhow\s+(?:does|do|is|are)\b|\bwhat\s+(?:is|are)\s+(?:the\s+)?bess[-_]|\bwhat'?s\s+(?:the\s+)?bess[-_]|\btell\s+me\s+about\b|\bexplain\b|\bdescribe\b|\bspec(?:s|ification\w*)?\b|\bcapacity\b|\bhow\s+(?:big|large|much\s+(?:power|energy))\b|\bsize\b|\bduration\b|\befficien\w*\b|\bstate\s+of\s+charge\b|\bSoC\b|\bcycle\s+limit\b|\bdegradation\b|\bsettlement\s+point\b|\bconfigur\w*\b|\bparameters?\b/i;

const HUB = /^HB_/;
const ZONE = /^LZ_/;
const isPrice = (k: string | null) => k === 'RT_PRICE' || k === 'DAM_PRICE';

/** A past-tense marker of a dispatch question ("did", "was", "were", "had", "has/have (one word) been", "has/have done/charged/discharged", "done", "ran"): Intent.pastTense. */
const PAST_MARKER = /\b(?:did|was|were|had|ha(?:s|ve)\s+(?:\S+\s+)?been|ha(?:s|ve)\s+(?:done|charged|discharged)|done|ran)\b/i;
/** A future marker: "will", "shall", "won't", "'ll" ("it'll", "they'll", also with a typographic apostrophe), "going to". */
const FUTURE_MARKER = /\b(?:will|shall|won['’]t|going\s+to)\b|\w['’]ll\b/i;
/**
 * A future perfect: a future marker, at most two words (the battery's name, "it"), then "have" and at most one word
 * before "been", or "have done/charged/discharged" ("will bess-north have been fully charged", "will it have charged").
 * Taken out of the question before PAST_MARKER is tested: it names a time to come, not the past.
 */
const FUTURE_PERFECT = /(?:\b(?:will|shall|won['’]t)|\w['’]ll)\s+(?:\S+\s+){0,2}?ha(?:s|ve)\s+(?:(?:\S+\s+)?been|done|charged|discharged)\b/gi;

/**
 * The intent of a question. `now` is the market clock (UTC ms; see rag/market-clock.ts); `catalog` the series the
 * market holds (an empty catalog accepts every code); `picked` a series chosen on a chart, used only when the
 * question names none.
 */
export function parseIntent(question: string, now: number, catalog: MarketCatalog, picked?: string): Intent {
  const q = question;
  const known = catalog.series;
  const accept = (code: string) => known.size === 0 || known.has(code);
  const series: string[] = [];
  const unknownSeries: string[] = [];
  // A series another market holds is kept with that market (the responder answers it there).
  const otherMarkets: Record<string, string> = {};
  const add = (code: string) => {
    const c = code.toUpperCase();
    if (series.includes(c) || unknownSeries.includes(c)) return;
    const elsewhere = known.has(c) ? undefined : catalog.elsewhere?.get(c);
    if (elsewhere) otherMarkets[c] = elsewhere;
    (accept(c) || elsewhere ? series : unknownSeries).push(c);
  };
  for (const m of q.matchAll(CODE)) add(m[0]);
  // Any other series id written with an underscore that this market or another holds ("TAYLOR_EW").
  for (const m of q.matchAll(/\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]*[A-Za-z0-9]\b/g)) if (known.has(m[0].toUpperCase()) || catalog.elsewhere?.has(m[0].toUpperCase())) add(m[0]);
  if (namesSystemSeries(q)) add(SYSTEM_SERIES_ID);
  // A configured battery named ("bess-north") is at its settlement point: the series its prices are read from (when
  // the market holds it; else the dispatch answer says there is no forecast for it, not "no series").
  for (const m of q.matchAll(/\bbess[-_][a-z0-9][a-z0-9_-]*/gi)) {
    const sp = catalog.assets?.get(m[0].toLowerCase().replace(/[-_]+$/, ''));
    if (sp && accept(sp)) add(sp);
  }
  let text = q;
  for (const [re, code] of ALIASES) {
    if (re.test(text)) {
      add(code);
      text = text.replace(re, ' ');
    }
  }

  const resolved = resolvePeriod(q, now, catalog.clock);
  const period = resolved && !isUnknownPeriod(resolved) ? resolved : null;
  const unknownPeriod = isUnknownPeriod(resolved) ? resolved.unknown : undefined;
  const unknownKind = UNKNOWN_KINDS.exec(q)?.[1];
  let kind = kindOf(q);

  // Relation: a price set against wind, load or solar.
  const driver = /\bwind\b/i.test(q) ? 'WIND' : /\bsolar\b/i.test(q) ? 'SOLAR' : /\bload\b(?!\s+zones?\b)|\bdemand\b/i.test(q) ? 'LOAD' : undefined;
  const asksRelation = driver !== undefined && (series.length + unknownSeries.length > 0 || period !== null) && /\bprices?\b|\bRT\b|\breal[- ]time\b|\bday[- ]ahead\b|\bHB_|\bLZ_/i.test(q)
    && /\b(relat\w*|correlat\w*|affect\w*|impact\w*|depend\w*|driv\w*|track\w*|move[sd]? with|follow\w*|respond\w*|link\w*|connect\w*)\b/i.test(q);

  let measure: Measure;
  const named = series.length + unknownSeries.length;
  const dataWords = /\b(average|mean|high|highest|low|lowest|max|maximum|min|minimum|peak|spike[sd]?|negative|capped|latest|current|now|forecast|predict\w*|expect\w*|how (?:high|low|many|much)|what (?:was|is|were) the (?:price|load|wind|solar)|compare|versus|vs\.?|which (?:hub|zone|load zone|settlement point))\b/i;
  // BESS: battery energy storage system; "bess-west schedule tomorrow" names a configured battery.
  // A configured battery's name ("bess-north") with what it does or should do, or with a period, is a question about
  // its schedule too ("What did bess-north do yesterday?", "What should bess-north do tomorrow?"): the battery has no
  // series of its own, so read as a data question it lost its settlement point and answered "no data". Not when the
  // question asks for a value ("the price at bess-north yesterday": a data question at its settlement point, assets).
  // "What should bess-north do now?": "now", "currently", "right now", "at the moment", "this hour" with what it does
  // ask for the current hour of its plan (rag/dispatch-answer.ts askedDay), not a value, so they are no data words here.
  // With a do-verb ("What is bess-north expected to do tomorrow?", "What should bess-north do at the peak tomorrow?")
  // it is dispatch whatever data words appear (reviewer MEDIUM 4: expect*, peak, latest, forecast made it a price
  // forecast); only a value kind written (price, load, wind, solar: `kind`) makes it a data question.
  const bessName = /\bbess[-_][a-z0-9]/i.test(q);
  const doVerb = /\b(?:do|does|did|doing|done|should|run|ran|running|operat\w*)\b/i;
  const bessNamed = /\bbess\b/i.test(q) && /\b(?:schedul\w*|plan\w*|charg\w*|discharg\w*|dispatch\w*|cycl\w*)\b/i.test(q)
    || bessName && kind === null && (doVerb.test(q) || period !== null && !dataWords.test(q.replace(/\b(?:right now|now|currently|current|at the moment|this hour)\b/gi, ' ')));
  // "How does bess-north work?", "What is bess-north?", "Tell me about bess-west", "What is bess-north's capacity?": a
  // configured battery explained from its configuration (its size, efficiency, state-of-charge limits, settlement point
  // and how the dispatcher schedules it), not a plan (fresh-tester finding: it was answered with tomorrow's plan, or
  // with the latest price at its settlement point). Only with no period and no value kind: "How does bess-north charge
  // tomorrow?" is its plan, "What is the price at bess-north?" a price.
  const assetExplain = bessName && period === null && kind === null && ASSET_EXPLAIN.test(q) && !/\b(?:do|did|doing|should|will|would)\b/i.test(q);
  // "Should I charge my battery at HB_HOUSTON tomorrow?": a charge or discharge verb with a battery that is the asker's,
  // or at a settlement point or in a period the question names (not "how does a battery charge?", a concept). The
  // asker's: "my/our battery", with only size tokens between (MY_BATTERY: "my 10 MW / 20 MWh battery", "my 10 MW
  // 4-hour battery") and at most one other word ("my home battery"); not "in my experience, how does a battery
  // charge?" nor "how do my colleagues say a battery should charge?".
  const batteryAction = /\b(?:charg\w*|discharg\w*)\b[^?]*\bbatter(?:y|ies)\b|\bbatter(?:y|ies)\b[^?]*\b(?:charg\w*|discharg\w*)\b/i.test(q)
    && (named > 0 || period !== null || MY_BATTERY.test(q));
  // "Plan a 37 MW 111 MWh battery at HB_SOUTH for tomorrow", "What should a 37 MW / 111 MWh battery at HB_SOUTH do
  // tomorrow?": a battery with "plan", or with a size written (SIZE_FIGURE) and a period or "should/would", is the ad-hoc
  // battery's plan (fresh-tester finding: both got HB_SOUTH's price forecast, the 37 and 111 dropped). Not "how does a
  // 10 MW battery work?" (no period, a concept).
  const batteryWord = /\bbatter(?:y|ies)\b|\bBESS\b/i.test(q);
  const sizeWritten = new RegExp(SIZE_FIGURE.source, 'i').test(q);
  const batteryPlan = batteryWord && (/\bplan(?:s|ned|ning)?\b/i.test(q) || sizeWritten && (period !== null || /\b(?:should|would)\b/i.test(q)));
  // "What should the battery do tomorrow?", "What will my battery do tonight?": a battery with what it does or should
  // do, no value kind, and a period (or "the/my/our battery" with should/will) is a plan question about the configured
  // battery (fresh-tester finding, 2026-12-02: it was a summary of no series, "no real-time price data for the named
  // series"). Not "How does a battery work?" (no period, a concept) nor "What should a battery do when prices are
  // negative?" (a value kind written).
  const batteryDo = batteryWord && kind === null && doVerb.test(q)
    && (period !== null || /\b(?:the|my|our)\s+(?:batter(?:y|ies)|bess)\b/i.test(q) && /\b(?:should|will)\b/i.test(q));
  // "Top 3 hours to discharge at HB_WEST tomorrow": the forecast's hours ranked (looking forward, so a forecast).
  const topHours = topHoursIn(q);
  if (assetExplain) measure = 'asset';
  else if (bessNamed || batteryAction || batteryPlan || batteryDo || /\b(?:dispatch\s+(?:schedule|plan)|charg\w*\s+(?:schedule|plan)|schedule\b[^?]*\bbattery|battery\b[^?]*\bschedule|when\s+should\s+(?:i|we|my|the)\b[^?]*\b(?:charge|discharge|battery)|(?:charge|discharge)\s+tomorrow)\b/i.test(q)) measure = 'dispatch';
  else if (asksRelation) measure = 'relation';
  else if (/\bwhich\s+(?:hub|trading hub|load zone|zone|settlement point)s?\b/i.test(q)) measure = 'rank';
  else if (named >= 2 || /\bcompare\b|\bversus\b|\bvs\.?\s/i.test(q) && named >= 1) measure = 'compare';
  else if (topHours && (period === null || period.to > now) && (named > 0 || kind !== null)) measure = 'forecast';
  else if (/\bforecast\w*\b|\bpredict\w*\b|\bexpect\w*\b|\boutlook\b|\bwill\b/i.test(q) && (named > 0 || kind !== null) && !/\bforecaster\b/i.test(q)) measure = 'forecast';
  // A period wholly after the market clock is a forecast, unless the question asks about it in the past tense (no data yet).
  // Day-ahead prices for a coming day are stored data (the DAM clears the day before), not a forecast.
  else if (period && period.from >= now && (named > 0 || kind !== null) && kind !== 'DAM_PRICE' && !/\b(?:was|were|did|had)\b/i.test(q)) measure = 'forecast';
  else if (/\bnegative\b|\bbelow zero\b|\bunder zero\b|\bless than zero\b/i.test(q) && (named > 0 || period !== null)) measure = 'negative';
  else if (/\b(?:at|hit|reach\w*|near)\s+(?:the\s+)?(?:offer\s+)?cap\b|\bcapped\b|\bscarcity\b/i.test(q) && (named > 0 || period !== null)) measure = 'capped';
  else if (named === 0 && period === null && !(dataWords.test(q) && (picked !== undefined || kind === 'LOAD' || kind === 'WIND' || kind === 'SOLAR'))) measure = 'concept';
  else {
    const hi = /\b(highest|high|max|maximum|peak|spiked?|top|how high)\b/i.test(q);
    const lo = /\b(lowest|low|min|minimum|bottom|trough|how low)\b/i.test(q);
    const mean = /\b(average|mean|typical)\b/i.test(q);
    measure = hi && lo ? 'extremes' : hi ? 'max' : lo ? 'min' : mean ? 'mean' : period && period.rule !== 'now' ? 'summary' : 'latest';
  }

  // Series the measure needs when the question names none.
  const dataMeasure = measure !== 'concept' && measure !== 'dispatch' && measure !== 'asset';
  if (series.length === 0 && unknownSeries.length === 0 && dataMeasure) {
    if (kind === 'LOAD' || kind === 'WIND' || kind === 'SOLAR' || (measure === 'relation' && !isPrice(kind))) add(SYSTEM_SERIES_ID);
    else if (picked) add(picked);
  }
  if (measure === 'relation') {
    if (!isPrice(kind)) kind = 'RT_PRICE';
    // No series named: every hub.
    if (series.length === 0 && unknownSeries.length === 0) series.push(...[...known.keys()].filter((s) => HUB.test(s)).sort());
    if (series.length === 1 && series[0] === SYSTEM_SERIES_ID && known.size > 0) series.splice(0, 1, ...[...known.keys()].filter((s) => HUB.test(s)).slice(0, 1));
  }
  if (measure === 'rank' || ((measure === 'negative' || measure === 'capped' || measure === 'max' || measure === 'min' || measure === 'extremes') && series.length === 0 && unknownSeries.length === 0)) {
    const zones = /\bload zones?\b|\bzones?\b/i.test(q) && !/\bhubs?\b/i.test(q);
    const pool = [...known.keys()].filter((s) => (measure === 'rank' ? (zones ? ZONE.test(s) : HUB.test(s)) : HUB.test(s) || ZONE.test(s))).sort();
    if (series.length === 0) series.push(...pool);
    if (kind === null) kind = 'RT_PRICE';
  }
  // No kind written: the one kind the named series all store ("the forecast for TAYLOR_EW" is its load), else load
  // for SYSTEM, else the real-time price.
  const storedKinds = new Set(series.flatMap((s) => known.get(s) ?? []));
  const onlyKind = series.length > 0 && series.every((s) => known.has(s)) && storedKinds.size === 1 ? ([...storedKinds][0] as ValueKind) : null;
  if (dataMeasure && kind === null) kind = onlyKind && (VALUE_KINDS as readonly string[]).includes(onlyKind) ? onlyKind : series.every((s) => s === SYSTEM_SERIES_ID) && series.length > 0 ? 'LOAD' : 'RT_PRICE';
  const out: Intent = { measure, series, unknownSeries, kind, period, named };
  if (unknownKind) out.unknownKind = unknownKind;
  if (unknownPeriod) out.unknownPeriod = unknownPeriod;
  if (measure === 'relation' && driver) out.relationTo = driver;
  if ((measure === 'negative' || measure === 'capped') && /\b(average|mean|high|highest|low|lowest|peak)\b/i.test(q) && named > 0) out.withStats = true;
  if (measure === 'asset') out.assetNames = [...new Set([...q.matchAll(/\bbess[-_][a-z0-9][a-z0-9_-]*/gi)].map((m) => m[0].toLowerCase().replace(/[-_]+$/, '')))];
  if (measure === 'dispatch') {
    const size = parseBatterySize(q);
    if ('problem' in size) out.batteryProblem = size.problem;
    else if (size.size) out.battery = size.size;
    const names = [...q.matchAll(/\bbess[-_][a-z0-9][a-z0-9_-]*/gi)].map((m) => m[0].toLowerCase().replace(/[-_]+$/, ''));
    if (names.length > 0) out.assetNames = [...new Set(names)];
    // Past tense: "did", "was", "has been", and with the battery between "has" and "been" ("Has bess-north been
    // charging?", reviewer finding); one word only, so "have" far from "been" is not read as one verb. A future
    // perfect ("will bess-north have been charged", "what will it have been doing") is not past: its "have ... been"
    // is taken out first (reviewer MEDIUM). A question with a future marker and a past one ("How much will bess-north
    // charge today and has it been profitable?") is read forward, the plan, and marked pastAlso so the answer says so.
    const past = PAST_MARKER.test(q.replace(FUTURE_PERFECT, ' '));
    if (past && !FUTURE_MARKER.test(q)) out.pastTense = true;
    else if (past) out.pastAlso = true;
  }
  if (Object.keys(otherMarkets).length > 0) out.otherMarkets = otherMarkets;
  if (measure === 'forecast' && /\bnegative\b|\bbelow\s+(?:zero|0)\b|\bunder\s+(?:zero|0)\b/i.test(q) && isPrice(kind)) out.forecastNegative = true;
  if (measure === 'forecast' && topHours && isPrice(kind)) out.topHours = topHours;
  const marketsNamed = marketsNamedIn(q);
  if (marketsNamed.length > 0) out.marketsNamed = marketsNamed;
  if (measure === 'rank') out.ascending = /\b(lowest|least|cheapest|min\w*|smallest|fewest)\b/i.test(q);
  return out;
}

/**
 * A battery's size as a question writes it: power, MW, energy, MWh, and duration, hours (energy / power at full power);
 * at least one of the three. All three are written only when they agree (energy = power x duration).
 */
export interface BatterySize {
  powerMw?: number;
  energyMwh?: number;
  durationHours?: number;
}

/**
 * The largest battery a question may describe: 10,000 MW (10 GW) of power and 100,000 MWh (100 GWh) of energy, the
 * dispatch engine's own bounds (dispatch/asset.ts ASSET_LIMITS; GET /dispatch's ad-hoc battery has the same). The
 * largest batteries built are a few GWh: a bigger figure is a typo or a unit mix-up, and it would scale the LP badly.
 */
export const BATTERY_SIZE_LIMITS = { maxPowerMw: ASSET_LIMITS.maxPowerMw, maxEnergyMwh: ASSET_LIMITS.maxEnergyMwh } as const;

// A figure with a power or energy unit: "10 MW", "20MWh", "2.5-MW", "1,500 kWh", "0.5 GWh", "10 megawatts",
// "20 megawatt-hours". A sign written before it ("-10 MW") is kept, so that it is refused rather than read as 10.
const SIZE_FIGURE = /(?<![\w.]|\d,)(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?)\s*-?\s*(?:([kmg])w(h)?|(kilo|mega|giga)watts?(-?\s*hours?)?)(?![a-z])/gi;
const SCALE: Record<string, number> = { k: 0.001, kilo: 0.001, m: 1, mega: 1, g: 1000, giga: 1000 };
// A duration: "4-hour", "4 hours", "4 hrs", "4 h", "4h" (the "x 2h" of "10 MW x 2h" too). Counted as the battery's only
// inside a size phrase (SIZE_PHRASE): "the next 6 hours" is a period, "charge for 3 hours" not a size.
const DURATION = /(?<![\w.]|\d,)(-?\d+(?:\.\d+)?)\s*-?\s*(?:hours?|hrs?|h)(?![a-z])/gi;
// One token of a size phrase: a number with or without a power, energy or duration unit (also the forms refused by
// MALFORMED_FIGURE: "10,5 MWh", "1e3 MW", "10 m.w."), or "/", ",", "and", "x", "×", "by", "+".
const SIZE_TOKEN = String.raw`(?:-?\d[\d.,]*(?![\d.,])(?:e[+-]?\d+(?!\d))?(?:\s*(?:-\s*)?(?:[kmg]w(?:h)?|(?:kilo|mega|giga)watts?(?:-?\s*hours?)?|[kmg]\.\s*w\.?(?:\s*h\.?)?|hours?|hrs?|h)(?![a-z]))?|[/,×+]|\b(?:and|x|by)\b)`;
// A run of size tokens; one written straight before "battery" or "BESS", or holding a power or energy figure, is where
// a duration belongs to the battery ("a 10 MW 4-hour battery", "10 MW x 2h") (parseBatterySize checks which).
const SIZE_PHRASE = new RegExp(String.raw`(?:${SIZE_TOKEN}\s*)+`, 'gi');
// A number written straight before "battery" (or "BESS") with no unit, inside a size phrase: after a/an/my/our and
// only size tokens ("a 10 battery", "my 10 MW / 20 battery"). Not a count or a rank ("the top 3 battery discharge
// hours", "the next 2 battery cycles": reviewer finding, refused as a size "3" with no unit), nor "2 batteries".
// A 4-digit year is not a size ("the 2024 battery schedule"), isYear.
const UNITLESS_SIZE = new RegExp(String.raw`\b(?:a|an|my|our)\s+(?:${SIZE_TOKEN}\s*)*?(?<![\w.$]|\d,)(-?\d+(?:\.\d+)?)\s*-?\s*(?:battery|bess)\b`, 'gi');
// "my/our ... battery" with only size tokens between, and at most one other word right before "battery".
const MY_BATTERY = new RegExp(String.raw`\b(?:my|our)\s+(?:${SIZE_TOKEN}\s*)*(?:[a-z][\w-]*\s+)?batter(?:y|ies)\b`, 'i');
// Figures this parser does not read, refused naming the figure rather than dropped (a battery planned at a size not
// asked): a decimal comma ("10,5 MWh": 10.5 or 105?; any comma not in groups of three), an exponent ("1e3 MW"), a
// dotted unit ("10 m.w.").
const MALFORMED_FIGURE: Array<[RegExp, string]> = [
  [/(?<![\w.,])-?(?!\d{1,3}(?:,\d{3})+(?![\d,]))\d+(?:,\d+)+\s*-?\s*(?:[kmg]w|(?:kilo|mega|giga)watt)\w*/i, 'has a comma that is not a thousands separator: write decimals with a point ("10.5 MWh") and thousands in groups of three ("1,500 kWh")'],
  [/(?<![\w.])-?\d+(?:\.\d+)?e[+-]?\d+\s*-?\s*(?:[kmg]w|(?:kilo|mega|giga)watt)\w*/i, 'is written with an exponent: write the number in full ("1000 MW" or "1 GW")'],
  [/(?<![\w.])-?\d+(?:[.,]\d+)*\s*[kmg]\.\s*w\.?(?:\s*h\.?)?(?![a-z])/i, 'has a dotted unit: write the unit as kW, MW, GW (power) or kWh, MWh, GWh (energy)'],
];

/** A number as the answers write it: thousands commas, at most 6 decimals ("1,500", "3.333333"). */
export const figure = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 6 });

/** Whether a number is a year ("the 2024 battery schedule"), not a size: 4 digits, 1900-2099. */
const isYear = (written: string) => /^(?:19|20)\d{2}$/.test(written);

/**
 * The size of the battery a dispatch question describes, in MW, MWh and hours: a power figure (kW, MW, GW, or the
 * words kilowatts, megawatts, gigawatts), an energy figure (kWh, MWh, GWh, or kilowatt-hours ...) and/or a duration
 * ("4-hour", "4 hours", "4 hrs", "4 h", "4h"), in any order ("a 10 MW / 20 MWh battery", "20 MWh, 10 MW", "a 10 MWh
 * battery", "500 kW", "a 10 MW 4-hour battery", "10 MW x 2h"); kW and GW figures are converted to MW. A duration counts
 * only inside a size phrase (SIZE_PHRASE: right before "battery", or beside a power or energy figure): "in the next 6
 * hours" is a period. A 4-digit year before "battery" is not a size ("the 2024 battery schedule"). Pure.
 * @returns {size} with the figures written (size undefined when none is), or {problem}: a sentence naming the figure
 *          that is not usable: not positive ("-10 MW", "0 MWh", "0-hour"), above BATTERY_SIZE_LIMITS, a number right
 *          before "battery" with no unit ("a 10 battery"), two different figures of one kind ("10 MW or 20 MW"), a
 *          power, energy and duration that disagree ("10 MW, 20 MWh, 4-hour": 10 MW x 4 h is 40 MWh), or a figure
 *          written in a form this parser does not read (MALFORMED_FIGURE): a decimal comma ("10,5 MWh"), an exponent
 *          ("1e3 MW") or a dotted unit ("10 m.w."); these are refused, not guessed at nor dropped.
 */
export function parseBatterySize(question: string): { size?: BatterySize } | { problem: string } {
  for (const [re, why] of MALFORMED_FIGURE) {
    const m = re.exec(question);
    if (m) return { problem: `the battery figure "${m[0].trim()}" ${why}` };
  }
  const power: Array<{ mw: number; written: string }> = [];
  const energy: Array<{ mw: number; written: string }> = [];
  const hours: Array<{ mw: number; written: string }> = [];
  for (const m of question.matchAll(SIZE_FIGURE)) {
    const prefix = (m[2] ?? m[4]!).toLowerCase();
    const isEnergy = m[3] !== undefined || m[5] !== undefined;
    (isEnergy ? energy : power).push({ mw: Number(m[1]!.replace(/,/g, '')) * SCALE[prefix]!, written: m[0].trim() });
  }
  for (const phrase of question.matchAll(SIZE_PHRASE)) {
    const beforeBattery = /^\s*(?:batter(?:y|ies)|bess)\b/i.test(question.slice(phrase.index + phrase[0].length));
    if (!beforeBattery && [...phrase[0].matchAll(SIZE_FIGURE)].length === 0) continue;
    for (const d of phrase[0].matchAll(DURATION)) hours.push({ mw: Number(d[1]), written: d[0].trim() });
  }
  const unitless = [...question.matchAll(UNITLESS_SIZE)].find((m) => !isYear(m[1]!));
  if (unitless) return { problem: `the battery size "${unitless[1]}" has no unit: write its power in MW or its energy in MWh (for example "a ${unitless[1]!.replace(/^-/, '')} MWh battery")` };
  const one = (list: typeof power, what: string, unit: string, max: number): { value?: number; written?: string; problem?: string } => {
    const values = [...new Set(list.map((f) => f.mw))];
    if (values.length > 1) return { problem: `the question gives ${list.length} battery ${what} figures (${list.map((f) => f.written).join(', ')}): give one ${what} in ${unit}` };
    const f = list[0];
    if (!f) return {};
    if (!(f.mw > 0)) return { problem: `the battery ${what} "${f.written}" is not positive: a battery's ${what} must be above 0 ${unit}` };
    if (f.mw > max) return { problem: `the battery ${what} "${f.written}" is above the largest this planner accepts, ${figure(max)} ${unit} (${figure(max / 1000)} G${unit.slice(1)})` };
    return { value: f.mw, written: f.written };
  };
  const p = one(power, 'power', 'MW', BATTERY_SIZE_LIMITS.maxPowerMw);
  const e = one(energy, 'energy', 'MWh', BATTERY_SIZE_LIMITS.maxEnergyMwh);
  // A duration's bound is what it implies: the energy or power derived from it is checked (dispatch-answer.ts adhocSize).
  const d = one(hours, 'duration', 'hours', Number.POSITIVE_INFINITY);
  const problem = [p.problem, e.problem, d.problem].filter(Boolean).join('; ');
  if (problem) return { problem };
  if (p.value !== undefined && e.value !== undefined && d.value !== undefined) {
    const implied = p.value * d.value;
    if (Math.abs(implied - e.value) > 1e-6 * Math.max(e.value, implied)) {
      return { problem: `the battery figures disagree: "${p.written}" for "${d.written}" is ${figure(implied)} MWh, not "${e.written}" (energy = power x duration): give two of power, energy and duration` };
    }
  }
  if (p.value === undefined && e.value === undefined && d.value === undefined) return {};
  return { size: { ...(p.value !== undefined ? { powerMw: p.value } : {}), ...(e.value !== undefined ? { energyMwh: e.value } : {}), ...(d.value !== undefined ? { durationHours: d.value } : {}) } };
}

/**
 * A one-line description of an intent, for logs and the evaluation report: "stats RT_PRICE [HB_NORTH] yesterday
 * (2024-08-06 00:00 CT to 2024-08-07 00:00 CT)"; the period on `clock`, the market's the facts come from
 * (market/zone-clock.ts marketClock; default US Central): GB's "... 00:00 UK".
 */
export function describeIntent(i: Intent, clock: ZoneClock = CENTRAL_CLOCK): string {
  return `${i.measure} ${i.kind ?? '-'} [${i.series.join(',')}]${i.unknownSeries.length ? ` unknown [${i.unknownSeries.join(',')}]` : ''} ${i.period ? describePeriod(i.period, clock) : i.unknownPeriod ? `unknown period "${i.unknownPeriod}"` : 'no period'}`;
}
