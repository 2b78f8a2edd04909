// The forecaster's reporting hooks, one definition for every place that runs it with a database (`sda process
// forecaster`, `sda demo`): the live RMSE into model_metrics (split 'live') and the sda_forecast_live_rmse gauge, and
// the served version into the sda_model_info gauge.
import type pg from 'pg';
import { recordLiveMetric } from '../../model/metrics-store.js';
import { setLiveRmse, setModelVersion } from '../../platform/metrics.js';
import type { ForecasterOptions } from './processor.js';

export type ForecasterHooks = Required<Pick<ForecasterOptions, 'onLiveMetrics' | 'onBatch'>>;

/**
 * Hooks for startForecaster's options:
 * - onLiveMetrics(live): replaces the sda_forecast_live_rmse gauge with `live` (RMSE in the series' unit, e.g.
 *   USD/MWh, per market/series/kind/model version) and upserts each entry's rmse and n into model_metrics
 *   (split 'live', baseline 'model') through `pool`. A database error rejects (the forecaster logs it and goes on).
 * - onBatch(counts): marks counts.modelVersion as the served one in sda_model_info.
 * Spread them into the options; a caller with more to do per batch calls `onBatch` from its own.
 */
export function forecasterHooks(pool: pg.Pool): ForecasterHooks {
  return {
    onLiveMetrics: async (live) => {
      setLiveRmse(live);
      for (const m of live) await recordLiveMetric(pool, m.modelVersion, m.seriesId, m.rmse, m.n);
    },
    onBatch: (counts) => setModelVersion(counts.modelVersion),
  };
}
