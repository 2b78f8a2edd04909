// A feature window and a model's output as a Forecast record. Deterministic: issuedAt is the window's computedAt
// (the ingestion time of the tick that made it final), never the wall clock, so a replay of the same windows by the
// same model version gives identical records.
import type { FeatureWindow, Forecast } from '../../schemas/types.js';
import type { ModelMetadata } from '../../model/contract.js';

/** The longest horizon x step the forecaster serves (and the gateway searches back over): 7 days. */
export const FORECAST_MAX_SPAN_MS = 7 * 24 * 3_600_000;

/**
 * The Forecast record of one window: values per horizon h = 1..n covering [windowEnd + (h-1)·step, windowEnd + h·step);
 * with a band, p10/p90 (values is then the P50) and stepSources from the model's metadata ("lstm" where it has none).
 */
export function toForecast(w: FeatureWindow, version: string, meta: ModelMetadata, values: number[], band?: { p10: number[] | null; p90: number[] | null; stepSources?: string[] | null }): Forecast {
  return {
    market: w.market,
    seriesId: w.seriesId,
    kind: w.kind,
    modelVersion: version,
    issuedAt: w.computedAt,
    targetStart: w.windowEnd,
    stepMs: w.stepMs,
    values,
    unit: meta.target.unit,
    inputStart: w.windowStart,
    inputEnd: w.windowEnd,
    p10: band?.p10 ?? null,
    p90: band?.p90 ?? null,
    stepSources: band?.stepSources !== undefined ? band.stepSources : meta.stepSources && meta.stepSources.length === values.length ? [...meta.stepSources] : null,
  };
}
