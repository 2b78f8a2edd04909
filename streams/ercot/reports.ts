// The five ERCOT public reports we ingest, and the row -> MarketTick mapping shared by the API client and the MIS
// CSV replay. Rows are read by column name (API `fields[].name` or CSV header), never by position; names are
// matched ignoring case, spaces and underscores, with a few documented aliases (e.g. "SettlementPointName",
// "Repeated Hour Flag", "OperDay"). Every row yields one Parsed per tick it carries (one for prices, wind and
// solar; nine for a weather-zone load row), or one rejection when the row as a whole is unusable.
//
// Field names verified against ERCOT's public API (fields[] of live responses as recorded in public client
// fixtures, and the OpenAPI spec github.com/ercot/api-specs pubapi/pubapi-apim-api.json):
//   NP6-905-CD spp_node_zone_hub:       deliveryDate, deliveryHour, deliveryInterval, settlementPoint,
//                                       settlementPointType, settlementPointPrice, DSTFlag (boolean)
//   NP4-190-CD dam_stlmnt_pnt_prices:   deliveryDate, hourEnding ("01:00".."24:00"), settlementPoint,
//                                       settlementPointPrice, DSTFlag
//   NP6-345-CD act_sys_load_by_wzn:     operatingDay, hourEnding ("01:00"), coast, east, farWest, north, northC,
//                                       southern, southC, west, total, DSTFlag
//   NP4-732-CD wpp_hrly_avrg_actl_fcast and NP4-737-CD spp_hrly_avrg_actl_fcast:
//                                       postedDatetime, deliveryDate, hourEnding (integer), genSystemWide (actual MW,
//                                       empty for hours not yet measured), COPHSL/STWPF/STPPF/... forecasts, DSTFlag
import type { MarketTick, PointType, TickKind } from '../../schemas/types.js';
import { accept, reject, type HourLabel, type Parsed } from '../../market/parsed.js';
import { CentralTimeError, centralDayKind, centralToUtc, formatCivil, parseDstFlag, parseErcotDate, parseHourEnding, parseInterval, HOUR_MS, MINUTE_MS } from '../../market/central-time.js';
import { SYSTEM_SERIES_ID } from '../../market/series.js';
import { ERCOT_POINT_TYPES, seriesForSettlementPoint, settlementPointType, WEATHER_ZONE_SERIES } from '../../market/settlement-point.js';

export type ReportId = 'rt-spp' | 'dam-spp' | 'load' | 'wind' | 'solar';
export const REPORT_IDS: readonly ReportId[] = ['rt-spp', 'dam-spp', 'load', 'wind', 'solar'];

export const MARKET = 'ERCOT';
export const SOURCE_API = 'ercot-api';
export const SOURCE_FILE = 'file-replay';

export interface ReportSpec {
  id: ReportId;
  /** ERCOT EMIL id. */
  emil: string;
  title: string;
  /** Path under the API base URL, with a leading slash. */
  path: string;
  /** Interval length of one row. */
  stepMs: number;
  kind: TickKind;
  unit: 'USD/MWh' | 'MW';
  /** Query parameters that take the first and last date of the requested range (YYYY-MM-DD, inclusive). */
  dateFromParam: string;
  dateToParam: string;
  /** Fixed query parameters added to every request. */
  extraParams: Readonly<Record<string, string>>;
}

export const REPORTS: Record<ReportId, ReportSpec> = {
  'rt-spp': {
    id: 'rt-spp',
    emil: 'NP6-905-CD',
    title: 'Settlement Point Prices at Resource Nodes, Hubs and Load Zones (15 min)',
    path: '/np6-905-cd/spp_node_zone_hub',
    stepMs: 15 * MINUTE_MS,
    kind: 'RT_PRICE',
    unit: 'USD/MWh',
    dateFromParam: 'deliveryDateFrom',
    dateToParam: 'deliveryDateTo',
    extraParams: {},
  },
  'dam-spp': {
    id: 'dam-spp',
    emil: 'NP4-190-CD',
    title: 'DAM Settlement Point Prices (hourly)',
    path: '/np4-190-cd/dam_stlmnt_pnt_prices',
    stepMs: HOUR_MS,
    kind: 'DAM_PRICE',
    unit: 'USD/MWh',
    dateFromParam: 'deliveryDateFrom',
    dateToParam: 'deliveryDateTo',
    extraParams: {},
  },
  load: {
    id: 'load',
    emil: 'NP6-345-CD',
    title: 'Actual System Load by Weather Zone (hourly)',
    path: '/np6-345-cd/act_sys_load_by_wzn',
    stepMs: HOUR_MS,
    kind: 'LOAD',
    unit: 'MW',
    dateFromParam: 'operatingDayFrom',
    dateToParam: 'operatingDayTo',
    extraParams: {},
  },
  // Wind and solar are posted hourly; each posting repeats the actuals of the recent past hours and carries
  // forecasts (empty actual) for the hours ahead. genSystemWideFrom filters the forecast-only rows out on the
  // server (a range filter never matches an empty value), and postings come oldest first, so a consumer that
  // upserts by (seriesId, kind, intervalStart) keeps the latest revision of each hour.
  wind: {
    id: 'wind',
    emil: 'NP4-732-CD',
    title: 'Wind Power Production - Hourly Averaged Actual and Forecasted Values',
    path: '/np4-732-cd/wpp_hrly_avrg_actl_fcast',
    stepMs: HOUR_MS,
    kind: 'WIND',
    unit: 'MW',
    dateFromParam: 'deliveryDateFrom',
    dateToParam: 'deliveryDateTo',
    extraParams: { genSystemWideFrom: '-1000000', sort: 'postedDatetime', dir: 'asc' },
  },
  solar: {
    id: 'solar',
    emil: 'NP4-737-CD',
    title: 'Solar Power Production - Hourly Averaged Actual and Forecasted Values',
    path: '/np4-737-cd/spp_hrly_avrg_actl_fcast',
    stepMs: HOUR_MS,
    kind: 'SOLAR',
    unit: 'MW',
    dateFromParam: 'deliveryDateFrom',
    dateToParam: 'deliveryDateTo',
    extraParams: { genSystemWideFrom: '-1000000', sort: 'postedDatetime', dir: 'asc' },
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Column resolution

/** Canonical column -> accepted names (normalized: lower case, letters and digits only). */
const ALIASES: Record<string, readonly string[]> = {
  deliveryDate: ['deliverydate'],
  operatingDay: ['operatingday', 'operday', 'operatingdate'],
  deliveryHour: ['deliveryhour'],
  deliveryInterval: ['deliveryinterval'],
  hourEnding: ['hourending'],
  settlementPoint: ['settlementpoint', 'settlementpointname'],
  settlementPointPrice: ['settlementpointprice'],
  settlementPointType: ['settlementpointtype'],
  DSTFlag: ['dstflag', 'repeatedhourflag'],
  coast: ['coast'],
  east: ['east'],
  farWest: ['farwest'],
  north: ['north'],
  northC: ['northc', 'northcentral'],
  southern: ['southern'],
  southC: ['southc', 'southcentral'],
  west: ['west'],
  total: ['total', 'systemtotal'],
  genSystemWide: ['gensystemwide', 'actualsystemwide', 'systemwide'],
};

interface Layout {
  date: string;
  hour: string;
  interval?: string;
  values: readonly string[];
}

const LAYOUTS: Record<ReportId, Layout> = {
  'rt-spp': { date: 'deliveryDate', hour: 'deliveryHour', interval: 'deliveryInterval', values: ['settlementPoint', 'settlementPointPrice'] },
  'dam-spp': { date: 'deliveryDate', hour: 'hourEnding', values: ['settlementPoint', 'settlementPointPrice'] },
  load: { date: 'operatingDay', hour: 'hourEnding', values: [...WEATHER_ZONE_SERIES.map((z) => z.field), 'total'] },
  wind: { date: 'deliveryDate', hour: 'hourEnding', values: ['genSystemWide'] },
  solar: { date: 'deliveryDate', hour: 'hourEnding', values: ['genSystemWide'] },
};

export const normalizeColumnName = (name: string): string => name.replace(/^\uFEFF/, '').toLowerCase().replace(/[^a-z0-9]/g, '');

/** Where each canonical column of a report sits in `names` (undefined when absent). */
export interface ColumnIndex {
  report: ReportId;
  names: readonly string[];
  at: Map<string, number>;
}

const indexCache = new WeakMap<readonly string[], Map<ReportId, ColumnIndex>>();

export function resolveColumns(report: ReportId, names: readonly string[]): ColumnIndex {
  let perReport = indexCache.get(names);
  const cached = perReport?.get(report);
  if (cached) return cached;
  const layout = LAYOUTS[report];
  const wanted = [layout.date, layout.hour, ...(layout.interval ? [layout.interval] : []), 'DSTFlag', 'settlementPointType', ...layout.values];
  const normalized = names.map((n) => normalizeColumnName(String(n)));
  const at = new Map<string, number>();
  for (const canonical of wanted) {
    const accepted = ALIASES[canonical] ?? [normalizeColumnName(canonical)];
    for (const alias of accepted) {
      const i = normalized.indexOf(alias);
      if (i >= 0) {
        at.set(canonical, i);
        break;
      }
    }
  }
  const index: ColumnIndex = { report, names, at };
  if (!perReport) indexCache.set(names, (perReport = new Map()));
  perReport.set(report, index);
  return index;
}

// ---------------------------------------------------------------------------------------------------------------
// Row parsing

const NUMBER_TEXT = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

const show = (v: unknown): string => (v === undefined ? 'absent' : typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

const isBlank = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

type Cell = { ok: true; value: unknown } | { ok: false; reasonCode: string; message: string };

/** Where a row came from and how its ticks are labelled. */
export interface RowContext {
  raw: string;
  origin: string;
  ingestedAt: number;
  source: string;
}

/** `slot`: the tick the row would have been, given when only its value is unusable (the gap policy may fill it). */
function fail(ctx: RowContext, reasonCode: string, message: string, slot?: Omit<MarketTick, 'value'>): Parsed {
  return reject({ reasonCode, message, raw: ctx.raw, origin: ctx.origin, ...(slot ? { slot } : {}) });
}

function cell(index: ColumnIndex, cells: readonly unknown[], column: string): Cell {
  const i = index.at.get(column);
  if (i === undefined) {
    return { ok: false, reasonCode: 'missing-field', message: `column ${column} is missing from the ${index.report} report (columns: ${index.names.join(', ')})` };
  }
  const v = cells[i];
  if (isBlank(v)) return { ok: false, reasonCode: 'missing-field', message: `${column} is empty (value ${show(v)})` };
  return { ok: true, value: v };
}

function parseNumber(column: string, v: unknown): { ok: true; value: number } | { ok: false; reasonCode: string; message: string } {
  if (isBlank(v)) return { ok: false, reasonCode: 'missing-field', message: `${column} is empty (value ${show(v)})` };
  if (typeof v === 'number') {
    return Number.isFinite(v) ? { ok: true, value: v } : { ok: false, reasonCode: 'not-a-number', message: `${column} ${show(v)} is not a finite number` };
  }
  if (typeof v === 'string' && NUMBER_TEXT.test(v.trim())) return { ok: true, value: Number(v.trim()) };
  return { ok: false, reasonCode: 'not-a-number', message: `${column} ${show(v)} is not a number` };
}

/**
 * The ticks (or the rejection) of one row, given as cells in the order of `index.names`. Shared by the API and the
 * CSV paths; `ctx.raw` is the row exactly as received.
 */
export function parseRow(report: ReportId, index: ColumnIndex, cells: readonly unknown[], ctx: RowContext): Parsed[] {
  const spec = REPORTS[report];
  const layout = LAYOUTS[report];
  if (cells.length !== index.names.length) {
    return [fail(ctx, 'bad-row', `row has ${cells.length} values but the ${report} report has ${index.names.length} columns`)];
  }

  // When: date, hour, interval, DSTFlag.
  const dateCell = cell(index, cells, layout.date);
  if (!dateCell.ok) return [fail(ctx, dateCell.reasonCode, dateCell.message)];
  const hourCell = cell(index, cells, layout.hour);
  if (!hourCell.ok) return [fail(ctx, hourCell.reasonCode, hourCell.message)];
  let intervalValue: unknown = 1;
  if (layout.interval) {
    const c = cell(index, cells, layout.interval);
    if (!c.ok) return [fail(ctx, c.reasonCode, c.message)];
    intervalValue = c.value;
  }
  const dstIndex = index.at.get('DSTFlag');
  let interval: { start: number; end: number };
  // On DST-change days every row keeps its label, so the day's numbering can be checked once the whole day is in
  // (dst-day.ts). A fall-back day may be numbered 1..25 (no repeated hour 2): hour ending 25 is read here as the
  // last hour of such a day, provisionally, as are no-DSTFlag rows from hour 2 on; placeDstDays confirms or rejects.
  let label: Omit<HourLabel, 'seriesKey'> | undefined;
  let labelError: CentralTimeError | undefined;
  try {
    const date = parseErcotDate(String(dateCell.value));
    const dayKind = centralDayKind(date);
    const hour = parseHourEnding(hourCell.value, dayKind === 'fall-back' ? 25 : 24);
    const quarter = layout.interval ? parseInterval(intervalValue) : 1;
    const stepMinutes = spec.stepMs === 15 * MINUTE_MS ? 15 : 60;
    let repeated = false;
    let flag: boolean | null = null;
    let provisional = false;
    if (dstIndex === undefined) {
      // Older files have no DSTFlag column: fine, except inside the hour that happens twice, where only the day's
      // numbering (1..25) can tell the two occurrences apart.
      if (dayKind === 'fall-back' && hour >= 2) provisional = true;
    } else {
      const flagCell = cells[dstIndex];
      if (isBlank(flagCell)) return [fail(ctx, 'missing-field', `DSTFlag is empty (value ${show(flagCell)})`)];
      repeated = flag = parseDstFlag(flagCell);
    }
    if (hour === 25) provisional = true;
    if (dayKind !== 'normal') {
      const group = `${report}|${ctx.origin.replace(/:page=\d+.*$|:row=\d+$|:\d+$/, '')}`;
      label = { date: formatCivil(date), hourEnding: hour, interval: quarter, dstFlag: flag, stepMinutes, group, raw: ctx.raw, origin: ctx.origin, provisional };
    }
    try {
      // A provisional hour is placed as the 1..25 numbering reads it; placeDstDays re-places or rejects it.
      interval = hour === 25 ? centralToUtc(date, 24, quarter, false, stepMinutes) : centralToUtc(date, hour, quarter, repeated && !provisional, stepMinutes);
    } catch (err) {
      if (!(err instanceof CentralTimeError) || !label) throw err;
      labelError = err;
      interval = { start: 0, end: 0 };
    }
  } catch (err) {
    if (err instanceof CentralTimeError) {
      const column = err.field === 'date' ? layout.date : err.field === 'hour' ? layout.hour : err.field === 'interval' ? (layout.interval ?? 'interval') : 'DSTFlag';
      return [fail(ctx, err.reasonCode, `${column}: ${err.message}`)];
    }
    throw err;
  }
  const timeColumn = (err: CentralTimeError) => (err.field === 'date' ? layout.date : err.field === 'hour' ? layout.hour : err.field === 'interval' ? (layout.interval ?? 'interval') : 'DSTFlag');
  /** The row's result on a DST-change day carries its label (with the series it is for). */
  const labelled = (p: Parsed, seriesKey: string): Parsed => {
    if (!label) return p;
    const l: HourLabel = { ...label, seriesKey };
    return p.ok ? { ...p, label: l } : { ok: false, rejection: { ...p.rejection, label: l } };
  };
  if (labelError) {
    // Still labelled: a phantom hour on a spring-forward day is one of the facts the day check looks at.
    return [labelled(fail(ctx, labelError.reasonCode, `${timeColumn(labelError)}: ${labelError.message}`), '')];
  }

  const tick = (seriesId: string, pointType: PointType, value: number): MarketTick => ({
    market: MARKET,
    seriesId,
    pointType,
    kind: spec.kind,
    intervalStart: interval.start,
    intervalEnd: interval.end,
    value,
    unit: spec.unit,
    source: ctx.source,
    ingestedAt: ctx.ingestedAt,
  });
  const slot = (seriesId: string, pointType: PointType): Omit<MarketTick, 'value'> => {
    const { value: _value, ...rest } = tick(seriesId, pointType, 0);
    return rest;
  };

  switch (report) {
    case 'rt-spp':
    case 'dam-spp': {
      const sp = cell(index, cells, 'settlementPoint');
      if (!sp.ok) return [fail(ctx, sp.reasonCode, sp.message)];
      const name = String(sp.value).trim();
      // The type column decides when the report has one (LZ and LZEW rows share a name; settlement-point.ts).
      let series: { seriesId: string; pointType: PointType } = { seriesId: name, pointType: settlementPointType(name) };
      if (index.at.has('settlementPointType')) {
        const typeCell = cell(index, cells, 'settlementPointType');
        if (!typeCell.ok) return [fail(ctx, typeCell.reasonCode, `${name}: ${typeCell.message}`)];
        const typed = seriesForSettlementPoint(name, String(typeCell.value));
        if (!typed) {
          return [fail(ctx, 'unknown-point-type', `${name}: settlementPointType ${show(typeCell.value)} is not one ERCOT publishes (${Object.keys(ERCOT_POINT_TYPES).join(', ')})`)];
        }
        series = typed;
      }
      const priceCell = cell(index, cells, 'settlementPointPrice');
      const spSlot = slot(series.seriesId, series.pointType);
      if (!priceCell.ok) return [labelled(fail(ctx, priceCell.reasonCode, `${series.seriesId}: ${priceCell.message}`, index.at.has('settlementPointPrice') ? spSlot : undefined), series.seriesId)];
      const price = parseNumber('settlementPointPrice', priceCell.value);
      if (!price.ok) return [labelled(fail(ctx, price.reasonCode, `${series.seriesId}: ${price.message}`, spSlot), series.seriesId)];
      return [labelled(accept(tick(series.seriesId, series.pointType, price.value)), series.seriesId)];
    }
    case 'load': {
      const out: Parsed[] = [];
      const series = [...WEATHER_ZONE_SERIES.map((z) => ({ field: z.field as string, seriesId: z.seriesId as string, pointType: 'WEATHER_ZONE' as PointType })), { field: 'total', seriesId: SYSTEM_SERIES_ID, pointType: 'SYSTEM' as PointType }];
      for (const s of series) {
        const c = cell(index, cells, s.field);
        if (!c.ok) {
          out.push(labelled(fail(ctx, c.reasonCode, `${s.seriesId}: ${c.message}`, index.at.has(s.field) ? slot(s.seriesId, s.pointType) : undefined), s.seriesId));
          continue;
        }
        const v = parseNumber(s.field, c.value);
        out.push(labelled(v.ok ? accept(tick(s.seriesId, s.pointType, v.value)) : fail(ctx, v.reasonCode, `${s.seriesId}: ${v.message}`, slot(s.seriesId, s.pointType)), s.seriesId));
      }
      return out;
    }
    case 'wind':
    case 'solar': {
      const i = index.at.get('genSystemWide');
      if (i === undefined) {
        return [fail(ctx, 'missing-field', `column genSystemWide is missing from the ${report} report (columns: ${index.names.join(', ')})`)];
      }
      const v = cells[i];
      if (isBlank(v)) {
        return [fail(ctx, 'no-actual', `genSystemWide is empty (value ${show(v)}): a forecast-only row, the hour has no measured ${report} generation in this posting`)];
      }
      const n = parseNumber('genSystemWide', v);
      return [labelled(n.ok ? accept(tick(SYSTEM_SERIES_ID, 'SYSTEM', n.value)) : fail(ctx, n.reasonCode, n.message, slot(SYSTEM_SERIES_ID, 'SYSTEM')), SYSTEM_SERIES_ID)];
    }
  }
}

function rawOf(row: unknown): string {
  try {
    return JSON.stringify(row) ?? String(row);
  } catch {
    return String(row);
  }
}

/**
 * API rows (arrays ordered as `fields`) -> Parsed, one entry per tick or one rejection per unusable row.
 * Rejections carry `${origin}:row=<1-based index>` and the row as JSON.
 */
export function rowsToParsed(report: ReportId, fields: string[], rows: unknown[][], origin: string, ingestedAt: number, source: string = SOURCE_API): Parsed[] {
  const index = resolveColumns(report, fields);
  const out: Parsed[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row: unknown = rows[i];
    const ctx: RowContext = { raw: rawOf(row), origin: `${origin}:row=${i + 1}`, ingestedAt, source };
    if (!Array.isArray(row)) {
      out.push(fail(ctx, 'bad-row', `row is ${row === null ? 'null' : typeof row}, expected an array of ${fields.length} values`));
      continue;
    }
    for (const p of parseRow(report, index, row, ctx)) out.push(p);
  }
  return out;
}
