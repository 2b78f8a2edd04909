// trace: D.forecaster
// `sda train`'s band and blend options: commander's defaults are TRAIN_DEFAULTS, each value is checked against its
// set, the rules that need rolling-origin blocks are refused with --folds 1, and `sda train --help` names them, their
// defaults and model/README.md. No services: the options are parsed, never trained on.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { OptionError } from '../../cli/options.js';
import { type TrainCliOptions, parseTrainOptions, registerTrain, trainPromotion } from '../../cli/train.js';
import { type Evaluation, OVERALL } from '../../model/evaluate.js';
import { ONLINE_BAND_DEFAULTS } from '../../model/online-band.js';
import { TRAIN_DEFAULTS } from '../../model/train.js';
import { projectRoot } from '../../platform/config.js';

/** `sda train ARGS` parsed by the real command definition (its defaults included), then validated. */
function parse(args: string[]) {
  const program = new Command();
  registerTrain(program);
  const train = program.commands.find((c) => c.name() === 'train')!;
  const { unknown } = train.parseOptions(args);
  assert.deepEqual(unknown, [], `unknown options ${unknown.join(' ')}`);
  return parseTrainOptions(train.opts() as TrainCliOptions);
}

const rejects = (args: string[], option: string, message: RegExp) =>
  assert.throws(() => parse(args), (e: unknown) => e instanceof OptionError && e.option === option && message.test(e.message), `${args.join(' ')} → ${option}`);

describe('sda train: band and blend options', () => {
  it('without options: TRAIN_DEFAULTS (band rule, sides, scale, blend rule, folds)', () => {
    const o = parse([]);
    assert.deepEqual(
      [o.bandRule, o.bandSides, o.bandScale, o.blendRule, o.folds],
      [TRAIN_DEFAULTS.bandRule, TRAIN_DEFAULTS.bandSides, TRAIN_DEFAULTS.bandScale, TRAIN_DEFAULTS.blendRule, TRAIN_DEFAULTS.folds],
    );
  });

  it('passes each allowed value through to TrainOptions', () => {
    const o = parse(['--band-rule', 'recent', '--band-sides', 'joint', '--band-scale', 'both', '--blend-rule', 'diebold-mariano']);
    assert.deepEqual([o.bandRule, o.bandSides, o.bandScale, o.blendRule], ['recent', 'joint', 'both', 'diebold-mariano']);
    const auto = parse(['--band-rule', 'auto', '--band-sides', 'auto', '--blend-rule', 'every-block', '--folds', '2']);
    assert.deepEqual([auto.bandRule, auto.bandSides, auto.blendRule, auto.folds], ['auto', 'auto', 'every-block', 2]);
    // one slice: the rules that need no blocks
    const one = parse(['--folds', '1', '--band-sides', 'joint', '--blend-rule', 'diebold-mariano', '--band-scale', 'level']);
    assert.deepEqual([one.folds, one.bandRule, one.bandSides, one.blendRule, one.bandScale], [1, 'max', 'joint', 'diebold-mariano', 'level']);
  });

  it('refuses an unknown value, naming the option and the allowed ones', () => {
    rejects(['--band-rule', 'widest'], '--band-rule', /expected one of max, pooled, median, mean, recent, auto, got "widest"/);
    rejects(['--band-sides', 'both'], '--band-sides', /expected one of separate, joint, auto/);
    rejects(['--band-scale', 'vol'], '--band-scale', /expected one of none, volatility, level, both/);
    rejects(['--blend-rule', 'dm'], '--blend-rule', /expected one of worst-block, every-block, diebold-mariano/);
    rejects(['--kind', 'FOO'], '--kind', /expected one of RT_PRICE, DAM_PRICE, LOAD, WIND, SOLAR, got "FOO"/);
    assert.equal(parse(['--kind', 'LOAD']).kind, 'LOAD');
  });

  it('--online-band: the defaults, a spec, auto, off; a bad one refused naming the field', () => {
    assert.deepEqual(parse([]).onlineBand, ONLINE_BAND_DEFAULTS);
    assert.deepEqual(parse(['--online-band', 'window,7']).onlineBand, { ...ONLINE_BAND_DEFAULTS, method: 'window', windowDays: 7 });
    assert.deepEqual(parse(['--online-band', 'aci,28,0.05']).onlineBand, { ...ONLINE_BAND_DEFAULTS, method: 'aci', windowDays: 28, gamma: 0.05 });
    assert.equal(parse(['--online-band', 'auto']).onlineBand, 'auto');
    assert.equal(parse(['--online-band', 'off']).onlineBand, 'off');
    rejects(['--online-band', 'kalman'], '--online-band', /method must be one of static, window, aci/);
    rejects(['--online-band', 'aci,0'], '--online-band', /windowDays/);
    rejects(['--online-band', 'aci,14,-1'], '--online-band', /gamma/);
    assert.deepEqual(parse(['--online-band', 'aci,14,0.01,3']).onlineBand, { ...ONLINE_BAND_DEFAULTS, method: 'aci', windowDays: 14, gamma: 0.01, centreDays: 3 });
    rejects(['--online-band', 'aci,14,0.01,-3'], '--online-band', /centreDays/);
    rejects(['--online-band', 'aci,14,0.01,3,1'], '--online-band', /METHOD/);
    rejects(['--online-band', 'aci,x'], '--online-band', /WINDOW_DAYS must be a number, got "x"/);
  });

  it('refuses the rules that compare validation blocks with --folds 1', () => {
    rejects(['--folds', '1', '--band-rule', 'pooled'], '--band-rule', /--folds 1/);
    rejects(['--folds', '1', '--band-rule', 'auto'], '--band-rule', /--folds 1/);
    rejects(['--folds', '1', '--band-sides', 'auto'], '--band-sides', /no next block/);
    rejects(['--folds', '1', '--blend-rule', 'every-block'], '--blend-rule', /--folds 1/);
  });

  it('sda train --help names the options, their defaults and model/README.md', () => {
    const help = execFileSync(process.execPath, [path.join(projectRoot(), 'dist', 'cli', 'sda.js'), 'train', '--help'], { encoding: 'utf8' });
    const flat = help.replace(/\s+/g, ' ');
    // one entry per option: commander starts each at the line's indent with its flag
    const entries = help.split(/\n {2}(?=-)/).map((e) => e.replace(/\s+/g, ' '));
    for (const [flag, def] of [['--band-rule <rule>', 'max'], ['--band-sides <how>', 'separate'], ['--band-scale <what>', 'none'], ['--blend-rule <rule>', 'worst-block']] as const) {
      const entry = entries.find((e) => e.startsWith(flag));
      assert.ok(entry, `${flag} in --help`);
      assert.match(entry, new RegExp(`\\(default: "${def}"\\)$`), `${flag}'s default`);
    }
    assert.match(flat, /--band-rule, --band-sides, --band-scale, --blend-rule\) are explained in model\/README\.md/);
  });
});

// `sda train` promotes by sda demo's rule (cli/demo-promote.ts demoPromotion) unless told otherwise: a model that loses
// to naive last hour or ridge on its hold-out while another version is current is registered but not promoted (a
// tester's `sda train --run t1` once promoted one that did not beat ridge, 10.82, with no warning).
describe('sda train --promote', () => {
  const NEW = '20261202T071128498Z-tfjs-9f5a';
  const OLD = '20261202T070447914Z-tfjs-5150';
  /** An Evaluation with only the overall scores metricsRecord reads: the model's RMSE and the two baselines'. */
  const evaluation = (model: number, naive: number, ridge: number) =>
    ({ points: 100, byHorizon: [], scores: [['model', model], ['naive_last', naive], ['ridge', ridge]].map(([method, rmse]) => ({ seriesId: OVERALL, method, rmse, mae: rmse })) }) as unknown as Evaluation;
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sda-train-promote-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /**
   * `sda train` with `--promote when` (none: the default) in a registry whose `current` names `current` (null: none):
   * the parsed TrainOptions.promote must be a rule; the rule trainPromotion builds for it (the same one, its lines
   * collected instead of printed) applied to NEW with `e`, its answer and lines.
   */
  async function decide(when: 'if-better' | 'always' | undefined, e: Evaluation, current: string | null): Promise<{ promote: boolean; lines: string[] }> {
    if (current === null) await rm(join(root, 'current'), { force: true });
    else await writeFile(join(root, 'current'), `${current}\n`);
    const parsed = parse([...(when ? ['--promote', when] : []), '--registry', root]).promote;
    assert.equal(typeof parsed, 'function', `sda train ${when ?? '(default)'} decides by a rule, not a fixed ${String(parsed)}`);
    const lines: string[] = [];
    const rule = trainPromotion(when ?? 'if-better', root, (l) => {
      lines.push(l);
    });
    assert.equal(typeof rule, 'function');
    return { promote: await (rule as (v: string, e: Evaluation) => Promise<boolean>)(NEW, e), lines };
  }

  it('by default keeps the current model when the new one loses to ridge, says why and how to serve it anyway', async () => {
    const r = await decide(undefined, evaluation(11.79, 12.5, 10.82), OLD);
    assert.equal(r.promote, false);
    assert.equal(r.lines.length, 1);
    assert.match(r.lines[0]!, new RegExp(`model ${NEW} \\(hold-out RMSE 11\\.79\\) does not beat ridge \\(10\\.82\\): NOT promoted; current stays ${OLD}`));
    assert.ok(r.lines[0]!.includes(`sda train promote ${NEW} --registry ${root}, or train with --promote always`), r.lines[0]);
  });

  it('by default promotes a model that beats both baselines, and a losing one when nothing is current', async () => {
    assert.equal((await decide(undefined, evaluation(9.1, 12.5, 10.82), OLD)).promote, true);
    const none = await decide(undefined, evaluation(11.79, 12.5, 10.82), null);
    assert.equal(none.promote, true);
    assert.match(none.lines[0]!, /no other model is current: promoted so the forecaster has one to serve/);
  });

  it('--promote always promotes a losing model with a warning naming the baseline and the way back', async () => {
    const r = await decide('always', evaluation(11.79, 12.5, 10.82), OLD);
    assert.equal(r.promote, true);
    assert.deepEqual(r.lines, [`warning: ${NEW} (hold-out RMSE 11.79) does not beat ridge (10.82); promoted all the same (--promote always); to go back: sda train promote ${OLD} --registry ${root}`]);
  });

  it('--no-promote registers only; an unknown --promote value is refused', () => {
    assert.equal(parse(['--no-promote']).promote, false);
    rejects(['--promote', 'sometimes'], '--promote', /expected one of if-better, always, got "sometimes"/);
  });
});
