// The dispatch measure of the responder (issue 14): "When should the West battery charge tomorrow?" -> a battery from
// config/assets.json (named by id, by its settlement point, or the first one) -> the newest price forecast of its
// settlement point issued at or before the market clock, for the asked period (default tomorrow, Central) -> the
// dispatch engine's optimiser (dispatch/optimiser.ts, HiGHS) -> a fact listing the charge and discharge hours and the
// expected revenue on the forecast prices. When the engine, the asset file or a forecast is missing the fact says
// the schedule cannot be made yet, and why.
import type pg from 'pg';
import { centralLabel } from '../processors/summarizer/documents.js';
import { logger } from '../config/logger.js';
import type { Intent } from './intent.js';
import { addCentralDays, describePeriod } from './market-clock.js';
import { centralDateOf, centralMidnightUtc } from '../streams/ercot/central-time.js';
import { SQL_FORECAST_AT, type FactValue, type MeasureFact } from './tools.js';

const log = logger('rag-dispatch');

const money = (v: number) => `$${v.toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;

/** The schedule fact for a dispatch question, or a fact saying why there is none. */
export async function dispatchFact(pool: pg.Pool, market: string, intent: Intent, now: number): Promise<Array<MeasureFact | null>> {
  const period = intent.period && intent.period.to > now ? intent.period : (() => {
    const d = addCentralDays(centralDateOf(now), 1);
    return { from: centralMidnightUtc(d), to: centralMidnightUtc(addCentralDays(d, 1)), label: 'tomorrow', rule: 'tomorrow' as const };
  })();
  const cannot = (why: string): MeasureFact => ({ id: 'dispatch:unavailable', text: `I cannot schedule a battery for ${describePeriod(period)} yet: ${why}.`, numbers: {}, values: [] });
  let assets: Array<{ id: string; settlementPoint: string; powerMw: number; energyMwh: number; market: string }>;
  let optimise: (asset: never, curve: { startMs: number; stepMs: number; prices: number[] }) => Promise<{ intervals: Array<{ startMs: number; chargeMw: number; dischargeMw: number }>; expectedRevenue: number; stepMs: number }>;
  try {
    const cfg = await import('../dispatch/assets-config.js');
    const opt = await import('../dispatch/optimiser.js');
    assets = cfg.loadAssets();
    optimise = opt.optimise as unknown as typeof optimise;
  } catch (err) {
    log.info({ err: (err as Error).message }, 'dispatch engine not available');
    return [cannot(`the dispatch engine is not available (${(err as Error).message.slice(0, 120)})`)];
  }
  if (assets.length === 0) return [cannot('no battery is configured in config/assets.json')];
  const byPoint = intent.series.length > 0 ? assets.find((a) => intent.series.includes(a.settlementPoint)) : undefined;
  const asset = byPoint ?? assets[0]!;
  const res = await pool.query<{ model_version: string; step_ms: number; target_start: Date; values: number[]; issued_at: Date }>(SQL_FORECAST_AT, [market, asset.settlementPoint, 'RT_PRICE', new Date(now)]);
  const f = res.rows[0];
  if (!f) return [cannot(`there is no price forecast for ${asset.settlementPoint} issued by ${centralLabel(now)}`)];
  const step = Number(f.step_ms);
  const start0 = f.target_start.getTime();
  const steps = f.values.map((v, i) => ({ at: start0 + i * step, v: Number(v) })).filter((s) => s.at >= period.from && s.at < period.to);
  if (steps.length < 2) return [cannot(`the newest ${asset.settlementPoint} forecast (issued ${centralLabel(f.issued_at.getTime())}) does not cover it`)];
  const schedule = await optimise({ ...asset } as never, { startMs: steps[0]!.at, stepMs: step, prices: steps.map((s) => s.v) });
  const runs = (pick: (i: { chargeMw: number; dischargeMw: number }) => number) => {
    const out: Array<{ from: number; to: number; mw: number }> = [];
    for (const i of schedule.intervals) {
      const mw = pick(i);
      if (mw < 0.01) continue;
      const last = out[out.length - 1];
      if (last && last.to === i.startMs) [last.to, last.mw] = [i.startMs + step, Math.max(last.mw, mw)];
      else out.push({ from: i.startMs, to: i.startMs + step, mw });
    }
    return out;
  };
  const show = (rs: Array<{ from: number; to: number; mw: number }>) => rs.length === 0 ? 'none' : rs.map((r) => `${centralLabel(r.from).slice(11, 16)}-${centralLabel(r.to).slice(11, 16)} CT at up to ${r.mw.toFixed(1)} MW`).join(', ');
  const charge = runs((i) => i.chargeMw);
  const discharge = runs((i) => i.dischargeMw);
  const values: FactValue[] = [
    { series: asset.settlementPoint, kind: 'DISPATCH', measure: 'expectedRevenue', value: Math.round(schedule.expectedRevenue * 100) / 100, unit: '$' },
    { series: asset.settlementPoint, kind: 'DISPATCH', measure: 'powerMw', value: asset.powerMw, unit: 'MW' },
    { series: asset.settlementPoint, kind: 'DISPATCH', measure: 'energyMwh', value: asset.energyMwh, unit: 'MWh' },
    ...[...charge, ...discharge].map((r) => ({ series: asset.settlementPoint, kind: 'DISPATCH', measure: 'mw', value: Math.round(r.mw * 10) / 10, unit: 'MW', at: r.from })),
  ];
  return [{
    id: `dispatch:${asset.id}:${f.model_version}:${steps[0]!.at}`,
    text: `Schedule for battery ${asset.id} (${asset.settlementPoint}, ${asset.powerMw} MW / ${asset.energyMwh} MWh), ${describePeriod(period)}, on the ${asset.settlementPoint} price forecast of model ${f.model_version} issued ${centralLabel(f.issued_at.getTime())}: charge ${show(charge)}; discharge ${show(discharge)}; expected revenue ${money(schedule.expectedRevenue)} on the forecast prices.`,
    numbers: { expectedRevenue: Math.round(schedule.expectedRevenue * 100) / 100 },
    values,
  }];
}
