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
 * - onLiveMetrics(live): replaces the sda_forecast_live_rmse gauge with the entries of `live` (RMSE in the series'
 *   unit, e.g. USD/MWh, per market/series/kind/model version) for the version served now (the last onBatch's
 *   counts.modelVersion; every entry while none is known), so a model switched away from leaves the gauge instead of
 *   staying frozen there. Upserts into model_metrics (split 'live', baseline 'model') through `pool` the rmse and n
 *   of each entry whose score changed since this hook last wrote it (its `total`, the errors seen in all, grew): the
 *   live snapshot keeps every version's ring, and a version that no longer forecasts must not get fresh rows with
 *   its frozen figure (a fresh-clone tester's finding). A database error rejects (the forecaster logs it and goes
 *   on); entries not written are tried again at the next call.
 * - onBatch(counts): marks counts.modelVersion as the served one in sda_model_info.
 * Spread them into the options; a caller with more to do per batch calls `onBatch` from its own.
 */
export function forecasterHooks(pool: pg.Pool): ForecasterHooks {
  let served: string | null = null;
  // Per (model version, market, series, kind): the entry's `total` when its row was last written.
  const written = new Map<string, number>();
  return {
    onLiveMetrics: async (live) => {
      setLiveRmse(served === null ? live : live.filter((m) => m.modelVersion === served));
      for (const m of live) {
        const key = [m.modelVersion, m.market, m.seriesId, m.kind].join('\u0000');
        if (written.get(key) === m.total) continue;
        await recordLiveMetric(pool, m.modelVersion, m.seriesId, m.rmse, m.n);
        written.set(key, m.total);
      }
    },
    onBatch: (counts) => {
      served = counts.modelVersion;
      setModelVersion(counts.modelVersion);
    },
  };
}
