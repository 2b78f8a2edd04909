// trace: D.prometheus
// The demo's in-process processors' metrics: each of the seven scraped ports serves its own processor's series, and
// every series of the process is served by exactly one port (so sums over the seven Prometheus targets stay right);
// every target of deploy/prometheus.yml's sda-processors job is one of them (the demo runs all seven).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../platform/config.js';
import { SCRAPED_PROCESSORS, filterExposition, homeOf, serveInProcessMetrics } from '../../platform/in-process-metrics.js';
import { processorRegistry } from '../../platform/metrics.js';

const TEXT = [
  '# HELP sda_records_processed_total Records.',
  '# TYPE sda_records_processed_total counter',
  'sda_records_processed_total{processor="windower"} 7',
  'sda_records_processed_total{processor="forecaster"} 3',
  'sda_records_processed_total{processor="documents-sink"} 2',
  '# HELP sda_model_info The model.',
  '# TYPE sda_model_info gauge',
  'sda_model_info{model_version="v1"} 1',
  '# HELP sda_process_cpu_seconds_total CPU.',
  '# TYPE sda_process_cpu_seconds_total counter',
  'sda_process_cpu_seconds_total 1.5',
  '',
].join('\n');

describe('in-process processor metrics (the demo)', () => {
  it('homeOf: the processor label decides; model series go to the forecaster; the rest to the first port', () => {
    assert.equal(homeOf('sda_records_processed_total{processor="windower"} 7'), 'windower');
    assert.equal(homeOf('sda_x{a="b",processor="forecasts-sink"} 1'), 'forecasts-sink');
    assert.equal(homeOf('sda_model_inference_seconds_bucket{le="0.001",model_version="v1"} 4'), 'forecaster');
    assert.equal(homeOf('sda_process_cpu_seconds_total 1.5'), 'postgres-sink');
    assert.equal(homeOf('sda_records_processed_total{processor="documents-sink"} 2'), 'postgres-sink');
  });

  it('filterExposition keeps a family header only with its samples, and every sample lands on exactly one port', () => {
    assert.equal(filterExposition(TEXT, 'windower'), '# HELP sda_records_processed_total Records.\n# TYPE sda_records_processed_total counter\nsda_records_processed_total{processor="windower"} 7\n');
    assert.match(filterExposition(TEXT, 'forecaster'), /processor="forecaster"\} 3\n# HELP sda_model_info The model\.\n# TYPE sda_model_info gauge\nsda_model_info\{model_version="v1"\} 1\n$/);
    assert.equal(filterExposition(TEXT, 'features-sink'), '');
    const samples = TEXT.split('\n').filter((l) => l && !l.startsWith('#'));
    const served = SCRAPED_PROCESSORS.flatMap((p) => filterExposition(TEXT, p.name).split('\n').filter((l) => l && !l.startsWith('#')));
    assert.deepEqual(served.sort(), samples.sort());
  });

  it('every sda-processors target of deploy/prometheus.yml is served, on the port the stack renders into it', () => {
    const yml = readFileSync(path.join(loadConfig().root, 'deploy', 'prometheus.yml'), 'utf8');
    const job = yml.slice(yml.indexOf('job_name: sda-processors'));
    const targets = [...job.matchAll(/targets: \['127\.0\.0\.1:(\d+)'\]\s*\n\s*labels: \{ processor: ([\w-]+) \}/g)].map((x) => [x[2], Number(x[1])]);
    assert.ok(targets.length >= 7, `the job's targets: ${JSON.stringify(targets)}`);
    // The defaults (no *_METRICS_PORT set) are the template's ports: each scraped processor serves its target's port.
    const defaults = loadConfig({});
    assert.deepEqual(SCRAPED_PROCESSORS.map((p) => [p.name, p.port(defaults)]).sort(), targets.sort());
  });

  it('served the way the demo serves them: seven ports, each with its own sda_records_processed_total', async () => {
    const ephemeral = { ...loadConfig(), metricsPorts: { postgresSink: 0, windower: 0, featuresSink: 0, forecaster: 0, forecastsSink: 0 }, dispatchMetricsPorts: { dispatcher: 0, dispatchSink: 0 } };
    const m = await serveInProcessMetrics(ephemeral);
    try {
      const counts = { 'postgres-sink': 11, windower: 22, 'features-sink': 33, forecaster: 44, 'forecasts-sink': 55, dispatcher: 66, 'dispatch-sink': 77 } as const;
      for (const [name, received] of Object.entries(counts)) m.expose(name as keyof typeof counts, () => ({ received, deadLettered: 1 }));
      // The process registry's families before and after the scrapes: some come and go in between (the GC
      // histogram's first sample comes with the first garbage collection; nodejs_active_requests has samples only
      // while requests are open), so the families present both times are the ones every scrape must hold.
      const names = (text: string) => new Set(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]!));
      const before = names(await processorRegistry.metrics());
      const seen = new Map<string, string>();
      for (const p of SCRAPED_PROCESSORS) {
        const res = await fetch(m.servers[p.name].url);
        assert.equal(res.status, 200);
        const text = await res.text();
        seen.set(p.name, text);
        const processed = [...text.matchAll(/^sda_records_processed_total\{processor="([^"]+)"\} (\d+)/gm)].map((x) => [x[1], Number(x[2])]);
        assert.deepEqual(processed, [[p.name, counts[p.name] - 1]], `${p.name}'s port serves its own count (received - dead-lettered)`);
        assert.match(text, new RegExp(`^sda_records_dead_lettered_total\\{processor="${p.name}"\\} 1$`, 'm'));
      }
      assert.match(seen.get('postgres-sink')!, /^sda_process_cpu_seconds_total /m, 'process series on the first port');
      for (const p of SCRAPED_PROCESSORS.slice(1)) assert.doesNotMatch(seen.get(p.name)!, /^sda_process_cpu_seconds_total /m, `not again on ${p.name}`);
      // Together the seven ports serve every series family of the process registry.
      const union = new Set([...seen.values()].flatMap((t) => [...names(t)]));
      const after = names(await processorRegistry.metrics());
      const stable = [...before].filter((n) => after.has(n));
      assert.ok(stable.length > 10, `the process registry has its families: ${stable.join(' ')}`);
      for (const name of stable) assert.ok(union.has(name), `${name} is served by one of the ports`);
    } finally {
      await m.stop();
    }
  });
});
