// `sda bench dispatch`: the battery LP's solve time per problem size (1-step problem as the per-call baseline, model
// building alone, 36 and 96 steps, the MILP at 96 steps), and a backtest over a simulated year: every strategy's
// revenue settled on the simulated RT prices, the forecast-driven strategy on a ridge forecast of lagged prices
// (model/baselines.ts fitRidge, trained on the simulated year before), with the backtest's wall time.
import os from 'node:os';
import { makeBattery } from '../dispatch/asset.js';
import { hourlyPrices, runBacktest } from '../dispatch/backtest.js';
import { buildBatteryModel, loadSolver, optimiseWith, type PriceCurve } from '../dispatch/optimiser.js';
import { backtestTable, monthTable } from '../dispatch/report.js';
import type { ForecastCurve } from '../dispatch/strategies.js';
import { fitRidge, predictLinear } from '../model/baselines.js';
import { centralCalendar } from '../market/calendar.js';
import { simulateMarket } from '../streams/simulator/market.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface DispatchBenchOptions {
  /** Solves per problem size. */
  solves: number;
  /** Backtest length in days (the year after a training year). */
  days: number;
  node: string;
  seed: number;
  /** Quantile of the training year's prices the ridge's inputs and targets are winsorised at (1 = none). */
  clipQuantile: number;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** Ridge forecasts of the next `H` hourly prices from the last `LAGS` hours and the hour of day, issued every hour. */
function ridgeForecasts(curve: PriceCurve, trainEnd: number, clipQuantile: number, H = 36, LAGS = 48): { forecasts: ForecastCurve[]; trainRows: number; clip: number } {
  const n = curve.prices.length;
  // Scarcity spikes (up to the $5,000 offer cap) dominate a squared loss and flatten every other hour's forecast:
  // inputs and targets are winsorised at a quantile of the training year's prices (the forecast never sees beyond).
  const trainPrices = curve.prices.slice(0, Math.round((trainEnd - curve.startMs) / HOUR));
  const clip = quantile(trainPrices, clipQuantile);
  const v = (i: number) => Math.min(clip, curve.prices[i]!);
  const p = LAGS + 24 + 1;
  const origins: number[] = [];
  for (let i = LAGS; i + H <= n; i++) origins.push(i);
  const X = new Float64Array(origins.length * p);
  const Y = new Float64Array(origins.length * H);
  origins.forEach((i, r) => {
    for (let l = 0; l < LAGS; l++) X[r * p + l] = v(i - 1 - l);
    const cal = centralCalendar(curve.startMs + i * HOUR);
    X[r * p + LAGS + cal.hourOfDay] = 1;
    X[r * p + LAGS + 24] = cal.dayOfWeek === 0 || cal.dayOfWeek === 6 || cal.isHoliday ? 1 : 0;
    for (let h = 0; h < H; h++) Y[r * H + h] = v(i + h);
  });
  // Train on origins whose whole target lies before trainEnd: nothing from the backtest is seen.
  const trainRows = origins.filter((i) => curve.startMs + (i + H) * HOUR <= trainEnd).length;
  const model = fitRidge(X, Y, p, H, trainRows);
  const pred = predictLinear(model.weights, X, p, H, trainRows, origins.length);
  const forecasts: ForecastCurve[] = [];
  for (let r = trainRows; r < origins.length; r++) {
    const t = curve.startMs + origins[r]! * HOUR;
    forecasts.push({ modelVersion: 'ridge-lagged-prices', issuedAt: t, inputEnd: t, targetStart: t, stepMs: HOUR, values: Array.from(pred.subarray((r - trainRows) * H, (r - trainRows + 1) * H)) });
  }
  return { forecasts, trainRows, clip };
}

export async function runDispatchBench(o: DispatchBenchOptions): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const highs = await loadSolver();
  const loadMs = performance.now() - t0;
  // Two simulated years of one node: the first trains the forecast, the second is backtested.
  const start = Date.UTC(2023, 0, 1, 6);
  const trainEnd = start + 365 * DAY;
  const end = trainEnd + o.days * DAY;
  const points: Array<[number, number]> = [];
  for (const t of simulateMarket({ start, days: (end - start) / DAY, seed: o.seed, nodes: [o.node], includeSystem: false })) {
    if (t.seriesId === o.node && t.kind === 'RT_PRICE') points.push([t.intervalStart, t.value]);
  }
  const { curve } = hourlyPrices(points, start, end);
  const asset = makeBattery({ id: 'bench-bess', settlementPoint: o.node, powerMw: 10, energyMwh: 20, roundTripEfficiency: 0.85, dailyCycleLimit: 2, degradationCostPerMwh: 2 });

  // Solve times on real price windows of the backtest year.
  const solveTimes = (steps: number, stepMs: number, mode: 'auto' | 'milp') => {
    const ms: number[] = [];
    for (let k = 0; k < o.solves; k++) {
      const at = trainEnd + ((k * 97) % (o.days - 2)) * DAY + (k % 24) * HOUR;
      const i = Math.round((at - start) / HOUR);
      const prices = stepMs === HOUR ? curve.prices.slice(i, i + steps) : Array.from({ length: steps }, (_, q) => curve.prices[i + Math.floor(q / 4)]! + ((q % 4) - 1.5));
      const s = optimiseWith(highs, asset, { startMs: at, stepMs, prices }, { simultaneous: mode });
      ms.push(s.solver.solveMs);
    }
    return { steps, stepMinutes: stepMs / 60_000, mode, p50Ms: quantile(ms, 0.5), p95Ms: quantile(ms, 0.95), meanMs: ms.reduce((a, b) => a + b, 0) / ms.length };
  };
  const buildMs: number[] = [];
  for (let k = 0; k < o.solves; k++) {
    const b0 = performance.now();
    buildBatteryModel(asset, { startMs: trainEnd, stepMs: 900_000, prices: curve.prices.slice(0, 96) }, {}, false, { maximize: highs.constants.objectiveSense.maximize, integer: highs.constants.variableType.integer, infinity: highs.infinity });
    buildMs.push(performance.now() - b0);
  }
  const solves = [
    solveTimes(1, HOUR, 'auto'),
    solveTimes(36, HOUR, 'auto'),
    solveTimes(96, 900_000, 'auto'),
    solveTimes(96, 900_000, 'milp'),
  ];

  // The backtest.
  const f0 = performance.now();
  const { forecasts, trainRows, clip } = ridgeForecasts(curve, trainEnd, o.clipQuantile);
  const forecastMs = performance.now() - f0;
  const b0 = performance.now();
  const result = runBacktest(highs, { asset, grid: { actual: curve, fromMs: trainEnd, toMs: end }, forecasts, strategies: ['forecast', 'baseline', 'persistence', 'perfect'] });
  const backtestMs = performance.now() - b0;
  const by = Object.fromEntries(result.strategies.map((s) => [s.name, s]));
  // A ratio only means something against a positive revenue; the difference in $ always does.
  const ratio = (a: number, b: number) => (b > 0 ? (100 * a) / b : null);
  const out = {
    bench: 'dispatch',
    date: new Date().toISOString(),
    conditions: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, highs: highs.version.string, solverLoadMs: Math.round(loadMs), settlementPoint: o.node, seed: o.seed, asset: { powerMw: 10, energyMwh: 20, roundTripEfficiency: 0.85, dailyCycleLimit: 2, degradationCostPerMwh: 2 } },
    solve: { buildModel96Ms: { p50: quantile(buildMs, 0.5), p95: quantile(buildMs, 0.95) }, solves },
    backtest: {
      period: `${new Date(trainEnd).toISOString().slice(0, 10)} to ${new Date(end).toISOString().slice(0, 10)} (${o.days} simulated days, hourly grid)`,
      forecast: `ridge on the last 48 hourly prices + hour of day + weekend/holiday (model/baselines.ts fitRidge), 36 h ahead, issued hourly; trained on ${trainRows} origins of the simulated year before, prices winsorised at its ${o.clipQuantile} quantile ($${clip.toFixed(0)}/MWh)`,
      forecastSeconds: forecastMs / 1_000,
      backtestSeconds: backtestMs / 1_000,
      forecastSolves: by.forecast?.solves,
      strategies: result.strategies.map((s) => ({ name: s.name, netRevenue: Math.round(s.netRevenue), pctOfPerfect: s.pctOfPerfect === null ? null : Math.round(s.pctOfPerfect * 10) / 10, cycles: Math.round(s.cycles * 10) / 10, dischargedMwh: Math.round(s.dischargedMwh) })),
      forecastVsBaselinePct: ratio(by.forecast!.netRevenue, by.baseline!.netRevenue),
      forecastMinusBaseline: Math.round(by.forecast!.netRevenue - by.baseline!.netRevenue),
      forecastMinusPersistence: Math.round(by.forecast!.netRevenue - by.persistence!.netRevenue),
      forecastVsPersistencePct: ratio(by.forecast!.netRevenue, by.persistence!.netRevenue),
    },
  };
  const md = [
    `| problem | p50 ms | p95 ms | mean ms |`,
    `|---|---:|---:|---:|`,
    `| build the 96-step model (no solve) | ${out.solve.buildModel96Ms.p50.toFixed(2)} | ${out.solve.buildModel96Ms.p95.toFixed(2)} | |`,
    ...solves.map((s) => `| ${s.steps} x ${s.stepMinutes} min, ${s.mode === 'milp' ? 'MILP' : 'LP (MILP only if needed)'} | ${s.p50Ms.toFixed(2)} | ${s.p95Ms.toFixed(2)} | ${s.meanMs.toFixed(2)} |`),
  ].join('\n');
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n\n${md}\n\n${backtestTable(result)}\n\n${monthTable(result)}\n\nbacktest wall time ${out.backtest.backtestSeconds.toFixed(1)} s (${out.backtest.forecastSolves} rolling-horizon solves), forecasts ${out.backtest.forecastSeconds.toFixed(1)} s\n`);
  return out;
}
