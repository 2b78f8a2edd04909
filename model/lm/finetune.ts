// Fine-tuning the local language model with LoRA (issue 15), from Node: the Python venv (deploy/local/lm-venv.sh),
// the base model as a Hugging Face directory made from the GGUF, training and perplexity (model/lm/finetune.py, run
// under `nice -n 10`), conversion of the adapter to GGUF with llama.cpp's convert_lora_to_gguf.py (from the llama.cpp
// source node-llama-cpp ships), and a new version in the adapter registry (rag/adapters.ts) with its metadata.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Config, projectRoot } from '../../platform/config.js';
import { ADAPTER_FILE, type AdapterMetadata, METADATA_FILE, type PerplexityFigure, nextVersion } from '../../rag/adapters.js';
import { ensureModel, modelPaths, sha256File } from '../../rag/models.js';
import { type LmPair, dataHash, GENERATOR, readJsonl } from './data.js';
import { SdaError } from '../../platform/errors.js';

/** A fine-tuning step that failed (venv, Python, conversion, llama.cpp) or a bad option; LM_OFFLINE is retriable. */
export class LmError extends SdaError<'LM_VENV' | 'LM_NO_PYTHON' | 'LM_OFFLINE' | 'LM_PYTHON' | 'LM_CONVERT' | 'LM_LLAMA_CPP' | 'LM_BAD_OPTION'> {}

/** Where fine-tuning keeps its files (all under the cache directory; LM_DIR moves them). */
export function lmPaths(config: Config) {
  const dir = config.llm.lmDir;
  const venv = config.llm.venvDir;
  return {
    dir,
    venv,
    python: path.join(venv, 'bin', 'python'),
    installer: path.join(projectRoot(), 'deploy', 'local', 'lm-venv.sh'),
    script: path.join(projectRoot(), 'model', 'lm', 'finetune.py'),
    /** The base model as a Hugging Face directory (config.json, model.safetensors, tokenizer), made from the GGUF. */
    baseDir: path.join(dir, 'base-hf'),
    dataDir: path.join(dir, 'data'),
    adaptersDir: path.join(dir, 'adapters'),
    llamaCpp: path.join(dir, 'llama.cpp'),
  };
}

type Progress = (msg: string) => void;

/** Runs a command, streaming its stderr lines to `progress`; resolves with stdout lines; LmError on a non-zero exit. */
function run(cmd: string, args: string[], progress: Progress, opts: { env?: NodeJS.ProcessEnv; onLine?: (line: string) => void; code?: LmError['code'] } = {}): Promise<{ stdout: string[]; exit: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: string[] = [];
    const tail: string[] = [];
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      let i: number;
      while ((i = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, i);
        out = out.slice(i + 1);
        stdout.push(line);
        opts.onLine?.(line);
      }
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      let i: number;
      while ((i = err.indexOf('\n')) >= 0) {
        const line = err.slice(0, i);
        err = err.slice(i + 1);
        tail.push(line);
        if (tail.length > 30) tail.shift();
        if (/^(finetune\.py|lm-venv|INFO:lora-to-gguf:(Exporting|Model successfully))/.test(line)) progress(line);
      }
    });
    child.on('error', (e) => reject(new LmError(opts.code ?? 'LM_PYTHON', `${cmd}: ${e.message}`)));
    child.on('close', (exit) => {
      if (out) stdout.push(out);
      if (exit === 0) resolve({ stdout, exit: 0 });
      else {
        const e = new LmError(opts.code ?? 'LM_PYTHON', `${path.basename(cmd)} ${args.slice(0, 4).map((a) => path.basename(a)).join(' ')} exited ${exit}:\n${tail.slice(-12).join('\n')}`);
        (e as LmError & { exit?: number }).exit = exit ?? -1;
        reject(e);
      }
    });
  });
}

/**
 * Creates the venv (idempotent: a no-op when its lock stamp matches). LM_NO_PYTHON when no Python 3.10+ with venv
 * exists, LM_OFFLINE when PyPI cannot be reached: both mean "cannot fine-tune on this machine", which a caller may skip.
 */
export async function ensureVenv(config: Config, progress: Progress = () => undefined): Promise<{ seconds: number; created: boolean }> {
  const p = lmPaths(config);
  const t0 = performance.now();
  const check = await run('bash', [p.installer, '--check'], progress, { env: { SDA_LM_VENV: p.venv } }).then(() => true, () => false);
  if (check) return { seconds: 0, created: false };
  try {
    await run('bash', [p.installer], (line) => progress(line), { env: { SDA_LM_VENV: p.venv }, code: 'LM_VENV' });
  } catch (err) {
    const exit = (err as { exit?: number }).exit;
    if (exit === 2) throw new LmError('LM_NO_PYTHON', `no Python 3.10+ with venv on this machine (${(err as Error).message.split('\n').pop()})`);
    if (exit === 3) throw new LmError('LM_OFFLINE', 'PyPI is not reachable, so the fine-tuning venv cannot be created', true);
    throw err;
  }
  return { seconds: (performance.now() - t0) / 1_000, created: true };
}

/** llama.cpp's source with convert_lora_to_gguf.py: the llama-server build's clone if there, else a clone of node-llama-cpp's bundle. */
export async function ensureLlamaCpp(config: Config, progress: Progress = () => undefined): Promise<string> {
  const shared = path.join(config.cacheDir, 'llama-server', 'src');
  if (fs.existsSync(path.join(shared, 'convert_lora_to_gguf.py'))) return shared;
  const p = lmPaths(config);
  if (fs.existsSync(path.join(p.llamaCpp, 'convert_lora_to_gguf.py'))) return p.llamaCpp;
  const bundle = path.join(projectRoot(), 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
  if (!fs.existsSync(bundle)) throw new LmError('LM_LLAMA_CPP', `${bundle} is missing: run npm ci (node-llama-cpp ships llama.cpp's source there)`);
  progress(`cloning llama.cpp's source from node-llama-cpp's git bundle into ${p.llamaCpp}`);
  fs.rmSync(p.llamaCpp, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(p.llamaCpp), { recursive: true });
  await run('git', ['clone', '--quiet', bundle, p.llamaCpp], progress, { code: 'LM_LLAMA_CPP' });
  return p.llamaCpp;
}

interface PyEvent {
  event: string;
  [k: string]: unknown;
}

/** Runs finetune.py under `nice -n 10` with the venv's Python; its JSON lines go to `onEvent`. */
async function python(config: Config, args: string[], progress: Progress, onEvent: (e: PyEvent) => void = () => undefined): Promise<PyEvent[]> {
  const p = lmPaths(config);
  const events: PyEvent[] = [];
  await run('nice', ['-n', '10', p.python, p.script, ...args], progress, {
    env: { PYTHONUNBUFFERED: '1', TOKENIZERS_PARALLELISM: 'false', HF_HUB_OFFLINE: '1', TRANSFORMERS_NO_ADVISORY_WARNINGS: '1', MALLOC_ARENA_MAX: '2' },
    onLine: (line) => {
      if (!line.startsWith('{')) return;
      try {
        const e = JSON.parse(line) as PyEvent;
        events.push(e);
        onEvent(e);
      } catch {
        // not an event line
      }
    },
  });
  return events;
}

/** The base model as a Hugging Face directory, made once from the pinned GGUF (stamped with the GGUF's sha256). */
export async function ensureBase(config: Config, progress: Progress = () => undefined): Promise<{ dir: string; gguf: string; sha256: string; size: number }> {
  await ensureModel(config, 'llm', progress);
  const p = lmPaths(config);
  const gguf = modelPaths(config).llmGguf;
  const stamp = path.join(p.baseDir, '.sda-gguf.sha256');
  const size = fs.statSync(gguf).size;
  if (fs.existsSync(stamp)) {
    const [sha, recorded] = fs.readFileSync(stamp, 'utf8').trim().split(' ');
    if (sha && Number(recorded) === size && fs.existsSync(path.join(p.baseDir, 'model.safetensors'))) return { dir: p.baseDir, gguf, sha256: sha, size };
  }
  const sha256 = await sha256File(gguf);
  progress(`making the Hugging Face base model from ${path.basename(gguf)} (transformers gguf_file=, dequantised)`);
  fs.rmSync(p.baseDir, { recursive: true, force: true });
  fs.mkdirSync(p.dir, { recursive: true });
  await python(config, ['prepare-base', '--gguf', gguf, '--out', p.baseDir], progress);
  fs.writeFileSync(stamp, `${sha256} ${size}\n`);
  return { dir: p.baseDir, gguf, sha256, size };
}

export interface FinetuneOptions {
  trainFile: string;
  heldoutFile: string;
  epochs: number;
  /** Stop after this many optimiser steps (0 = epochs decide). */
  steps: number;
  lr: number;
  rank: number;
  batch: number;
  seed: number;
  threads?: number;
  /** Registry directory (default .cache/lm/adapters). */
  registryDir?: string;
  /** Called once per optimiser step. */
  onStep?: (s: { step: number; steps: number; loss: number; seconds: number; elapsed: number; peakRssMb: number }) => void;
}

export interface FinetuneResult {
  version: string;
  dir: string;
  gguf: string;
  metadata: AdapterMetadata;
  wallSeconds: number;
}

/** Validates the numeric options at the edge (LM_BAD_OPTION names the option and the range). */
export function checkFinetuneOptions(o: Pick<FinetuneOptions, 'epochs' | 'steps' | 'lr' | 'rank' | 'batch' | 'seed'>): void {
  const bad = (name: string, v: number, want: string) => new LmError('LM_BAD_OPTION', `--${name} ${v}: expected ${want}`);
  if (!Number.isInteger(o.epochs) || o.epochs < 1 || o.epochs > 100) throw bad('epochs', o.epochs, 'an integer 1-100');
  if (!Number.isInteger(o.steps) || o.steps < 0 || o.steps > 100_000) throw bad('steps', o.steps, 'an integer 0-100000 (0: the epochs decide)');
  if (!Number.isFinite(o.lr) || o.lr <= 0 || o.lr > 1) throw bad('lr', o.lr, 'a learning rate in (0, 1]');
  if (!Number.isInteger(o.rank) || o.rank < 1 || o.rank > 256) throw bad('rank', o.rank, 'an integer 1-256');
  if (!Number.isInteger(o.batch) || o.batch < 1 || o.batch > 256) throw bad('batch', o.batch, 'an integer 1-256');
  if (!Number.isSafeInteger(o.seed)) throw bad('seed', o.seed, 'an integer');
}

/**
 * Trains a LoRA adapter on the train pairs, measures held-out perplexity base vs tuned, converts the adapter to GGUF
 * and registers it as the next version. Pairs are read (and validated, line numbers in errors) before any Python runs.
 */
export async function finetune(config: Config, o: FinetuneOptions, progress: Progress = () => undefined): Promise<FinetuneResult> {
  checkFinetuneOptions(o);
  const t0 = performance.now();
  const train: LmPair[] = readJsonl(o.trainFile);
  const heldout: LmPair[] = readJsonl(o.heldoutFile);
  await ensureVenv(config, progress);
  const llamaCpp = await ensureLlamaCpp(config, progress);
  const base = await ensureBase(config, progress);
  const registry = o.registryDir ?? lmPaths(config).adaptersDir;
  fs.mkdirSync(registry, { recursive: true });
  const version = nextVersion(registry);
  const dir = path.join(registry, version);
  const work = `${dir}.partial-${process.pid}`;
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const threads = o.threads ?? os.cpus().length;
  try {
    const events = await python(
      config,
      ['train', '--base', base.dir, '--train', o.trainFile, '--heldout', o.heldoutFile, '--out', path.join(work, 'peft'), '--epochs', String(o.epochs), '--steps', String(o.steps), '--lr', String(o.lr), '--rank', String(o.rank), '--batch', String(o.batch), '--seed', String(o.seed), '--threads', String(threads)],
      progress,
      (e) => {
        if (e.event === 'step') o.onStep?.({ step: e.step as number, steps: e.steps as number, loss: e.loss as number, seconds: e.seconds as number, elapsed: e.elapsed as number, peakRssMb: e.peak_rss_mb as number });
      },
    );
    const start = events.find((e) => e.event === 'start');
    const done = events.find((e) => e.event === 'done');
    if (!start || !done) throw new LmError('LM_PYTHON', 'finetune.py ended without its start/done events');
    const c0 = performance.now();
    progress('converting the adapter to GGUF (llama.cpp convert_lora_to_gguf.py)');
    const gguf = path.join(work, ADAPTER_FILE);
    await run('nice', ['-n', '10', lmPaths(config).python, path.join(llamaCpp, 'convert_lora_to_gguf.py'), '--outtype', 'f16', '--base', base.dir, '--outfile', gguf, path.join(work, 'peft')], progress, { code: 'LM_CONVERT', env: { HF_HUB_OFFLINE: '1' } });
    const heldoutFig = done.heldout as { base: PerplexityFigure; tuned: PerplexityFigure } | undefined;
    const metadata: AdapterMetadata = {
      version,
      created: new Date().toISOString(),
      baseModel: { file: path.basename(base.gguf), sha256: base.sha256, size: base.size },
      data: { sha256: dataHash(train, heldout), trainPairs: train.length, heldoutPairs: heldout.length, generator: train[0]?.provenance?.generator ?? GENERATOR, seed: train[0]?.provenance?.seed ?? -1, files: { train: o.trainFile, heldout: o.heldoutFile } },
      training: {
        steps: done.steps as number, epochs: o.epochs, batch: o.batch, lr: o.lr, rank: o.rank, seed: o.seed, device: done.device as string, threads,
        trainableParameters: start.trainable as number, seconds: done.train_seconds as number, peakRssMb: done.peak_rss_mb as number,
        lossFirst: done.loss_first as number, lossLast: done.loss_last as number, losses: done.losses as number[],
      },
      ...(heldoutFig ? { perplexity: heldoutFig } : {}),
      conversion: { seconds: (performance.now() - c0) / 1_000, outtype: 'f16', ggufBytes: fs.statSync(gguf).size, llamaCpp: llamaCppVersion() },
      tools: pythonVersions(),
    };
    fs.writeFileSync(path.join(work, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
    fs.renameSync(work, dir);
    return { version, dir, gguf: path.join(dir, ADAPTER_FILE), metadata, wallSeconds: (performance.now() - t0) / 1_000 };
  } catch (err) {
    fs.rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

/** The llama.cpp release node-llama-cpp ships (its llama.cpp.info.json), e.g. "ggml-org/llama.cpp@b1234". */
function llamaCppVersion(): string {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'node_modules', 'node-llama-cpp', 'llama', 'llama.cpp.info.json'), 'utf8')) as { tag?: string; llamaCppGithubRepo?: string };
    return `${info.llamaCppGithubRepo ?? 'llama.cpp'}@${info.tag ?? '?'}`;
  } catch {
    return 'unknown';
  }
}

/** The pinned versions of the main Python packages (model/lm/requirements.txt). */
function pythonVersions(): Record<string, string> {
  const lock = fs.readFileSync(path.join(projectRoot(), 'model', 'lm', 'requirements.txt'), 'utf8');
  const pins = Object.fromEntries([...lock.matchAll(/^([A-Za-z0-9_.-]+)==(\S+)/gm)].map((m) => [m[1]!.toLowerCase(), m[2]!]));
  return Object.fromEntries(['torch', 'transformers', 'peft', 'safetensors', 'gguf'].map((k) => [k, pins[k] ?? '?']));
}

/** Held-out perplexity of `pairsFile` under the base model and, given a peft adapter directory, the tuned one. */
export async function perplexity(config: Config, pairsFile: string, peftDir: string | null, progress: Progress = () => undefined): Promise<{ base: PerplexityFigure; tuned?: PerplexityFigure }> {
  readJsonl(pairsFile);
  await ensureVenv(config, progress);
  const base = await ensureBase(config, progress);
  const events = await python(config, ['perplexity', '--base', base.dir, '--pairs', pairsFile, ...(peftDir ? ['--adapter', peftDir] : []), '--threads', String(os.cpus().length)], progress);
  const e = events.find((x) => x.event === 'perplexity');
  if (!e) throw new LmError('LM_PYTHON', 'finetune.py perplexity printed no result');
  return e as unknown as { base: PerplexityFigure; tuned?: PerplexityFigure };
}

/** sha256 of a string (short helper for tests and reports). */
export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
