// The registry of fine-tuned LoRA adapters for the local language model (issue 15): versioned directories under
// .cache/lm/adapters (v001, v002, ...), each holding the adapter as GGUF (what node-llama-cpp loads), peft's own
// files (adapter_model.safetensors + adapter_config.json) and metadata.json: the base model file and its sha256,
// the data hash, the training settings, the loss per step and the held-out perplexities. `sda lm finetune` writes a
// version; LLM_ADAPTER (platform/config.ts) picks one: off (the base model), latest, a version (v003) or a path to
// an adapter .gguf. Pure file-system code; no model is loaded here.
import fs from 'node:fs';
import path from 'node:path';

export const ADAPTER_FILE = 'adapter.gguf';
export const METADATA_FILE = 'metadata.json';

export interface PerplexityFigure {
  perplexity: number;
  /** Summed negative log-likelihood (nats) of the answer tokens. */
  nll: number;
  tokens: number;
  pairs: number;
}

export interface AdapterMetadata {
  version: string;
  /** ISO time the adapter was written. */
  created: string;
  baseModel: { file: string; sha256: string; size: number };
  data: { sha256: string; trainPairs: number; heldoutPairs: number; generator: string; seed: number; files: { train: string; heldout: string } };
  training: {
    steps: number;
    epochs: number;
    batch: number;
    lr: number;
    rank: number;
    seed: number;
    device: string;
    threads: number;
    trainableParameters: number;
    seconds: number;
    peakRssMb: number;
    lossFirst: number;
    lossLast: number;
    /** Training loss at each optimiser step (mean cross-entropy over the batch's answer tokens, nats). */
    losses: number[];
  };
  /** Held-out perplexity of the reference answers, base and tuned, same template and tokenizer. */
  perplexity?: { base: PerplexityFigure; tuned: PerplexityFigure };
  /** Conversion of the peft adapter to GGUF with llama.cpp's convert_lora_to_gguf.py. */
  conversion: { seconds: number; outtype: string; ggufBytes: number; llamaCpp: string };
  tools: Record<string, string>;
}

export interface AdapterEntry {
  version: string;
  dir: string;
  gguf: string;
  metadata: AdapterMetadata | null;
}

const VERSION = /^v(\d{3,})$/;

/** The versions in the registry that have an adapter GGUF, oldest first. Unreadable metadata reads as null. */
export function listAdapters(dir: string): AdapterEntry[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((d) => VERSION.test(d) && fs.existsSync(path.join(dir, d, ADAPTER_FILE)))
    .sort((a, b) => Number(VERSION.exec(a)![1]) - Number(VERSION.exec(b)![1]))
    .map((version) => {
      let metadata: AdapterMetadata | null = null;
      try {
        metadata = JSON.parse(fs.readFileSync(path.join(dir, version, METADATA_FILE), 'utf8')) as AdapterMetadata;
      } catch {
        metadata = null;
      }
      return { version, dir: path.join(dir, version), gguf: path.join(dir, version, ADAPTER_FILE), metadata };
    });
}

/** The next free version name (v001 for an empty registry), counting directories with or without an adapter. */
export function nextVersion(dir: string): string {
  const used = fs.existsSync(dir) ? fs.readdirSync(dir).map((d) => VERSION.exec(d)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1])) : [];
  return `v${String((used.length ? Math.max(...used) : 0) + 1).padStart(3, '0')}`;
}

export type AdapterChoice =
  | { kind: 'off' }
  | { kind: 'adapter'; path: string; version: string | null }
  /** Asked for, not there: the caller falls back to the base model and says why. */
  | { kind: 'missing'; reason: string };

/**
 * What LLM_ADAPTER selects: "off" (or empty) the base model; "latest" the newest version; "v003" that version; anything
 * else a path to an adapter .gguf (relative to the working directory). Never throws: a choice that names nothing
 * usable is { kind: 'missing', reason } with what to do.
 */
export function resolveAdapter(setting: string, registryDir: string): AdapterChoice {
  const s = setting.trim();
  if (s === '' || s.toLowerCase() === 'off' || s.toLowerCase() === 'base') return { kind: 'off' };
  const make = 'make one with `sda lm finetune`, or set LLM_ADAPTER=off for the base model';
  if (s.toLowerCase() === 'latest') {
    const last = listAdapters(registryDir).pop();
    return last ? { kind: 'adapter', path: last.gguf, version: last.version } : { kind: 'missing', reason: `LLM_ADAPTER=latest: no adapter in ${registryDir}; ${make}` };
  }
  if (VERSION.test(s)) {
    const hit = listAdapters(registryDir).find((a) => a.version === s);
    return hit ? { kind: 'adapter', path: hit.gguf, version: hit.version } : { kind: 'missing', reason: `LLM_ADAPTER=${s}: no such version in ${registryDir} (have: ${listAdapters(registryDir).map((a) => a.version).join(', ') || 'none'}); ${make}` };
  }
  const file = path.resolve(s);
  try {
    if (fs.statSync(file).isFile()) return { kind: 'adapter', path: file, version: null };
  } catch {
    // falls through
  }
  return { kind: 'missing', reason: `LLM_ADAPTER=${s}: no adapter file there; ${make}` };
}
