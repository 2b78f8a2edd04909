// trace: 4.2, 4.4, D.language-model
// A small but real fine-tune (issue 15): a few generated pairs (the simulator through the responder's fact tools in
// PostgreSQL), a few LoRA steps with PyTorch + peft in the project's venv, conversion to GGUF with llama.cpp's
// convert_lora_to_gguf.py, then the adapter loaded by node-llama-cpp and generating. Asserts the training loss falls,
// the held-out perplexity of the tuned model is below the base model's, and a missing adapter falls back to the base
// model with a warning. The venv is created from PyPI on first use (about 3 minutes and 4.9 GB on a clean machine,
// bench/RESULTS.md); without Python 3.10+ or without PyPI the test skips and says why. SDA_LM_FINETUNE=0 skips it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generatePairs, writePairs } from '../../model/lm/data.js';
import { LmError, type FinetuneResult, ensureVenv, finetune, lmPaths } from '../../model/lm/finetune.js';
import { LocalLlamaModel, createChatModel } from '../../rag/llm.js';
import { modelPaths } from '../../rag/models.js';
import { createPool } from '../../platform/postgres/pool.js';
import { config, uniqueName } from './harness.js';

/** Rejects with a message naming what was awaited when `ms` passes first. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1_000} s waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const log = (msg: string) => process.stderr.write(`  lm-finetune: ${msg}\n`);

describe('LoRA fine-tune of the dispatch language model', { timeout: 540_000 }, () => {
  let skip: string | null = null;
  const work = path.join(config.cacheDir, 'lm', `test-${uniqueName('run').split('.')[1]}`);
  let result: FinetuneResult | undefined;

  before(async () => {
    if (process.env.SDA_LM_FINETUNE === '0') {
      skip = 'SDA_LM_FINETUNE=0';
      return;
    }
    try {
      const v = await within(ensureVenv(config, (m) => log(m)), 420_000, `the fine-tuning venv (${lmPaths(config).venv}) to install from PyPI`);
      log(v.created ? `venv created in ${v.seconds.toFixed(0)} s` : 'venv already there');
    } catch (err) {
      if (err instanceof LmError && (err.code === 'LM_OFFLINE' || err.code === 'LM_NO_PYTHON')) {
        skip = err.message;
        return;
      }
      throw err;
    }
  });

  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('trains a few steps: the loss falls, held-out perplexity drops, and the GGUF adapter loads and generates', async (t) => {
    if (skip) {
      log(`skipped: ${skip}`);
      t.skip(skip);
      return;
    }
    const pool = createPool(config, 2);
    const markets = { train: uniqueName('LMT').replace('.', '_').toUpperCase(), heldout: uniqueName('LMH').replace('.', '_').toUpperCase() };
    let files: { train: string; heldout: string };
    try {
      const data = await within(generatePairs(pool, { seed: 3, train: 2, heldout: 1, days: 1, markets, concepts: false }), 60_000, 'the pairs to generate from PostgreSQL');
      assert.equal(data.train.length, 2);
      assert.equal(data.heldout.length, 1);
      files = writePairs(path.join(work, 'data'), data);
    } finally {
      await pool.end();
    }
    const steps: number[] = [];
    result = await within(
      finetune(config, { trainFile: files.train, heldoutFile: files.heldout, epochs: 1, steps: 3, lr: 0.003, rank: 8, batch: 2, seed: 1, registryDir: path.join(work, 'adapters'), onStep: (s) => {
        steps.push(s.loss);
        log(`step ${s.step}/${s.steps} loss ${s.loss.toFixed(4)} (${s.seconds.toFixed(1)} s)`);
      } }, log),
      420_000,
      'the fine-tune (base model, 3 LoRA steps, conversion to GGUF)',
    );
    const m = result.metadata;
    assert.equal(result.version, 'v001');
    assert.equal(m.training.steps, 3);
    assert.deepEqual(m.training.losses, steps, 'one loss per step, as reported while training');
    assert.ok(m.training.lossLast < m.training.lossFirst, `loss fell: ${m.training.losses.join(' -> ')}`);
    assert.ok(m.perplexity, 'held-out perplexity recorded');
    assert.ok(m.perplexity.tuned.perplexity < m.perplexity.base.perplexity, `tuned ${m.perplexity.tuned.perplexity} below base ${m.perplexity.base.perplexity}`);
    assert.equal(m.perplexity.tuned.tokens, m.perplexity.base.tokens, 'same tokens under both models');
    assert.equal(m.data.trainPairs, 2);
    assert.match(m.baseModel.sha256, /^[0-9a-f]{64}$/);
    assert.ok(fs.statSync(result.gguf).size > 100_000, 'the GGUF adapter was written');

    const tuned = await LocalLlamaModel.load(modelPaths(config).llmGguf, { threads: 1, adapter: { path: result.gguf, label: result.version } });
    try {
      assert.match(tuned.name, /\+lora:v001$/);
      const c = await tuned.complete([{ role: 'user', content: 'What was the average real-time price at HB_NORTH yesterday?' }], { maxTokens: 16 });
      assert.ok(c.text.length > 0 && c.completionTokens > 0, 'the tuned model generates');
    } finally {
      await tuned.close();
    }
  });

  it('falls back to the base model with a warning when the adapter is missing', async () => {
    const warnings: string[] = [];
    const model = await createChatModel({ ...config, llm: { ...config.llm, baseUrl: undefined, adapter: 'v999', lmDir: work } }, (m) => warnings.push(m));
    try {
      assert.doesNotMatch(model.name, /lora/);
      assert.ok(warnings.some((w) => /^warning: LLM_ADAPTER=v999: no such version/.test(w) && /base model/.test(w)), warnings.join('\n'));
      const c = await model.complete([{ role: 'user', content: 'Hi' }], { maxTokens: 4 });
      assert.ok(c.completionTokens > 0);
    } finally {
      await model.close();
    }
  });
});
