// Forecast quality with `sda train`'s defaults: the simulated market (the demo's 45 days, seed 42) and the real
// taylor demand series go through the real windower and features sink (bench topics, bench markets QSIM and QGB),
// then runTraining with TRAIN_DEFAULTS (36 h, P10/P50/P90, rolling-origin validation) registers into a temporary
// registry (not promoted).
// Prints per dataset: hold-out RMSE per horizon (h = 1, 6, 12, 24, 36) for the served model and every baseline,
// the Diebold-Mariano test of the served forecast against the best baseline at each of those horizons,
// pinball loss and P10-P90 coverage, the band width in the top 5% actuals against the rest, every band calibration
// the trainer computed scored on the hold-out (for the record), the step sources, and seconds per epoch and in all.
import { mkdtemp, rm } from 'node:fs/promises';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Config } from '../platform/config.js';
import { REPORT_HORIZONS, horizonTable, quantileLine, significanceLines } from '../model/evaluate.js';
import { TRAIN_DEFAULTS, bandVariantTable, describeSources, onlineBandTable, runTraining } from '../model/train.js';
import { startWindower } from '../processors/windower/processor.js';
import { SYSTEM_SERIES_ID } from '../market/series.js';
import type { MarketTick } from '../schemas/types.js';
import { startFeaturesSink } from '../sinks/postgres/features-sink.js';
import { createPool } from '../platform/postgres/pool.js';
import { BulkProducer } from '../platform/kafka/client.js';
import { provision } from '../platform/kafka/provision.js';
import { simulateMarket } from '../streams/simulator/market.js';
import { TAYLOR_SERIES, ensureTaylorCsv, taylorParsed } from '../streams/taylor.js';
import { freshTopics } from './topics.js';

export interface QualityOptions {
  days: number;
  /** Which datasets: 'sim', 'taylor'. */
  datasets: string[];
  epochs?: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : Number.NaN;
};

/** Publish ticks to fresh bench topics, run the real windower and features sink until the stored count settles. */
async function featuresFor(config: Config, market: string, ticks: MarketTick[], print: (s: string) => void): Promise<number> {
  const pool = createPool(config, 1);
  const p = await provision(config, 'sda-bench-quality');
  const base = `bench.quality.${market.toLowerCase()}`;
  const input = `${base}.in`;
  const output = `${base}.out`;
  const changelog = `${base}.changelog`;
  try {
    await pool.query('DELETE FROM features WHERE market = $1', [market]);
    await freshTopics(config, [{ name: input, partitions: 1 }, { name: output, partitions: 1 }, { name: changelog, compact: true, partitions: 1 }]);
    const producer = new BulkProducer(config, 'sda-bench-quality');
    const encoded = ticks.map((t) => ({ key: t.seriesId, value: p.serde.encode(p.writers.ticks, t) }));
    for (let i = 0; i < encoded.length; i += 2_000) await producer.send(input, encoded.slice(i, i + 2_000));
    await producer.close();
    const stamp = Date.now();
    const windower = await startWindower(config, { inputTopic: input, outputTopic: output, changelogTopic: changelog, groupId: `bench-quality-win-${market}-${stamp}` }, p);
    const sink = await startFeaturesSink(config, { topic: output, groupId: `bench-quality-sink-${market}-${stamp}` }, p);
    const count = async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM features WHERE market = $1', [market])).rows[0]!.n);
    let last = -1;
    let stableSince = Date.now();
    const deadline = Date.now() + 120_000;
    try {
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1_000));
        const n = await count();
        if (n !== last) {
          last = n;
          stableSince = Date.now();
        } else if (n > 0 && Date.now() - stableSince > 5_000) break;
      }
    } finally {
      await sink.stop();
      await windower.stop();
    }
    print(`${market}: ${ticks.length} ticks → ${last} feature windows (windower + features sink, topics ${base}.*)`);
    return last;
  } finally {
    await pool.end();
  }
}

export async function runForecastQualityBench(config: Config, opts: QualityOptions): Promise<void> {
  const print = (s: string) => process.stdout.write(`${s}\n`);
  const registry = await mkdtemp(join(os.tmpdir(), 'sda-bench-quality-'));
  const results: Record<string, unknown> = {};
  print(`bench forecast-quality: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  print(`defaults: horizon ${TRAIN_DEFAULTS.horizon}, LSTM ${TRAIN_DEFAULTS.units}, epochs ${opts.epochs ?? TRAIN_DEFAULTS.epochs} (early stopping), lr ${TRAIN_DEFAULTS.learningRates.join('/')}, loss ${TRAIN_DEFAULTS.loss}, target ${TRAIN_DEFAULTS.target}, batch ${TRAIN_DEFAULTS.batchSize}, blends ${TRAIN_DEFAULTS.blendRule}, band rule ${TRAIN_DEFAULTS.bandRule} / sides ${TRAIN_DEFAULTS.bandSides} / scale ${TRAIN_DEFAULTS.bandScale}`);
  try {
    const targets: Array<{ name: string; market: string; kind: string; seriesIds?: string[]; ticks: () => Promise<MarketTick[]> }> = [];
    if (opts.datasets.includes('sim')) {
      targets.push({
        name: `simulated market (${opts.days} days, seed 42, RT prices of the hubs + SYSTEM context)`,
        market: 'QSIM',
        kind: 'RT_PRICE',
        ticks: async () => [...simulateMarket({ start: Date.UTC(2024, 4, 1, 5), days: opts.days, seed: 42, includeSystem: true })]
          .filter((t) => (t.kind === 'RT_PRICE' && t.seriesId.startsWith('HB_')) || t.seriesId === SYSTEM_SERIES_ID)
          .map((t) => ({ ...t, market: 'QSIM' })),
      });
    }
    if (opts.datasets.includes('taylor')) {
      targets.push({
        name: 'taylor (England & Wales demand, June-August 2000, half-hourly → hourly windows)',
        market: 'QGB',
        kind: 'LOAD',
        seriesIds: [TAYLOR_SERIES],
        ticks: async () => {
          const file = await ensureTaylorCsv(config);
          return taylorParsed(fs.readFileSync(file, 'utf8'), Date.now()).flatMap((r) => (r.ok ? [{ ...r.tick, market: 'QGB' }] : []));
        },
      });
    }
    for (const t of targets) {
      print('');
      print(`## ${t.name}`);
      await featuresFor(config, t.market, await t.ticks(), print);
      const pool = createPool(config, 2);
      try {
        const t0 = performance.now();
        const lines: string[] = [];
        const r = await runTraining(pool, {
          ...TRAIN_DEFAULTS,
          ...(opts.epochs ? { epochs: opts.epochs } : {}),
          market: t.market,
          kind: t.kind,
          seriesIds: t.seriesIds,
          backend: 'auto',
          registry,
          promote: false,
          progress: false,
          scoreBandVariants: true,
          print: (l) => lines.push(l),
        });
        const seconds = (performance.now() - t0) / 1_000;
        const epochSeconds = (r.metadata.training?.epochSeconds as number[]) ?? [];
        print(`dataset: ${r.dataset.n} samples, ${r.dataset.trainCount} training (of which ${String(r.metadata.training?.validationSamples)} validate, the latest), ${r.dataset.n - r.dataset.trainCount} hold-out; backend ${r.backend}`);
        print('');
        print(`hold-out RMSE (${r.evaluation.unit}) per horizon, all series; model = what is served`);
        print(horizonTable(r.evaluation));
        print('');
        print(significanceLines(r.evaluation));
        print('');
        print(`hold-out MAE (${r.evaluation.unit}) per horizon, all series`);
        print(horizonTable(r.evaluation, 'mae'));
        print('');
        print(quantileLine(r.evaluation));
        print(`step sources: ${describeSources(r.metadata.stepSources ?? [])}`);
        const served = r.bandVariants.find((v) => v.served);
        if (served) {
          const g = served.regime;
          print(`static band (${served.rule}, ${served.sides} sides, scale ${served.scale}${r.metadata.onlineBand ? '; not served, the online band is' : ''}): width in the top 5% actuals (>= ${g.threshold.toFixed(1)} ${r.evaluation.unit}) ${g.top.meanWidth.toFixed(2)} vs the rest ${g.rest.meanWidth.toFixed(2)}; coverage there ${(g.top.coverage * 100).toFixed(1)}% vs ${(g.rest.coverage * 100).toFixed(1)}%`);
        }
        print('band calibrations on the hold-out, for the record (the served one chosen on the validation blocks):');
        print(bandVariantTable(r.bandVariants, r.evaluation.unit));
        print('online band candidates (model/online-band.ts): validation = the rolling-origin blocks after the first, in time order per series; hold-out for the record (the served one chosen before, never on, the hold-out):');
        print(onlineBandTable(r.onlineBands, r.evaluation.unit));
        const folds = (r.metadata.training?.rollingOrigin as Array<{ fitSamples: number; validationSamples: number; bestEpoch: number }> | undefined) ?? [];
        if (folds.length > 1) print(`validation: rolling origin, ${folds.length} blocks (fit/validate samples ${folds.map((f) => `${f.fitSamples}/${f.validationSamples}`).join(', ')}; best epochs ${folds.map((f) => f.bestEpoch).join(', ')}; refit ${String(r.metadata.training?.refitEpochs)} epochs)`);
        print(`training: ${seconds.toFixed(1)} s in all (${(r.metadata.training?.learningRatesTried as unknown[])?.length ?? 1} learning rates), median ${median(epochSeconds).toFixed(2)} s per epoch of the chosen run (${r.metadata.training?.fitSamples} samples, batch ${TRAIN_DEFAULTS.batchSize}), best epoch ${String(r.metadata.training?.bestEpoch)}, lr ${String(r.metadata.training?.learningRate)}`);
        const wins = REPORT_HORIZONS.filter((h) => h <= r.evaluation.horizon).map((h) => {
          const rows = r.evaluation.byHorizon.filter((s) => s.h === h);
          const model = rows.find((s) => s.method === 'model')!.rmse;
          const best = Math.min(...rows.filter((s) => s.method !== 'model').map((s) => s.rmse));
          const dm = r.evaluation.significance.find((g) => g.h === h);
          const verdict = dm?.same || Math.abs(model - best) <= 1e-6 * best ? 'ties (serves)' : model < best ? 'beats' : 'LOSES TO';
          const p = dm && !dm.same ? `, DM p = ${dm.test.pValue.toFixed(3)}` : '';
          return `h${h} ${verdict} the best baseline (${model.toFixed(2)} vs ${best.toFixed(2)}${p})`;
        });
        print(wins.join('; '));
        results[t.market] = { byHorizon: r.evaluation.byHorizon.filter((s) => (REPORT_HORIZONS as readonly number[]).includes(s.h)), significance: r.evaluation.significance, quantiles: r.evaluation.quantiles, staticQuantiles: r.evaluation.staticQuantiles, onlineBand: r.metadata.onlineBand, onlineBands: r.onlineBands, bandVariants: r.bandVariants, stepSources: r.metadata.stepSources, seconds, epochSeconds, training: r.metadata.training };
        if (process.env.SDA_BENCH_VERBOSE) for (const l of lines) print(`  ${l}`);
      } finally {
        await pool.end();
      }
    }
    print('');
    print(JSON.stringify(results));
  } finally {
    await rm(registry, { recursive: true, force: true });
  }
}
