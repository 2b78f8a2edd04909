// trace: 3.4
// The served model's linear base with a ridge penalty per horizon step (basePenalty 'per-horizon'): each column is
// the ridge of its own penalty, and the penalties chosen on rolling-origin blocks follow what each step needs (a
// noise-free step takes the smallest penalty, a step whose inputs carry nothing takes a large one).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { OptionError } from '../../cli/options.js';
import { type TrainCliOptions, parseTrainOptions, registerTrain } from '../../cli/train.js';
import { BASE_RIDGE_ALPHAS, chooseRidgeAlphasByBlock, fitRidge, fitRidgePerHorizon } from '../../model/baselines.js';
import { TRAIN_DEFAULTS } from '../../model/train.js';
import { Rng } from '../../streams/simulator/prng.js';

/** n rows of p uniform inputs; output 0 a fixed linear function of them (noise-free), output 1 pure noise. */
function data(n: number, p: number, seed: number): { X: Float64Array; Y: Float64Array } {
  const rng = new Rng(seed);
  const w = Array.from({ length: p }, () => rng.uniform() * 2 - 1);
  const X = new Float64Array(n * p).map(() => rng.uniform() * 2 - 1);
  const Y = new Float64Array(n * 2);
  for (let r = 0; r < n; r++) {
    let s = 0.3;
    for (let j = 0; j < p; j++) s += X[r * p + j]! * w[j]!;
    Y[r * 2] = s;
    Y[r * 2 + 1] = rng.uniform() * 2 - 1;
  }
  return { X, Y };
}

describe('ridge with a penalty per horizon step', () => {
  it('solves each column with its own penalty, as fitRidge with that penalty alone', () => {
    const { X, Y } = data(400, 6, 5);
    const p = 6;
    const H = 2;
    const w = fitRidgePerHorizon(X, Y, p, H, 300, [0.001, 10]);
    const small = fitRidge(X, Y, p, H, 300, { alphas: [0.001] }).weights;
    const large = fitRidge(X, Y, p, H, 300, { alphas: [10] }).weights;
    for (let i = 0; i <= p; i++) {
      assert.ok(Math.abs(w[i * H]! - small[i * H]!) < 1e-9, `step 1, weight ${i}: ${w[i * H]} vs ${small[i * H]}`);
      assert.ok(Math.abs(w[i * H + 1]! - large[i * H + 1]!) < 1e-9, `step 2, weight ${i}: ${w[i * H + 1]} vs ${large[i * H + 1]}`);
    }
    // the two penalties give different weights, so the check above tells them apart
    assert.ok(Math.abs(small[1]! - large[1]!) > 1e-6);
  });

  it('refuses penalties that are not one positive number per step, and too few rows', () => {
    const { X, Y } = data(50, 3, 1);
    assert.throws(() => fitRidgePerHorizon(X, Y, 3, 2, 40, [1]), RangeError);
    assert.throws(() => fitRidgePerHorizon(X, Y, 3, 2, 40, [1, 0]), RangeError);
    assert.throws(() => fitRidgePerHorizon(X, Y, 3, 2, 40, [1, Number.NaN]), RangeError);
    assert.throws(() => fitRidgePerHorizon(X, Y, 3, 2, 1, [1, 1]), RangeError);
  });

  it('chooses on rolling-origin blocks: the smallest penalty for a noise-free step, a large one for a step the inputs cannot predict', () => {
    // Few rows for many inputs: the noise output overfits without a penalty.
    const p = 30;
    const { X, Y } = data(240, p, 11);
    const folds = [
      { fitCount: 120, from: 120, to: 160 },
      { fitCount: 160, from: 160, to: 200 },
      { fitCount: 200, from: 200, to: 240 },
    ];
    const { alphas, worstRatio } = chooseRidgeAlphasByBlock(X, Y, p, 2, folds);
    assert.equal(alphas[0], BASE_RIDGE_ALPHAS[0], `noise-free step: ${alphas[0]}`);
    assert.ok(alphas[1]! >= 10, `noise step: ${alphas[1]}`);
    // each grid penalty's worst-block ratio is at least 1, and a penalty that is best in every block scores 1
    for (const row of worstRatio) for (const r of row) assert.ok(r >= 1 - 1e-12);
    assert.equal(worstRatio[0]![0], 1);
  });

  it('keeps one penalty for every step when the steps need the same', () => {
    const p = 5;
    const { X, Y } = data(300, p, 2);
    const both = Float64Array.from({ length: 600 }, (_, i) => Y[(i >> 1) * 2]!);
    const folds = [
      { fitCount: 200, from: 200, to: 250 },
      { fitCount: 250, from: 250, to: 300 },
    ];
    const { alphas } = chooseRidgeAlphasByBlock(X, both, p, 2, folds);
    assert.deepEqual(alphas, [BASE_RIDGE_ALPHAS[0], BASE_RIDGE_ALPHAS[0]]);
  });

  it('refuses no blocks, an empty or out-of-range block, and an empty or non-positive grid', () => {
    const { X, Y } = data(100, 3, 4);
    assert.throws(() => chooseRidgeAlphasByBlock(X, Y, 3, 2, []), RangeError);
    assert.throws(() => chooseRidgeAlphasByBlock(X, Y, 3, 2, [{ fitCount: 50, from: 60, to: 60 }]), RangeError);
    assert.throws(() => chooseRidgeAlphasByBlock(X, Y, 3, 2, [{ fitCount: 50, from: 60, to: 101 }]), RangeError);
    assert.throws(() => chooseRidgeAlphasByBlock(X, Y, 3, 2, [{ fitCount: 1, from: 60, to: 70 }]), RangeError);
    assert.throws(() => chooseRidgeAlphasByBlock(X, Y, 3, 2, [{ fitCount: 50, from: 60, to: 70 }], []), RangeError);
    assert.throws(() => chooseRidgeAlphasByBlock(X, Y, 3, 2, [{ fitCount: 50, from: 60, to: 70 }], [1, -1]), RangeError);
  });
});

describe('sda train --base-penalty', () => {
  const parse = (args: string[]) => {
    const program = new Command();
    registerTrain(program);
    const train = program.commands.find((c) => c.name() === 'train')!;
    train.parseOptions(args);
    return parseTrainOptions(train.opts() as TrainCliOptions);
  };
  it('defaults to TRAIN_DEFAULTS (per-horizon), passes shared through, refuses anything else naming the allowed values', () => {
    assert.equal(parse([]).basePenalty, TRAIN_DEFAULTS.basePenalty);
    assert.equal(TRAIN_DEFAULTS.basePenalty, 'per-horizon');
    assert.equal(parse(['--base-penalty', 'shared']).basePenalty, 'shared');
    assert.throws(() => parse(['--base-penalty', 'per-step']), (e: unknown) => e instanceof OptionError && e.option === '--base-penalty' && /expected one of shared, per-horizon/.test(e.message));
  });
});
