// Generated from schemas/*.avsc by schemas/typegen.ts. Do not edit: change the .avsc and run `npm run schemas:types`.
/* eslint-disable */

export type PointType = 'HUB' | 'LOAD_ZONE' | 'RESOURCE_NODE' | 'WEATHER_ZONE' | 'SYSTEM';
export const PointTypeValues = ['HUB', 'LOAD_ZONE', 'RESOURCE_NODE', 'WEATHER_ZONE', 'SYSTEM'] as const;

export type TickKind = 'RT_PRICE' | 'DAM_PRICE' | 'LOAD' | 'WIND' | 'SOLAR';
export const TickKindValues = ['RT_PRICE', 'DAM_PRICE', 'LOAD', 'WIND', 'SOLAR'] as const;

/** One observation of one market series over one interval. Key on the topic: seriesId. */
export interface MarketTick {
  /** Market operator, e.g. ERCOT. */
  market: string;
  /** Settlement point (HB_NORTH, LZ_HOUSTON, a resource node) or series id (SYSTEM_LOAD, WZ_COAST). */
  seriesId: string;
  /** What the series id names. */
  pointType: PointType;
  kind: TickKind;
  /** Interval start, UTC epoch milliseconds. */
  intervalStart: number;
  /** Interval end (exclusive), UTC epoch milliseconds. */
  intervalEnd: number;
  /** Price in unit (may be negative or at the offer cap) or power in MW. */
  value: number;
  /** USD/MWh for prices, MW for load, wind and solar. */
  unit: string;
  /** Where the tick came from: ercot-api, file-replay, simulator, taylor, demo. */
  source: string;
  /** When the source published it. */
  ingestedAt: number;
  /** True when the value was filled in by the documented gap policy rather than observed. */
  imputed?: boolean;
}

/** The last 24 hours of one series at one step, and the features computed over it. Key: seriesId. */
export interface FeatureWindow {
  market: string;
  seriesId: string;
  kind: TickKind;
  /** Window step: 3600000 (hourly) or 900000 (15 minutes). */
  stepMs: number;
  windowStart: number;
  /** Exclusive; the window covers [windowStart, windowEnd). */
  windowEnd: number;
  /** One value per step, oldest first; null where the point is missing. */
  values: Array<null | number>;
  /** Points present. */
  count: number;
  /** Points missing (gaps are marked, never silently filled). */
  missing: number;
  mean?: null | number;
  std?: null | number;
  min?: null | number;
  max?: null | number;
  last?: null | number;
  /** Least-squares slope per step. */
  trend?: null | number;
  lag1h?: null | number;
  lag24h?: null | number;
  lag168h?: null | number;
  /** US/Central hour of the window end, 0-23. */
  hourOfDay: number;
  /** US/Central weekday of the window end, 0 = Sunday. */
  dayOfWeek: number;
  /** ERCOT holiday at the window end. */
  isHoliday: boolean;
  /** Aligned related series for the same interval. */
  systemLoad?: null | number;
  wind?: null | number;
  solar?: null | number;
  netLoad?: null | number;
  computedAt: number;
}

/** A model's prediction for one series. Key: seriesId. */
export interface Forecast {
  market: string;
  seriesId: string;
  /** What is predicted. */
  kind: TickKind;
  modelVersion: string;
  issuedAt: number;
  /** Start of the first predicted interval. */
  targetStart: number;
  stepMs: number;
  /** Point predictions for horizons 1..n: horizon h covers [targetStart + (h-1)*stepMs, targetStart + h*stepMs). The median (P50) when p10/p90 are present. */
  values: Array<number>;
  unit: string;
  /** Time range of the window the model read. */
  inputStart: number;
  inputEnd: number;
  /** 10th percentile per horizon, same length as values; values is then the median (P50). Null from writers without quantiles. */
  p10?: null | Array<number>;
  /** 90th percentile per horizon, same length as values; p10 <= values <= p90 at every step. */
  p90?: null | Array<number>;
  /** What produced each horizon, same length as values: "lstm" for the model, "baseline:NAME" (e.g. baseline:same_hour_yesterday) where a baseline scored better on the hold-out for that horizon. Null: all from the model. */
  stepSources?: null | Array<string>;
}

/** A short text about the market, for retrieval. Key: id. */
export interface MarketDocument {
  /** Deterministic id: the same facts give the same id. */
  id: string;
  /** hourly-summary, daily-summary, event, forecast-snapshot, concept. */
  kind: string;
  seriesId?: null | string;
  rangeStart?: null | number;
  rangeEnd?: null | number;
  text: string;
  /** The figures the text states, by name. */
  numbers?: Record<string, number>;
  createdAt: number;
}

/** A record that could not be processed, with why and its raw bytes. Key: the original key. */
export interface DeadLetter {
  /** Where the record came from (a topic, or a source such as file:<path>). */
  topic: string;
  /** -1 when it did not come from a topic. */
  partition: number;
  /** -1 when it did not come from a topic. */
  offset: number;
  /** Stable code: wire-format, unknown-schema, avro-decode, validation, late, ... */
  reasonCode: string;
  /** Human-readable reason. */
  message: string;
  key?: null | Buffer;
  /** The payload exactly as received. */
  raw: Buffer;
  /** Who dead-lettered it. */
  processor: string;
  failedAt: number;
}

/** The windower's state for one input partition, written in the same Kafka transaction as the windows it emitted and the input offsets it consumed. One record per partition (key <input topic>:<partition>, seriesKey null: watermark, frontier, next offset) and one per series (key <input topic>:<partition>:<series key>: that series' ring and sums); a series that left the state gets a tombstone. The topic is compacted, so the latest state survives. */
export interface WindowerState {
  inputTopic: string;
  partition: number;
  /** The first input offset this state has not consumed. */
  nextOffset: number;
  stepMs: number;
  /** Null for the partition record; the series key for a series record. */
  seriesKey?: null | string;
  /** JSON: the partition-level fields of PartitionWindower.snapshot() (series omitted), or one SeriesSnapshot. */
  snapshot: string;
  /** Event time of the last tick applied (deterministic, not wall time). */
  savedAt: number;
}

/** A battery's schedule made from one forecast issue (dispatch/, issue 13). Key: assetId. Interval i covers [startAt + i*stepMs, startAt + (i+1)*stepMs); power at the grid connection in MW, state of charge in MWh at the end of the interval, money in $. */
export interface DispatchSchedule {
  market: string;
  assetId: string;
  /** Where the asset settles; its real-time price is what was forecast. */
  settlementPoint: string;
  /** forecast (rolling horizon on the latest forecast), or a backtest strategy name. */
  strategy: string;
  /** Version of the model whose forecast was used. */
  modelVersion: string;
  /** issuedAt of the Forecast used. */
  forecastIssuedAt: number;
  /** inputEnd of the Forecast used: the market-clock instant of the decision. */
  forecastInputEnd: number;
  /** Start of the first scheduled interval (the forecast's targetStart). */
  startAt: number;
  stepMs: number;
  chargeMw: Array<number>;
  dischargeMw: Array<number>;
  /** State of charge at the end of each interval. */
  socMwh: Array<number>;
  /** The price per interval the schedule was optimised on ($/MWh): the forecast's P50. */
  prices: Array<number>;
  /** State of charge at startAt, carried from the asset's previous schedule. */
  initialSocMwh: number;
  /** Energy already discharged out of storage on startAt's market day before startAt (for the daily cycle limit). */
  cycleEnergyUsedMwh: number;
  /** Sum over intervals of price * (discharge - charge) * hours - degradation cost * discharge * hours, on prices. */
  expectedRevenue: number;
  /** The same schedule valued at the forecast's P10 prices; null without quantiles. */
  revenueAtP10?: null | number;
  /** The same schedule valued at the forecast's P90 prices; null without quantiles. */
  revenueAtP90?: null | number;
  powerMw: number;
  energyMwh: number;
  roundTripEfficiency: number;
  /** Solved as a MILP (an LP solution charged and discharged at once). */
  milp: boolean;
}
