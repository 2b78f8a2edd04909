// trace: D.prometheus
// platform/metrics.ts: the counters a processor reports and the /metrics server it scrapes from (loopback only).
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { exposeCounts, inferenceSeconds, processorRegistry, setLiveRmse, setModelVersion, startMetricsServer } from '../../platform/metrics.js';

describe('processor metrics', () => {
  it('serves the processed and dead-lettered counts, inference latency, model version and live RMSE on /metrics', async () => {
    const counts = { received: 0, deadLettered: 0 };
    exposeCounts('unit-test-proc', () => counts);
    const server = await startMetricsServer(0);
    try {
      counts.received = 10;
      counts.deadLettered = 2;
      inferenceSeconds.observe({ model_version: 'unit-v1' }, 0.002);
      setModelVersion('unit-v1');
      setLiveRmse([{ market: 'ERCOT', seriesId: 'HB_UNIT', kind: 'RT_PRICE', modelVersion: 'unit-v1', rmse: 4.5 }]);
      let text = await (await fetch(server.url)).text();
      assert.match(text, /sda_records_processed_total\{processor="unit-test-proc"\} 8\n/);
      assert.match(text, /sda_records_dead_lettered_total\{processor="unit-test-proc"\} 2\n/);
      assert.match(text, /sda_model_inference_seconds_count\{model_version="unit-v1"\} 1\n/);
      assert.match(text, /sda_model_info\{model_version="unit-v1"\} 1\n/);
      assert.match(text, /sda_forecast_live_rmse\{market="ERCOT",series="HB_UNIT",kind="RT_PRICE",model_version="unit-v1"\} 4.5\n/);
      counts.received = 15;
      setModelVersion('unit-v2');
      text = await (await fetch(server.url)).text();
      assert.match(text, /sda_records_processed_total\{processor="unit-test-proc"\} 13\n/, 'counters grow by the difference');
      assert.doesNotMatch(text, /sda_model_info\{model_version="unit-v1"\}/, 'only the served version is marked');
      assert.equal((await fetch(server.url.replace('/metrics', '/other'))).status, 404);
    } finally {
      await server.close();
    }
    assert.ok((await processorRegistry.getMetricsAsJSON()).length > 0);
  });

  it('falls back to a free port when its port is taken, so metrics never stop a processor', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const server = await startMetricsServer(taken);
      assert.notEqual(server.port, taken);
      assert.equal((await fetch(server.url)).status, 200);
      await server.close();
      await assert.rejects(startMetricsServer(taken, { strictPort: true }), /EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
});
