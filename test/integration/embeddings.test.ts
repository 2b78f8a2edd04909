// trace: 4.1, D.embeddings
// all-MiniLM-L6-v2 through ONNX Runtime, with the model fetched into .cache/models on first use.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';
import { EMBEDDING_DIM, MAX_TOKENS, type OnnxEmbedder, cosine, createEmbedder } from '../../rag/embeddings.js';
import { config } from './harness.js';

interface Reference {
  cases: Array<{ text: string; tokens: number; ids: number[]; head: number[] }>;
}

// Vectors computed outside this code base: Hugging Face's Rust tokenizer and Python onnxruntime on the same
// ONNX file (see the fixture's generatedBy), so tokenizer, truncation and pooling are checked independently.
const reference = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'test', 'fixtures', 'minilm-reference.json'), 'utf8')) as Reference;

describe('sentence embeddings (all-MiniLM-L6-v2, ONNX)', () => {
  let embedder: OnnxEmbedder;

  before(async () => {
    embedder = await createEmbedder(config, { progress: (m) => process.stderr.write(`models: ${m}\n`) });
  });
  after(async () => embedder.close());

  it('gives 384-d unit vectors', async () => {
    const [v] = await embedder.embed(['ERCOT real-time prices at HB_NORTH']);
    assert.equal(v!.length, EMBEDDING_DIM);
    const norm = Math.hypot(...v!);
    assert.ok(Math.abs(norm - 1) < 1e-5, `norm ${norm}`);
  });

  it('puts a paraphrase closer than an unrelated sentence', async () => {
    const [a, para, other] = await embedder.embed([
      'Prices went negative at the West hub overnight because wind output was high.',
      'Strong overnight wind pushed HB_WEST prices below zero.',
      'The girl is carrying a baby across the street.',
    ]);
    const close = cosine(a!, para!);
    const far = cosine(a!, other!);
    assert.ok(close > far + 0.3, `paraphrase ${close.toFixed(3)} vs unrelated ${far.toFixed(3)}`);
  });

  it('is deterministic, and a text gets the same vector alone or in a batch', async () => {
    const texts = ['battery arbitrage: charge at night, discharge at the evening peak', 'short', 'a much longer sentence about the day-ahead market and real-time settlement'];
    const [x, y] = [await embedder.embed(texts), await embedder.embed(texts)];
    assert.deepEqual(x, y);
    const [alone] = await embedder.embed([texts[1]!]);
    for (let i = 0; i < EMBEDDING_DIM; i++) assert.ok(Math.abs(alone![i]! - x[1]![i]!) < 1e-5);
  });

  it('matches the reference tokenizer and vectors, truncating at 256 tokens', async () => {
    const vectors = await embedder.embed(reference.cases.map((c) => c.text));
    reference.cases.forEach((c, i) => {
      const ids = embedder.tokenize(c.text);
      assert.equal(ids.length, c.tokens, c.text.slice(0, 40));
      assert.deepEqual(ids.slice(0, c.ids.length), c.ids);
      c.head.forEach((r, d) => assert.ok(Math.abs(vectors[i]![d]! - r) < 1e-5, `${c.text.slice(0, 30)} dim ${d}: ${vectors[i]![d]} vs ${r}`));
    });
    assert.ok(reference.cases.some((c) => c.tokens === MAX_TOKENS), 'the fixture holds a truncated case');
  });

  it('embeds an empty batch and an empty string', async () => {
    assert.deepEqual(await embedder.embed([]), []);
    const [v] = await embedder.embed(['']);
    assert.equal(v!.length, EMBEDDING_DIM);
  });
});
