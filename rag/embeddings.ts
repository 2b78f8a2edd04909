// Sentence embeddings with all-MiniLM-L6-v2 run by ONNX Runtime on the CPU: BERT WordPiece tokens (lower-cased,
// at most 256 with [CLS] and [SEP]), the transformer's last hidden state mean-pooled over the attention mask,
// then L2-normalised, so cosine similarity is a dot product. 384 dimensions.
import fs from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import ort from 'onnxruntime-node';
import type { Config } from '../platform/config.js';
import { ensureModel, modelPaths } from './models.js';
import { SdaError } from '../platform/errors.js';

export const EMBEDDING_DIM = 384;
/** sentence-transformers' max_seq_length for this model; longer texts are cut (the model allows 512). */
export const MAX_TOKENS = 256;
export const EMBEDDING_MODEL_NAME = 'all-MiniLM-L6-v2';

export interface Embedder {
  readonly dim: number;
  readonly modelName: string;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

export interface EncodedBatch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  batch: number;
  seqLen: number;
}

/** Token ids of one text: [CLS] pieces... [SEP], the pieces cut so the whole fits in maxTokens. */
export function encodeText(tokenizer: Tokenizer, text: string, maxTokens = MAX_TOKENS): number[] {
  const cls = tokenizer.token_to_id('[CLS]');
  const sep = tokenizer.token_to_id('[SEP]');
  if (cls === undefined || sep === undefined) throw new SdaError('EMBEDDING_MODEL_INVALID', 'the tokenizer has no [CLS]/[SEP] tokens');
  const pieces = tokenizer.encode(text, { add_special_tokens: false }).ids;
  return [cls, ...pieces.slice(0, maxTokens - 2), sep];
}

/** Right-pads a batch to its longest sequence (pad id 0, mask 0, token type 0), as int64 tensors' data. */
export function padBatch(sequences: number[][]): EncodedBatch {
  const batch = sequences.length;
  const seqLen = Math.max(...sequences.map((s) => s.length));
  const inputIds = new BigInt64Array(batch * seqLen);
  const attentionMask = new BigInt64Array(batch * seqLen);
  sequences.forEach((ids, b) => {
    ids.forEach((id, t) => {
      inputIds[b * seqLen + t] = BigInt(id);
      attentionMask[b * seqLen + t] = 1n;
    });
  });
  return { inputIds, attentionMask, tokenTypeIds: new BigInt64Array(batch * seqLen), batch, seqLen };
}

/** Mean of the hidden states where the mask is 1, then L2-normalised; hidden is [batch, seqLen, dim] row-major. */
export function meanPoolNormalize(hidden: Float32Array, mask: BigInt64Array, batch: number, seqLen: number, dim: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const v = new Float32Array(dim);
    let count = 0;
    for (let t = 0; t < seqLen; t++) {
      if (mask[b * seqLen + t] === 0n) continue;
      count++;
      const base = (b * seqLen + t) * dim;
      for (let d = 0; d < dim; d++) v[d]! += hidden[base + d]!;
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      v[d]! /= Math.max(count, 1);
      norm += v[d]! * v[d]!;
    }
    // sentence-transformers' Normalize clamps the norm at 1e-12 so an all-zero vector stays finite.
    const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
    for (let d = 0; d < dim; d++) v[d]! *= scale;
    out.push(v);
  }
  return out;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

export interface OnnxEmbedderOptions {
  /** Texts per ONNX run; a larger batch pads more when lengths differ. */
  batchSize?: number;
  /** ONNX Runtime intra-op threads (this machine has few cores to share). */
  threads?: number;
}

export class OnnxEmbedder implements Embedder {
  readonly dim = EMBEDDING_DIM;
  readonly modelName = EMBEDDING_MODEL_NAME;

  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly session: ort.InferenceSession,
    private readonly batchSize: number,
  ) {}

  /** Loads from the given files (see `createEmbedder` for the fetched defaults). */
  static async load(modelFile: string, tokenizerFile: string, opts: OnnxEmbedderOptions = {}): Promise<OnnxEmbedder> {
    const tokenizer = new Tokenizer(JSON.parse(fs.readFileSync(tokenizerFile, 'utf8')) as object, {});
    const session = await ort.InferenceSession.create(modelFile, {
      intraOpNumThreads: opts.threads ?? 2,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    for (const name of ['input_ids', 'attention_mask', 'token_type_ids']) {
      if (!session.inputNames.includes(name)) throw new SdaError('EMBEDDING_MODEL_INVALID', `${modelFile}: the model has no input ${name} (inputs: ${session.inputNames.join(', ')})`);
    }
    return new OnnxEmbedder(tokenizer, session, opts.batchSize ?? 16);
  }

  tokenize(text: string): number[] {
    return encodeText(this.tokenizer, text);
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    // Sorting by length keeps padding small inside each batch; results go back in input order.
    const order = texts.map((t, i) => ({ i, ids: this.tokenize(t) })).sort((a, b) => a.ids.length - b.ids.length);
    const result = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const chunk = order.slice(start, start + this.batchSize);
      const enc = padBatch(chunk.map((c) => c.ids));
      const dims = [enc.batch, enc.seqLen];
      const feeds = {
        input_ids: new ort.Tensor('int64', enc.inputIds, dims),
        attention_mask: new ort.Tensor('int64', enc.attentionMask, dims),
        token_type_ids: new ort.Tensor('int64', enc.tokenTypeIds, dims),
      };
      const outputs = await this.session.run(feeds);
      const hidden = outputs.last_hidden_state ?? outputs[this.session.outputNames[0]!];
      if (hidden?.dims.length !== 3 || hidden.dims[2] !== this.dim) throw new SdaError('EMBEDDING_MODEL_INVALID', `unexpected embedding output shape ${JSON.stringify(hidden?.dims)}`);
      const vectors = meanPoolNormalize(hidden.data as Float32Array, enc.attentionMask, enc.batch, enc.seqLen, this.dim);
      chunk.forEach((c, j) => (result[c.i] = vectors[j]!));
    }
    return result;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** The embedder from the models directory, fetching the model first if it is not there. */
export async function createEmbedder(config: Config, opts: OnnxEmbedderOptions & { progress?: (msg: string) => void } = {}): Promise<OnnxEmbedder> {
  await ensureModel(config, 'embeddings', opts.progress);
  const paths = modelPaths(config);
  return OnnxEmbedder.load(paths.embeddingModel, paths.embeddingTokenizer, opts);
}
