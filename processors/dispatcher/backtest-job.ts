// One backtest job, whatever its sources: actual prices + forecasts (+ a run's dispatcher schedules) -> the engine
// (dispatch/backtest.ts) per asset. Used by `sda backtest`, the demo and the integration test.
import type { Config } from '../../platform/config.js';
import type { BatteryAsset } from '../../dispatch/asset.js';
import { type BacktestResult, hourlyPrices, runBacktest } from '../../dispatch/backtest.js';
import { loadSolver } from '../../dispatch/optimiser.js';
import type { ForecastCurve, PriceBasis, StrategyName } from '../../dispatch/strategies.js';
import type { DispatchSchedule, Forecast } from '../../schemas/types.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { runMarket, topicSet } from '../../platform/kafka/topics.js';
import { createPool } from '../../platform/postgres/pool.js';
import { type PricePoints, actualsFromDb, actualsFromFiles, actualsFromSimulator, assertNoLookahead, curvesOf, dispatchRun, forecastsFromDb, readTopic } from './backtest-sources.js';
import { DispatchError } from '../../dispatch/errors.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export type ActualsSource = { kind: 'files'; files: string[] } | { kind: 'simulator'; start: number; days: number; seed: number } | { kind: 'db' };

export interface BacktestJobOptions {
  assets: BatteryAsset[];
  fromMs: number;
  toMs: number;
  strategies: StrategyName[];
  actuals: ActualsSource;
  /** A run: forecasts from run.NAME.forecasts, the dispatcher and dispatch sink on the run, 'forecast' settled from run.NAME.dispatch. */
  run?: string;
  /** Without a run: forecasts from the forecasts table (all model versions, or this one). */
  modelVersion?: string;
  registryDir?: string;
  allowLookahead?: boolean;
  /** The price the forecast strategy (and, on a run, the dispatcher) optimises on; default p50. */
  priceBasis?: PriceBasis;
  /** Days of price history before fromMs for persistence and the baseline's hours (default 14). */
  historyDays?: number;
  onProgress?: (done: number, total: number, what: string) => void;
}

export interface BacktestJobResult {
  results: BacktestResult[];
  meta: Record<string, string>;
  /** Schedules the run's dispatcher published for the assets (run only). */
  schedules: number;
  forecasts: number;
  filledHours: number;
  wallSeconds: number;
  /** Model versions whose training range could not be checked (not in the registry). */
  uncheckedModels: string[];
}

/**
 * Runs the backtest. Deterministic for the same inputs: prices on the hourly grid (mean of the 15-minute RT SPPs, the
 * settlement of an hour-long position), forecasts and schedules in a fixed order. Errors: the engine's coded errors,
 * PRICES_INVALID when the actual prices do not cover the period, a look-ahead model (assertNoLookahead).
 */
export async function runBacktestJob(config: Config, o: BacktestJobOptions, provisioned?: Provisioned): Promise<BacktestJobResult> {
  const t0 = performance.now();
  const highs = await loadSolver();
  const histFrom = o.fromMs - (o.historyDays ?? 14) * DAY_MS;
  const needKafka = o.run !== undefined;
  const p = provisioned ?? (needKafka ? await provision(config, 'sda-backtest') : undefined);
  const pool = o.actuals.kind === 'db' || o.run !== undefined || o.strategies.includes('forecast') ? createPool(config, 2) : undefined;
  const total = o.assets.length * o.strategies.length + (o.run ? 2 : 0);
  let done = 0;
  const tick = (what: string) => o.onProgress?.(done, total, what);
  try {
    // Forecasts: a run's topic, or the table.
    let runForecasts: Forecast[] | undefined;
    let schedules: DispatchSchedule[] = [];
    if (o.run !== undefined) {
      tick(`reading ${topicSet(o.run).forecasts.name}`);
      runForecasts = await readTopic<Forecast>(p!, topicSet(o.run).forecasts.name, p!.writers.forecasts);
      done++;
      tick(`${runForecasts.length} forecasts; dispatching`);
      schedules = await dispatchRun(config, p!, o.run, o.assets, (what) => tick(what), o.priceBasis ?? 'p50');
      done++;
    }
    const results: BacktestResult[] = [];
    let forecastCount = 0;
    let usedSchedules = 0;
    let filled = 0;
    const versions: string[] = [];
    let actualsMarket: string | undefined;
    for (const asset of o.assets) {
      let points: PricePoints;
      if (o.actuals.kind === 'files') points = await actualsFromFiles(o.actuals.files, asset.market, asset.settlementPoint);
      else if (o.actuals.kind === 'simulator') points = actualsFromSimulator(o.actuals, asset.settlementPoint);
      else {
        // A run's ticks are stored under market run.NAME.<market> (runMarket); without them, the live rows.
        points = o.run !== undefined ? await actualsFromDb(pool!, runMarket(asset.market, o.run), asset.settlementPoint, histFrom, o.toMs) : [];
        if (points.length === 0) points = await actualsFromDb(pool!, asset.market, asset.settlementPoint, histFrom, o.toMs);
        else actualsMarket = runMarket(asset.market, o.run);
      }
      const firstPoint = points.reduce((m, [t]) => Math.min(m, t), Infinity);
      const gridStart = Math.max(histFrom, Math.floor(firstPoint / HOUR_MS) * HOUR_MS);
      if (!(gridStart <= o.fromMs)) throw new DispatchError('BACKTEST_INVALID', `no actual ${asset.settlementPoint} prices at ${new Date(o.fromMs).toISOString()} (first: ${Number.isFinite(firstPoint) ? new Date(firstPoint).toISOString() : 'none'}); choose --from inside the data`);
      const { curve, filledHours } = hourlyPrices(points.filter(([t]) => t >= gridStart && t < o.toMs), gridStart, o.toMs);
      filled += filledHours;
      let forecasts: Array<ForecastCurve & { modelVersion: string }> = [];
      if (o.strategies.includes('forecast')) {
        forecasts = runForecasts ? curvesOf(runForecasts, asset.market, asset.settlementPoint) : await forecastsFromDb(pool!, asset.market, asset.settlementPoint, o.fromMs, o.toMs, o.modelVersion);
        if (o.modelVersion) forecasts = forecasts.filter((f) => f.modelVersion === o.modelVersion);
        forecastCount += forecasts.length;
        versions.push(...forecasts.map((f) => f.modelVersion));
      }
      // The asset's schedules that reach into the backtest's period (one issued before --from is in force at --from).
      const mine = schedules.filter((s) => s.assetId === asset.id && s.startAt < o.toMs && s.startAt + s.chargeMw.length * s.stepMs > o.fromMs);
      usedSchedules += mine.length;
      results.push(runBacktest(highs, {
        asset,
        grid: { actual: curve, fromMs: o.fromMs, toMs: o.toMs },
        forecasts,
        ...(o.run !== undefined ? { schedules: mine } : {}),
        strategies: o.strategies,
        priceBasis: o.priceBasis ?? 'p50',
        onStrategy: (name) => {
          done++;
          tick(`${asset.id}: ${name}`);
        },
        onForecastDay: (d, days) => tick(`${asset.id}: forecast-driven rolling horizon, day ${d}/${days}`),
      }));
    }
    const unchecked = o.allowLookahead ? [] : await assertNoLookahead(versions, o.fromMs, o.registryDir);
    const wallSeconds = (performance.now() - t0) / 1_000;
    const meta: Record<string, string> = {
      period: `${new Date(o.fromMs).toISOString()} to ${new Date(o.toMs).toISOString()} (${((o.toMs - o.fromMs) / DAY_MS).toFixed(1)} days, hourly grid)`,
      'actual prices': o.actuals.kind === 'files' ? `files ${o.actuals.files.join(', ')}` : o.actuals.kind === 'simulator' ? `simulator seed ${o.actuals.seed} from ${new Date(o.actuals.start).toISOString()}, ${o.actuals.days} days` : `market_data (PostgreSQL), market ${actualsMarket ?? o.assets[0]?.market}`,
      forecasts: o.run !== undefined ? `${topicSet(o.run).forecasts.name} (${forecastCount} of the assets' series)` : `forecasts table (${forecastCount})`,
      'forecast strategy': o.run !== undefined ? `the dispatcher's ${usedSchedules} schedules on ${topicSet(o.run).dispatch.name} that reach into the period (of ${schedules.length}), stitched` : 'rolling horizon re-optimised each hour here',
      models: [...new Set(versions)].join(', ') || 'none',
      'hours filled (no price)': String(filled),
      'wall time': `${wallSeconds.toFixed(1)} s`,
    };
    return { results, meta, schedules: schedules.length, forecasts: forecastCount, filledHours: filled, wallSeconds, uncheckedModels: unchecked };
  } finally {
    await pool?.end();
  }
}
