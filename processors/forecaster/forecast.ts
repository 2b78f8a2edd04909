// A feature window and a model's output as a Forecast record. Deterministic: issuedAt is the window's computedAt
// (the ingestion time of the tick that made it final), never the wall clock, so a replay of the same windows by the
// same model version gives identical records.
import type { FeatureWindow, Forecast } from '../../schemas/types.js';
import type { ModelMetadata } from '../../model/contract.js';

/** The longest horizon x step the forecaster serves (and the gateway searches back over): 7 days. */
export const FORECAST_MAX_SPAN_MS = 7 * 24 * 3_600_000;

export function toForecast(w: FeatureWindow, version: string, meta: ModelMetadata, values: number[]): Forecast {
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
  };
}
