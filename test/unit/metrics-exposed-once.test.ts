// trace: D.prometheus
// Issue 12 follow-up: in `sda demo` the gateway and the seven processors run in one process; the processors' ports
// (platform/in-process-metrics.ts) serve the process registry, and the gateway's /metrics merged the same registry in,
// so the forecaster's gauges (sda_model_info, sda_forecast_live_rmse) and the process series were exposed twice.
// Here the gateway's /metrics (GatewayMetrics.handler, the route it is served by) and the seven ports are scraped the
// way Prometheus scrapes them and parsed: no metric family twice in one body, no series in two bodies.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { GatewayMetrics } from '../../gateway/metrics.js';
import { loadConfig } from '../../platform/config.js';
import { SCRAPED_PROCESSORS, processSeriesServedByPorts, serveInProcessMetrics } from '../../platform/in-process-metrics.js';
import { setLiveRmse, setModelVersion } from '../../platform/metrics.js';

/** The families of a Prometheus text exposition body, one entry per `# TYPE` line (a repeated family repeats). */
function families(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
}

/** The series of a body: each sample line without its value (name and labels). */
function series(text: string): string[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.slice(0, l.lastIndexOf(' ')));
}

function repeated(xs: string[]): string[] {
  return [...new Set(xs.filter((x, i) => xs.indexOf(x) !== i))];
}

describe('/metrics: every metric exposed by exactly one endpoint (gateway and in-process processors)', () => {
  let server: import('node:http').Server;
  let gatewayUrl: string;

  before(async () => {
    const metrics = new GatewayMetrics(null, '/nonexistent-registry');
    metrics.httpDuration.observe({ method: 'GET', route: '/forecast', status: '200' }, 0.01);
    const app = express();
    app.get('/metrics', metrics.handler());
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    // What the forecaster's hooks set (processors/forecaster/hooks.ts forecasterHooks).
    setModelVersion('v-once');
    setLiveRmse([{ market: 'ERCOT', seriesId: 'HB_NORTH', kind: 'RT_PRICE', modelVersion: 'v-once', rmse: 4.2 }]);
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('alone (`sda serve`): the gateway serves its own series and the process ones, each family once', async () => {
    assert.equal(processSeriesServedByPorts(), false);
    const text = await (await fetch(gatewayUrl)).text();
    const names = families(text);
    assert.deepEqual(repeated(names), [], 'no family twice in the body');
    for (const name of ['sda_http_request_duration_seconds', 'sda_model_info', 'sda_forecast_live_rmse', 'sda_process_cpu_seconds_total']) {
      assert.ok(names.includes(name), `${name} on the gateway`);
    }
  });

  it('with the processors in process (`sda demo`): the forecaster gauges only on the forecaster port, nothing twice', async () => {
    const ephemeral = { ...loadConfig(), metricsPorts: { postgresSink: 0, windower: 0, featuresSink: 0, forecaster: 0, forecastsSink: 0 }, dispatchMetricsPorts: { dispatcher: 0, dispatchSink: 0 } };
    const m = await serveInProcessMetrics(ephemeral);
    try {
      assert.equal(processSeriesServedByPorts(), true);
      m.expose('forecaster', () => ({ received: 5, deadLettered: 0 }));
      const bodies = new Map<string, string>([['gateway', await (await fetch(gatewayUrl)).text()]]);
      for (const p of SCRAPED_PROCESSORS) bodies.set(p.name, await (await fetch(m.servers[p.name].url)).text());
      for (const [name, text] of bodies) assert.deepEqual(repeated(families(text)), [], `no family twice in ${name}'s body`);
      const gateway = families(bodies.get('gateway')!);
      assert.ok(gateway.includes('sda_http_request_duration_seconds'), 'the gateway keeps its own series');
      const forecaster = families(bodies.get('forecaster')!);
      for (const name of ['sda_model_info', 'sda_forecast_live_rmse']) {
        assert.ok(forecaster.includes(name), `${name} on the forecaster's port`);
        assert.ok(!gateway.includes(name), `${name} not again on the gateway`);
      }
      for (const p of SCRAPED_PROCESSORS) {
        const shared = families(bodies.get(p.name)!).filter((f) => gateway.includes(f));
        assert.deepEqual(shared, [], `families on both the gateway and ${p.name}'s port`);
      }
      // Across the eight bodies each series (name and labels) is served once, so sums over the targets stay right.
      const all = [...bodies.values()].flatMap(series);
      assert.deepEqual(repeated(all), [], 'series served by two endpoints');
    } finally {
      await m.stop();
    }
    assert.equal(processSeriesServedByPorts(), false, 'stopped: the gateway serves the process series again');
    assert.ok(families(await (await fetch(gatewayUrl)).text()).includes('sda_model_info'));
  });
});
