// trace: D.prometheus
// The demo's in-process processors' metrics, scraped by the stack's real Prometheus: the seven processor ports are
// started the way `sda demo` starts them (serveInProcessMetrics, exposeCounts per processor), registered through the
// file_sd directory of deploy/prometheus.yml (ephemeral ports here; the demo uses the configured ones that the
// sda-processors job scrapes), and sda_records_processed_total is queryable once per processor.
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SCRAPED_PROCESSORS, serveInProcessMetrics, type InProcessMetrics } from '../../platform/in-process-metrics.js';
import { config, uniqueName } from './harness.js';

type PromResult = Array<{ metric: Record<string, string>; value: [number, string] }>;

async function promQuery(query: string): Promise<PromResult> {
  const res = await fetch(`http://127.0.0.1:${config.prometheus.port}/api/v1/query?query=${encodeURIComponent(query)}`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: { result: PromResult } }).data.result;
}

describe('processor metrics in the demo are scraped by Prometheus', () => {
  const tag = uniqueName('procs').replace('.', '-');
  const targetFile = path.join(config.cacheDir, 'prometheus', 'targets', `${tag}.json`);
  let m: InProcessMetrics | undefined;

  after(async () => {
    await rm(targetFile, { force: true });
    await m?.stop();
  });

  it('each of the seven processors has its sda_records_processed_total, from its own target', async () => {
    m = await serveInProcessMetrics({ ...config, metricsPorts: { postgresSink: 0, windower: 0, featuresSink: 0, forecaster: 0, forecastsSink: 0 }, dispatchMetricsPorts: { dispatcher: 0, dispatchSink: 0 } });
    const received = { 'postgres-sink': 100, windower: 200, 'features-sink': 300, forecaster: 400, 'forecasts-sink': 500, dispatcher: 600, 'dispatch-sink': 700 } as const;
    for (const p of SCRAPED_PROCESSORS) m.expose(p.name, () => ({ received: received[p.name], deadLettered: 0 }));
    await mkdir(path.dirname(targetFile), { recursive: true });
    // As deploy/prometheus.yml's sda-processors job labels its static targets.
    await writeFile(targetFile, JSON.stringify(SCRAPED_PROCESSORS.map((p) => ({ targets: [new URL(m!.servers[p.name].url).host], labels: { sda_test: tag, processor: p.name } }))));
    const query = `sda_records_processed_total{sda_test="${tag}"}`;
    const deadline = Date.now() + 90_000;
    let result: PromResult = [];
    while (Date.now() < deadline) {
      result = await promQuery(query);
      if (result.length >= SCRAPED_PROCESSORS.length) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    assert.equal(result.length, SCRAPED_PROCESSORS.length, `Prometheus has ${query} for each processor (is the file_sd job loaded? run sda stack up)`);
    for (const r of result) {
      // The target's processor label and the series' own (renamed exported_processor by Prometheus) agree.
      assert.equal(r.metric.exported_processor ?? r.metric.processor, r.metric.processor);
      assert.equal(Number(r.value[1]), received[r.metric.processor as keyof typeof received]);
    }
    const up = await promQuery(`up{sda_test="${tag}"}`);
    assert.equal(up.length, SCRAPED_PROCESSORS.length);
    assert.ok(up.every((u) => u.value[1] === '1'), 'all seven targets up');
    const cpu = await promQuery(`sda_process_cpu_seconds_total{sda_test="${tag}"}`);
    assert.deepEqual(cpu.map((c) => c.metric.processor), ['postgres-sink'], 'process series scraped once, not five times');
  });
});
