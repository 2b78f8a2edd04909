// trace: D.forecaster
// A served model's inputs are clipped to the range it was trained on (model/contract.ts Standardizer.min/max,
// scaleSequence): a fresh-clone tester saw a model trained on $-10-$180 prices serve P50s from -$320 to +$2,244 for a
// day after $5,000 intervals entered its 24 h input window (the linear base extrapolates). Through the ONNX model as
// the forecaster runs it (OnnxModel.forecastBands, a seeded random LSTM): a window with a $5,000 spike is served as
// the same window with the spike at the clip bound (the training max plus INPUT_CLIP_MARGIN of the range); without a
// recorded range it is not.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { INPUT_CLIP_MARGIN, METADATA_FILE, inputClipBounds, validateMetadata } from '../../model/contract.js';
import { OnnxModel } from '../../model/onnx-model.js';
import { loadEntry } from '../../model/registry.js';
import { lastWeekStep } from '../../model/last-week.js';
import { SeriesHistory, serveSteps } from '../../processors/forecaster/history.js';
import { randomModelMetadata, writeRandomModel } from '../../processors/forecaster/random-model.js';

describe('model inputs clipped to the training range', () => {
  it('a step served from same hour last week reads last week\'s value clipped the same way (forecaster serveSteps, trainer lastWeekStep)', () => {
    // A re-tester: a 0.1 weight on a $4,988 interval a week earlier served $527-$541 against an actual of $40.
    const HOUR = 3_600_000;
    const T = Date.UTC(2024, 6, 3, 1);
    const ranged = randomModelMetadata({ version: 'lw-clip', horizon: 2, stepSources: ['lstm', 'lstm'], lastWeek: { steps: [1], weight: 0.1 } });
    ranged.scaler.features[0] = { ...ranged.scaler.features[0]!, min: -10, max: 180 };
    const plain = randomModelMetadata({ version: 'lw-plain', horizon: 2, stepSources: ['lstm', 'lstm'], lastWeek: { steps: [1], weight: 0.1 } });
    const history = new SeriesHistory();
    const key = { market: 'ERCOT', seriesId: 'HB_NORTH', kind: 'RT_PRICE', stepMs: HOUR };
    // Last week's window holds $4,988 at the slot step 1 targets (T + 1 h − 7 d); this week's is calm.
    history.add({ ...key, windowEnd: T + HOUR - 7 * 24 * HOUR, values: Array.from({ length: 24 }, (_, i) => (i === 23 ? 4_988 : 30)) });
    const w = { ...key, windowEnd: T, values: Array.from({ length: 24 }, () => 40) };
    history.add(w);
    const band = { p10: [35, 35], p90: [45, 45] };
    const hi = inputClipBounds(ranged.scaler.features[0]!)!.hi;
    const a = serveSteps(w, ranged, [40, 40], band, history);
    assert.ok(Math.abs(a.values[0]! - (0.1 * hi + 0.9 * 40)) < 1e-9, `served ${a.values[0]}`);
    assert.ok(Math.abs(a.p90![0]! - (a.values[0]! + 5)) < 1e-9, 'the band moves with the clipped value');
    assert.equal(lastWeekStep(ranged, 0, 0.1, 4_988, 40).value, a.values[0]);
    const b = serveSteps(w, plain, [40, 40], band, history);
    assert.ok(Math.abs(b.values[0]! - (0.1 * 4_988 + 0.9 * 40)) < 1e-9, 'without a range, as before');
  });

  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('a $5,000 spike in the input window is served as the clip bound; without a range it is extrapolated', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sda-clip-'));
    dirs.push(root);
    const meta = await writeRandomModel(root, { version: 'clip-test', horizon: 4, units: 8, seed: 3, stepSources: ['lstm', 'lstm', 'lstm', 'lstm'] });
    // The range a trainer would record: the value fitted on $-10-$180.
    const file = join(root, meta.version, METADATA_FILE);
    const m = JSON.parse(await readFile(file, 'utf8'));
    m.scaler.features[0] = { ...m.scaler.features[0], min: -10, max: 180 };
    await writeFile(file, JSON.stringify(m));
    const entry = await loadEntry(root, meta.version);
    assert.deepEqual(validateMetadata(m, 'x').scaler.features[0], { mean: 40, std: 15, min: -10, max: 180 });
    const base = { stepMs: 3_600_000, windowEnd: Date.UTC(2024, 5, 26, 12), hourOfDay: 6, dayOfWeek: 3, isHoliday: false };
    const calm = Array.from({ length: 24 }, (_, i) => 30 + 5 * Math.sin(i / 4));
    const spike = { ...base, values: calm.map((v, i) => (i >= 18 ? 5_000 : v)) };
    const hi = inputClipBounds(entry.metadata.scaler.features[0]!)!.hi;
    assert.equal(hi, 180 + INPUT_CLIP_MARGIN * 190);
    const atMax = { ...base, values: calm.map((v, i) => (i >= 18 ? hi : v)) };
    const clipped = await OnnxModel.load(entry);
    const plain = await OnnxModel.load({ ...entry, metadata: { ...entry.metadata, scaler: { ...entry.metadata.scaler, features: entry.metadata.scaler.features.map(({ mean, std }) => ({ mean, std })) } } });
    try {
      const [s, a] = await clipped.forecastBands([spike, atMax]);
      assert.deepEqual(s, a, 'the spike is served as the clip bound');
      const [u] = await plain.forecastBands([spike]);
      assert.ok(u!.values.some((v, h) => Math.abs(v - a!.values[h]!) > 1), `without a range the spike moves the forecast: ${u!.values.join(', ')} vs ${a!.values.join(', ')}`);
    } finally {
      await clipped.close();
      await plain.close();
    }
  });
});
