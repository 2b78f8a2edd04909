// `sda lm`: the fine-tuned dispatch language model (issue 15). `data` generates the question/answer pairs, `finetune`
// trains a LoRA adapter on them (Python venv under .cache, nice -n 10) and registers it, `evaluate` compares base and
// tuned (held-out perplexity, the answerer's evaluation set), `list` shows the registry. Printing only; the work is
// in model/lm/ and rag/adapters.ts.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { type Config, loadConfig } from '../platform/config.js';
import { dataHash, generatePairs, readJsonl, writePairs } from '../model/lm/data.js';
import { checkFinetuneOptions, ensureVenv, finetune, lmPaths, perplexity } from '../model/lm/finetune.js';
import { type PerplexityFigure, listAdapters, resolveAdapter } from '../rag/adapters.js';
import { createPool } from '../platform/postgres/pool.js';
import { OptionError, intOption } from './options.js';
import { SdaError } from '../platform/errors.js';

const say = (msg: string) => process.stderr.write(`sda lm: ${msg}\n`);

function num(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new OptionError(`--${name}`, `expected a number, got ${JSON.stringify(v)}`);
  return n;
}

/** Generates the pairs into `dir` (train.jsonl, heldout.jsonl) and prints the counts; needs PostgreSQL (sda stack up). */
async function makeData(config: Config, dir: string, seed: number, train: number, heldout: number): Promise<{ train: string; heldout: string }> {
  const pool = createPool(config, 3);
  try {
    say(`generating ${train} train and ${heldout} held-out data pairs (seed ${seed}) from the simulator through the responder's fact tools, plus concept pairs`);
    const data = await generatePairs(pool, { seed, train, heldout, progress: say });
    const files = writePairs(dir, data);
    const r = data.report;
    process.stdout.write(`pairs: ${r.trainPairs} train, ${r.heldoutPairs} held-out (overlap checked: none), ${r.dropped} questions dropped (no facts), ${r.seconds.toFixed(1)} s\n`);
    process.stdout.write(`by category (train/held-out): ${Object.entries(r.byCategory).map(([c, v]) => `${c} ${v.train}/${v.heldout}`).join(', ')}\n`);
    process.stdout.write(`files: ${files.train}, ${files.heldout}\n`);
    return files;
  } catch (err) {
    if ((err as { code?: string }).code === 'ECONNREFUSED') {
      throw new SdaError('POSTGRES_UNAVAILABLE', `PostgreSQL is not reachable at ${config.postgres.host}:${config.postgres.port}: start the stack with \`sda stack up\` (the pairs' facts come from the responder's SQL tools)`, true, { cause: err });
    }
    throw err;
  } finally {
    await pool.end();
  }
}

export function registerLm(program: Command): void {
  const lm = program.command('lm').description('the fine-tuned dispatch language model: Q&A pairs, LoRA fine-tuning of SmolLM2-135M-Instruct, evaluation against the base model, the adapter registry');

  lm.command('data')
    .description('generate the dispatch Q&A pairs (JSONL with provenance) from the simulated market and the concepts corpus: train and a separate held-out set, no overlap (checked); needs PostgreSQL (`sda stack up`)')
    .option('--seed <n>', 'seed for the simulator, the question picks and the split', '1')
    .option('--train <n>', 'data pairs for training (concept pairs are added)', '100')
    .option('--heldout <n>', 'data pairs held out (concept pairs are added)', '30')
    .option('--out <dir>', 'where train.jsonl and heldout.jsonl go (default .cache/lm/data)')
    .action(async (o: { seed: string; train: string; heldout: string; out?: string }) => {
      const config = loadConfig();
      await makeData(config, o.out ?? lmPaths(config).dataDir, intOption('--seed', o.seed, 0, 2 ** 31), intOption('--train', o.train, 1, 5_000), intOption('--heldout', o.heldout, 1, 5_000));
    });

  lm.command('finetune')
    .description('LoRA fine-tune of SmolLM2-135M-Instruct on the pairs (PyTorch + peft in .cache/lm-venv, created from PyPI on first use, ~5 GB; CUDA when present, else the CPU, under nice -n 10), held-out perplexity base vs tuned, conversion to GGUF, and a new version in the adapter registry (.cache/lm/adapters)')
    .option('--pairs <dir>', 'a directory with train.jsonl and heldout.jsonl (default: .cache/lm/data, generated first if missing)')
    .option('--epochs <n>', 'passes over the training pairs', '1')
    .option('--steps <n>', 'stop after this many optimiser steps (0: the epochs decide)', '0')
    .option('--lr <x>', 'peak learning rate (linear warm-up over a tenth of the steps, then linear decay)', '0.003')
    .option('--rank <r>', 'LoRA rank on the q/k/v/o projections (alpha = 2 x rank)', '8')
    .option('--batch <n>', 'pairs per optimiser step', '8')
    .option('--seed <n>', 'seed for the data (when generated), the LoRA initialisation and the shuffling', '1')
    .addHelpText('after', `
Progress: one line per optimiser step (loss, seconds). Measured on 2 shared cores: see bench/RESULTS.md.
Afterwards: LLM_ADAPTER=latest (or vNNN, or a path) makes the responder use the adapter; \`sda lm evaluate\` compares.`)
    .action(async (o: { pairs?: string; epochs: string; steps: string; lr: string; rank: string; batch: string; seed: string }) => {
      const config = loadConfig();
      const opts = { epochs: intOption('--epochs', o.epochs, 1, 100), steps: intOption('--steps', o.steps, 0, 100_000), lr: num('lr', o.lr), rank: intOption('--rank', o.rank, 1, 256), batch: intOption('--batch', o.batch, 1, 256), seed: intOption('--seed', o.seed, 0, 2 ** 31) };
      checkFinetuneOptions(opts);
      const dir = o.pairs ?? lmPaths(config).dataDir;
      let files = { train: path.join(dir, 'train.jsonl'), heldout: path.join(dir, 'heldout.jsonl') };
      if (!fs.existsSync(files.train) || !fs.existsSync(files.heldout)) {
        if (o.pairs) throw new OptionError('--pairs', `${o.pairs} needs train.jsonl and heldout.jsonl (make them with \`sda lm data --out ${o.pairs}\`)`);
        files = await makeData(config, dir, opts.seed, 100, 30);
      }
      const t0 = Date.now();
      const r = await finetune(config, { ...opts, trainFile: files.train, heldoutFile: files.heldout, onStep: (s) => say(`step ${s.step}/${s.steps} loss ${s.loss.toFixed(4)} (${s.seconds.toFixed(1)} s, ${s.elapsed.toFixed(0)} s in, peak ${s.peakRssMb} MB)`) }, say);
      const m = r.metadata;
      const p = m.perplexity;
      process.stdout.write(`adapter ${r.version}: ${r.gguf} (${(m.conversion.ggufBytes / 1e6).toFixed(1)} MB)\n`);
      process.stdout.write(`pairs ${m.data.trainPairs} train / ${m.data.heldoutPairs} held-out (data sha256 ${m.data.sha256.slice(0, 12)}); ${m.training.steps} steps of batch ${m.training.batch}, ${m.training.epochs} epoch(s), lr ${m.training.lr}, rank ${m.training.rank}, ${m.training.device}\n`);
      process.stdout.write(`loss ${m.training.lossFirst.toFixed(4)} -> ${m.training.lossLast.toFixed(4)}; training ${m.training.seconds.toFixed(0)} s, wall ${((Date.now() - t0) / 1_000).toFixed(0)} s, peak memory ${m.training.peakRssMb} MB\n`);
      if (p) process.stdout.write(`held-out perplexity: base ${p.base.perplexity.toFixed(3)}, tuned ${p.tuned.perplexity.toFixed(3)} (${(100 * (1 - p.tuned.perplexity / p.base.perplexity)).toFixed(1)}% lower; ${p.base.tokens} answer tokens)\n`);
      process.stdout.write(`use it: LLM_ADAPTER=${r.version} (or latest)\n`);
    });

  lm.command('evaluate')
    .description('base vs tuned: held-out perplexity of the reference answers (token-weighted, same template and tokenizer), then the answerer\'s evaluation set (`sda bench rag-eval`) with each model: facts present, wrong numbers kept by the check, latency; needs the stack for the second part')
    .option('--adapter <v>', 'the adapter compared with the base model: latest, a version (v003); not off (the base model is always measured)', 'latest')
    .option('--pairs <file>', 'held-out pairs (default: the adapter\'s own held-out file)')
    .option('--limit <n>', 'only the first n questions of the evaluation set (default all)')
    .option('--skip-answers', 'perplexity only (no stack needed)')
    .option('--recompute', 'measure the held-out perplexity again even when the adapter\'s metadata has it for the same pairs')
    .option('--threads <n>', 'llama.cpp threads for the answer runs (default LLM_THREADS)')
    .action(async (o: { adapter: string; pairs?: string; limit?: string; skipAnswers?: boolean; recompute?: boolean; threads?: string }) => {
      // Option values first: a bad --limit is reported before anything is looked up.
      const limit = o.limit === undefined ? undefined : intOption('--limit', o.limit, 1, 10_000);
      const threads = o.threads === undefined ? undefined : intOption('--threads', o.threads, 1, 256);
      if (o.adapter === 'off') throw new OptionError('--adapter', 'off is the base model, which evaluate always measures; name the adapter to compare it with (latest or a version)');
      const config = loadConfig();
      const registry = lmPaths(config).adaptersDir;
      const choice = resolveAdapter(o.adapter, registry);
      if (choice.kind !== 'adapter' || !choice.version) throw new OptionError('--adapter', choice.kind === 'missing' ? choice.reason : `${o.adapter}: name a version in ${registry} (or latest)`);
      const entry = listAdapters(registry).find((a) => a.version === choice.version)!;
      const pairs = o.pairs ?? entry.metadata?.data.files.heldout;
      if (!pairs || !fs.existsSync(pairs)) throw new OptionError('--pairs', `no held-out pairs file (${pairs ?? 'none recorded'}): pass --pairs FILE`);
      const held = readJsonl(pairs);
      const recorded = entry.metadata?.perplexity;
      // The adapter's own held-out set, unchanged since training: its perplexities were measured then (same code).
      const same = !o.pairs && recorded && entry.metadata && dataHash(readJsonl(entry.metadata.data.files.train), held) === entry.metadata.data.sha256;
      let ppl: { base: PerplexityFigure; tuned?: PerplexityFigure };
      if (same && !o.recompute) {
        ppl = recorded;
        say(`held-out perplexity from ${entry.version}'s metadata (measured after training on the same, unchanged pairs; --recompute measures again)`);
      } else {
        await ensureVenv(config, say);
        say(`held-out perplexity over ${held.length} pairs, base and ${entry.version}`);
        ppl = await perplexity(config, pairs, path.join(entry.dir, 'peft'), say);
      }
      const t = ppl.tuned!;
      process.stdout.write(`held-out perplexity (${held.length} pairs, ${ppl.base.tokens} answer tokens): base ${ppl.base.perplexity.toFixed(3)}, ${entry.version} ${t.perplexity.toFixed(3)} (${(100 * (1 - t.perplexity / ppl.base.perplexity)).toFixed(1)}% lower)\n`);
      if (o.skipAnswers) return;
      const { runRagEvalBench } = await import('../bench/rag-eval.js');
      const reportFile = path.join(entry.dir, 'rag-eval.json');
      await runRagEvalBench(config, {
        adapters: [{ label: entry.version, path: entry.gguf }],
        reportFile,
        ...(limit !== undefined ? { limit } : {}),
        ...(threads !== undefined ? { threads } : {}),
      });
      process.stdout.write(`(report with both models' answers: ${reportFile})\n`);
    });

  lm.command('list')
    .description('the adapter registry: versions, data, loss, perplexity')
    .action(() => {
      const config = loadConfig();
      const registry = lmPaths(config).adaptersDir;
      const all = listAdapters(registry);
      if (all.length === 0) {
        process.stdout.write(`no adapters in ${registry}: make one with \`sda lm finetune\`\n`);
        return;
      }
      process.stdout.write('| version | created | pairs train/held-out | steps | loss first -> last | held-out perplexity base -> tuned | file |\n|---|---|---|---|---|---|---|\n');
      for (const a of all) {
        const m = a.metadata;
        if (!m) {
          process.stdout.write(`| ${a.version} | ? | metadata.json unreadable | | | | ${a.gguf} |\n`);
          continue;
        }
        const p = m.perplexity;
        process.stdout.write(`| ${a.version} | ${m.created} | ${m.data.trainPairs}/${m.data.heldoutPairs} | ${m.training.steps} | ${m.training.lossFirst.toFixed(3)} -> ${m.training.lossLast.toFixed(3)} | ${p ? `${p.base.perplexity.toFixed(3)} -> ${p.tuned.perplexity.toFixed(3)}` : '-'} | ${a.gguf} |\n`);
      }
      process.stdout.write(`LLM_ADAPTER=${config.llm.adapter} selects: ${JSON.stringify(resolveAdapter(config.llm.adapter, registry))}\n`);
    });
}
