// The summarizer: reads a period of market data and forecasts from PostgreSQL, writes hourly and daily summaries,
// price events and forecast snapshots (plus the handwritten concepts corpus) as MarketDocuments on
// market.documents, keyed by document id. Running it again over the same period rewrites the same ids, and withdraws
// (tombstones, in the same write) the ids an earlier version keyed differently: GB's Central-day documents
// (documents.ts supersededDocumentIds). Documents live on the compacted topic and in the vector store (the
// documents sink deletes a tombstoned id's point); no PostgreSQL table holds them.
import type pg from 'pg';
import type { Config } from '../../platform/config.js';
import { logger } from '../../platform/logger.js';
import { loadCorpus } from '../../rag/corpus.js';
import type { MarketDocument } from '../../schemas/types.js';
import { createPool } from '../../platform/postgres/pool.js';
import { createProducer, sendRecords } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { TOPICS, subjectFor } from '../../platform/kafka/topics.js';
import { loadSchema } from '../../schemas/catalog.js';
import {
  DEFAULT_EVENT_RULES,
  type EventRules,
  type ForecastSnapshot,
  type HourlyStat,
  dailyDocument,
  dailyStats,
  eventDocuments,
  forecastDocument,
  hourlyDocument,
  supersededDocumentIds,
} from './documents.js';
import { SdaError } from '../../platform/errors.js';
import { currentModelVersion, forecastTieBreak } from '../../reports/forecasts.js';

const log = logger('summarizer');

export const SUMMARY_POINT_TYPES = ['HUB', 'LOAD_ZONE', 'SYSTEM'] as const;
export const SUMMARY_KINDS = ['RT_PRICE', 'DAM_PRICE', 'LOAD', 'WIND', 'SOLAR'] as const;

export const SQL_HOURLY = `SELECT market, series_id, kind, unit,
    date_trunc('hour', interval_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour_start,
    avg(value) AS mean, min(value) AS min, max(value) AS max, count(*)::int AS count,
    (count(*) FILTER (WHERE value < 0))::int AS negative,
    (array_agg(interval_start ORDER BY value ASC, interval_start))[1] AS min_at,
    (array_agg(interval_start ORDER BY value DESC, interval_start))[1] AS max_at
  FROM market_data
  WHERE market = $1 AND interval_start >= $2 AND interval_start < $3
    AND point_type = ANY($4::text[]) AND kind = ANY($5::text[])
    AND ($6::text[] IS NULL OR series_id = ANY($6::text[]))
  GROUP BY market, series_id, kind, unit, 5
  ORDER BY series_id, kind, hour_start`;

export const SQL_FORECASTS = `SELECT DISTINCT ON (market, series_id, kind) market, series_id, kind, model_version, unit, step_ms, target_start, "values", issued_at
  FROM forecasts
  WHERE market = $1 AND issued_at >= $2 AND issued_at < $3 AND ($4::text[] IS NULL OR series_id = ANY($4::text[]))
  ORDER BY market, series_id, kind, issued_at DESC, ${forecastTieBreak('$5')}`;

export interface SummarizeOptions {
  market?: string;
  from: number;
  to: number;
  /** Only these series (default: every hub, load zone and system series). */
  series?: string[];
  hourly?: boolean;
  concepts?: boolean;
  topic?: string;
  rules?: EventRules;
  /** The creation time written into documents (default now). */
  now?: number;
}

export interface SummarizeCounts {
  hourly: number;
  daily: number;
  events: number;
  forecasts: number;
  concepts: number;
  /** Documents published (tombstones not counted). */
  published: number;
  /** Tombstones published for superseded ids (supersededDocumentIds): 0 for markets on US Central. */
  withdrawn: number;
}

interface HourlyRow {
  market: string;
  series_id: string;
  kind: string;
  unit: string;
  hour_start: Date;
  mean: number;
  min: number;
  max: number;
  count: number;
  negative: number;
  min_at: Date;
  max_at: Date;
}

interface ForecastRow {
  market: string;
  series_id: string;
  kind: string;
  model_version: string;
  unit: string;
  step_ms: number;
  target_start: Date;
  values: number[];
  issued_at: Date;
}

export async function loadHourlyStats(pool: pg.Pool, opts: Pick<SummarizeOptions, 'market' | 'from' | 'to' | 'series'>): Promise<HourlyStat[]> {
  const res = await pool.query<HourlyRow>(SQL_HOURLY, [opts.market ?? 'ERCOT', new Date(opts.from), new Date(opts.to), [...SUMMARY_POINT_TYPES], [...SUMMARY_KINDS], opts.series ?? null]);
  return res.rows.map((r) => ({
    market: r.market, seriesId: r.series_id, kind: r.kind, unit: r.unit, hourStart: r.hour_start.getTime(),
    mean: Number(r.mean), min: Number(r.min), minAt: r.min_at.getTime(), max: Number(r.max), maxAt: r.max_at.getTime(), count: r.count, negative: r.negative,
  }));
}

export async function loadForecastSnapshots(pool: pg.Pool, opts: Pick<SummarizeOptions, 'market' | 'from' | 'to' | 'series'>): Promise<ForecastSnapshot[]> {
  const res = await pool.query<ForecastRow>(SQL_FORECASTS, [opts.market ?? 'ERCOT', new Date(opts.from), new Date(opts.to), opts.series ?? null, await currentModelVersion()]);
  return res.rows
    .filter((r) => r.values.length > 0 && r.values.every((v) => Number.isFinite(v)))
    .map((r) => ({ market: r.market, seriesId: r.series_id, kind: r.kind, modelVersion: r.model_version, unit: r.unit, stepMs: Number(r.step_ms), targetStart: r.target_start.getTime(), values: r.values.map(Number), issuedAt: r.issued_at.getTime() }));
}

/**
 * Every document for the period, without publishing (the pure part after the two queries), and the ids of documents
 * they supersede (`withdraw`: the old Central-day ids of a market on another clock, to tombstone in the same write).
 * @throws SdaError PERIOD_INVALID when `to` is not after `from`
 */
export async function buildDocuments(pool: pg.Pool, opts: SummarizeOptions): Promise<{ docs: MarketDocument[]; withdraw: string[]; counts: Omit<SummarizeCounts, 'published' | 'withdrawn'> }> {
  if (!(opts.to > opts.from)) throw new SdaError('PERIOD_INVALID', `summarize: the period must end after it starts (from ${new Date(opts.from).toISOString()}, to ${new Date(opts.to).toISOString()})`);
  const now = opts.now ?? Date.now();
  const hours = await loadHourlyStats(pool, opts);
  const days = dailyStats(hours);
  const hourly = opts.hourly === false ? [] : hours.map((h) => hourlyDocument(h, now));
  const daily = days.map((d) => dailyDocument(d, now));
  const events = eventDocuments(hours, days, now, opts.rules ?? DEFAULT_EVENT_RULES);
  const forecasts = (await loadForecastSnapshots(pool, opts)).map((f) => forecastDocument(f, now));
  const concepts = opts.concepts === false ? [] : loadCorpus(undefined, now);
  return {
    docs: [...daily, ...events, ...forecasts, ...concepts, ...hourly],
    withdraw: supersededDocumentIds(hours),
    counts: { hourly: hourly.length, daily: daily.length, events: events.length, forecasts: forecasts.length, concepts: concepts.length },
  };
}

/**
 * Builds the period's documents and publishes them, keyed by id, to market.documents (or `topic`), with a tombstone
 * (null value) for each superseded id in the same batches, so a re-run leaves no GB Central-day document beside its
 * UK-day one on the topic or, after the documents sink, in the vector store.
 */
export async function summarize(config: Config, opts: SummarizeOptions, provisioned?: Provisioned): Promise<SummarizeCounts> {
  const pool = createPool(config, 2);
  try {
    const { docs, withdraw, counts } = await buildDocuments(pool, opts);
    const p = provisioned ?? (await provision(config, 'sda-summarizer'));
    const topic = opts.topic ?? TOPICS.documents.name;
    const writer = topic === TOPICS.documents.name ? p.writers.documents : await p.serde.register<MarketDocument>(subjectFor(topic), loadSchema(TOPICS.documents.schema));
    const producer = createProducer(p.kafka);
    await producer.connect();
    const records = [...withdraw.map((id) => ({ key: id, value: null })), ...docs.map((d) => ({ key: d.id, value: p.serde.encode(writer, d) }))];
    try {
      for (let i = 0; i < records.length; i += 500) await sendRecords(producer, topic, records.slice(i, i + 500));
    } finally {
      await producer.disconnect();
    }
    log.info({ ...counts, withdrawn: withdraw.length, topic }, 'documents published');
    return { ...counts, published: docs.length, withdrawn: withdraw.length };
  } finally {
    await pool.end();
  }
}
