// runBacktestJobInWorker: the same result as runBacktestJob on the caller's thread, the caller's event loop left free
// while the synchronous solves run (the demo's in-process consumers must keep heartbeating), errors carried back with
// their codes. Simulator actuals and strategies without forecasts: no PostgreSQL, no Kafka.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeBattery } from '../../dispatch/asset.js';
import { DispatchError } from '../../dispatch/errors.js';
import { loadConfig } from '../../platform/config.js';
import { type ActualsSource, type BacktestJobResult, runBacktestJob } from '../../processors/dispatcher/backtest-job.js';
import { errorData, errorFromData, runBacktestJobInWorker } from '../../processors/dispatcher/backtest-worker.js';
import { ConfigError } from '../../platform/config.js';
import { SdaError } from '../../platform/errors.js';
import { KafkaError, PoisonRecordError } from '../../platform/kafka/errors.js';
import { SourceFileError } from '../../streams/errors.js';
import { SimulatorOptionError } from '../../streams/simulator/catalog.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SIM = { start: Date.UTC(2024, 4, 1, 5), days: 16, seed: 11 };
const asset = makeBattery({ id: 'bess-test', powerMw: 10, energyMwh: 20, settlementPoint: 'HB_NORTH' });
const options = {
  assets: [asset],
  fromMs: SIM.start + 6 * DAY,
  toMs: SIM.start + SIM.days * DAY,
  historyDays: 6,
  strategies: ['persistence', 'baseline', 'perfect'] as const,
  actuals: { kind: 'simulator' as const, ...SIM },
};

describe('runBacktestJobInWorker', () => {
  it('returns what runBacktestJob returns on the calling thread, and the calling loop runs timers before it settles', async () => {
    const config = loadConfig();
    // First on the calling thread: this also loads HiGHS here, so that below, a job on this thread would have no real
    // asynchronous step left (its awaits settle as microtasks: simulator actuals, no PostgreSQL, no Kafka, no models).
    const here = await runBacktestJob(config, { ...options, strategies: [...options.strategies] });
    // Timer callbacks that run between the call and the promise settling. Timers run only when the calling thread's
    // loop is free; a job that ran its synchronous solves on this thread would settle with none (0); on the worker,
    // the loop is free while the thread starts and solves, so the interval runs.
    let ticks = 0;
    let ticksAtSettle = -1;
    const timer = setInterval(() => {
      ticks++;
    }, 1);
    let inWorker: BacktestJobResult;
    try {
      inWorker = await runBacktestJobInWorker(config, { ...options, strategies: [...options.strategies] }).finally(() => {
        ticksAtSettle = ticks;
      });
    } finally {
      clearInterval(timer);
    }
    assert.equal(inWorker.results.length, 1);
    // Same figures (wall times and solve times differ between runs, so compare without them).
    const strip = (r: BacktestJobResult) => r.results.map((b) => ({ ...b, strategies: b.strategies.map(({ solveMs: _, ...s }) => s) }));
    assert.deepEqual(strip(inWorker), strip(here));
    assert.deepEqual({ ...inWorker.meta, 'wall time': '' }, { ...here.meta, 'wall time': '' });
    assert.ok(inWorker.results[0]!.strategies.find((s) => s.name === 'persistence')!.solves >= 9, 'a daily re-solve per day of the period');
    assert.ok(ticksAtSettle >= 1, `timer callbacks on the calling thread before the job settled: ${ticksAtSettle} (0: the job held this thread)`);
  });

  it("rethrows the job's DispatchError with its code and message", async () => {
    const config = loadConfig();
    // A period before the simulated prices begin.
    const bad = { ...options, strategies: [...options.strategies], fromMs: SIM.start - 30 * DAY, toMs: SIM.start - 20 * DAY };
    const here = await runBacktestJob(config, bad).then(
      () => assert.fail('expected BACKTEST_INVALID'),
      (e: unknown) => e as DispatchError,
    );
    await assert.rejects(runBacktestJobInWorker(config, bad), (e: unknown) => {
      assert.ok(e instanceof DispatchError);
      assert.equal(e.code, 'BACKTEST_INVALID');
      assert.equal(e.message, here.message);
      return true;
    });
  });

  // A validation error of the job's inputs keeps its class, code and fields across the thread (before, only a
  // DispatchError did: these arrived as plain Errors, and a caller could not tell bad input from a service down).
  const cases: Array<{ what: string; actuals: ActualsSource; Cls: typeof SourceFileError | typeof SimulatorOptionError; fields: Record<string, unknown> }> = [
    { what: 'a replay file that does not exist', actuals: { kind: 'files', files: ['/nonexistent/sda-backtest-worker.csv'] }, Cls: SourceFileError, fields: { file: '/nonexistent/sda-backtest-worker.csv' } },
    { what: 'a simulator start off the 15-minute grid', actuals: { kind: 'simulator', ...SIM, start: SIM.start + 1 }, Cls: SimulatorOptionError, fields: { option: 'start' } },
  ];
  for (const { what, actuals, Cls, fields } of cases) {
    it(`rethrows ${what} as the same ${Cls.name}: code, retriable, message and fields`, async () => {
      const config = loadConfig();
      const job = { ...options, strategies: [...options.strategies], actuals };
      const here = await runBacktestJob(config, job).then(
        () => assert.fail(`expected a ${Cls.name}`),
        (e: unknown) => e as SdaError,
      );
      assert.ok(here instanceof Cls, `on the calling thread: ${here.name}`);
      await assert.rejects(runBacktestJobInWorker(config, job), (e: unknown) => {
        assert.ok(e instanceof Cls, `a ${Cls.name}, got ${(e as Error).name}: ${(e as Error).message}`);
        assert.deepEqual([e.name, e.code, e.retriable, e.message], [here.name, here.code, here.retriable, here.message]);
        for (const [k, v] of Object.entries(fields)) assert.equal((e as unknown as Record<string, unknown>)[k], v, k);
        return true;
      });
    });
  }

  it('errorData/errorFromData carry a Kafka error, its cause chain and a plain error with a code through a structured clone', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const kafka = new KafkaError('REGISTRY_UNAVAILABLE', 'could not fetch schema 7 from http://127.0.0.1:9: refused. Is the stack up (sda stack status)?', true, { cause: refused });
    const read = new KafkaError('TOPIC_READ_FAILED', `reading t partition 0 stopped at offset 3: ${kafka.message}`, true, { cause: kafka });
    // postMessage clones with the same algorithm as structuredClone.
    const back = errorFromData(structuredClone(errorData(read)));
    assert.ok(back instanceof KafkaError);
    assert.deepEqual([back.name, back.code, back.retriable, back.message], ['KafkaError', 'TOPIC_READ_FAILED', true, read.message]);
    assert.equal(back.stack, read.stack, "the worker's stack");
    const cause = back.cause as KafkaError;
    assert.ok(cause instanceof KafkaError);
    assert.deepEqual([cause.code, cause.retriable, cause.message], ['REGISTRY_UNAVAILABLE', true, kafka.message]);
    const root = cause.cause as Error & { code?: string };
    assert.ok(root instanceof Error && !(root instanceof SdaError));
    assert.deepEqual([root.name, root.code, root.message], ['Error', 'ECONNREFUSED', refused.message]);
    assert.deepEqual(back.toJSON(), read.toJSON());
  });

  it('errorFromData gives back classes with their own constructors and fields, and other project errors as SdaError', () => {
    const config = errorFromData(structuredClone(errorData(new ConfigError(['PGPORT must be a port number']))));
    assert.ok(config instanceof ConfigError);
    assert.deepEqual([config.code, config.problems], ['CONFIG_INVALID', ['PGPORT must be a port number']]);
    const poison = errorFromData(structuredClone(errorData(new PoisonRecordError('AVRO_DECODE', 'body does not decode'))));
    assert.ok(poison instanceof PoisonRecordError);
    assert.equal(poison.reasonCode, 'avro-decode');
    const other = errorFromData(structuredClone(errorData(new SdaError('SOMETHING_ELSE', 'an error of a class the worker does not list', true))));
    assert.ok(other instanceof SdaError);
    assert.deepEqual([other.name, other.code, other.retriable], ['SdaError', 'SOMETHING_ELSE', true]);
    const thrown = errorFromData(structuredClone(errorData('a thrown string')));
    assert.deepEqual([thrown.name, thrown.message], ['Error', 'a thrown string']);
  });
});
