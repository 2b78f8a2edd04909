// trace: 4.3, D.language-model
// The LLM_BASE_URL path against a real OpenAI-compatible endpoint (issue 14): llama.cpp's own llama-server, built
// once from the source node-llama-cpp ships (test/integration/llama-server.ts, cached under .cache/llama-server/),
// serving the same SmolLM2 GGUF on loopback. The responder runs against it with the facts in PostgreSQL (a market
// of this test's own); what is asserted is what holds whatever the model writes: the facts lead, every number in
// the answer is in its sources, and model text is kept only when the structured check passes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEmbedder, type OnnxEmbedder } from '../../rag/embeddings.js';
import { numbersIn } from '../../rag/grounding.js';
import { createChatModel, LlmError, OpenAiCompatibleModel } from '../../rag/llm.js';
import { ensureModel, modelPaths } from '../../rag/models.js';
import { Responder } from '../../rag/responder.js';
import { createPool } from '../../platform/postgres/pool.js';
import { LanceDbStore } from '../../rag/store/lancedb-store.js';
import { config, uniqueName } from './harness.js';
import { ensureLlamaServer, type LlamaServer, startLlamaServer } from './llama-server.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const DAY = Date.UTC(2024, 6, 1, 5); // 2024-07-01 00:00 CDT

describe('OpenAI-compatible endpoint: llama.cpp llama-server on loopback', () => {
  let server: LlamaServer | undefined;
  let skip: string | undefined;
  const market = `L${uniqueName('llama').slice(-8).toUpperCase()}`;
  const pool = createPool(config, 2);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-llama-server-'));
  let embedder: OnnxEmbedder | undefined;
  let store: LanceDbStore | undefined;

  before(async () => {
    const bin = await ensureLlamaServer((m) => process.stderr.write(`llama-server: ${m}\n`));
    if (!bin) {
      skip = 'llama-server is not built and SDA_LLAMA_SERVER_BUILD=0';
      return;
    }
    await ensureModel(config, 'llm');
    server = await startLlamaServer(bin, modelPaths(config).llmGguf, { threads: 1 });
    // One day of HB_NORTH prices: 30 + hour, with a dip to -5 at 03:00-03:15.
    const starts = Array.from({ length: 96 }, (_, i) => DAY + i * 15 * 60_000);
    const values = starts.map((_start, i) => (i === 12 ? -5 : 30 + Math.floor(i / 4)));
    await pool.query(
      `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
       SELECT $1, 'HB_NORTH', 'HUB', 'RT_PRICE', t, t + interval '15 minutes', v, 'USD/MWh', 'test', now() FROM unnest($2::timestamptz[], $3::float8[]) AS u(t, v)`,
      [market, starts.map((t) => new Date(t)), values],
    );
    embedder = await createEmbedder(config);
    store = await LanceDbStore.open(dir, 'docs');
    await store.ensureCollection(embedder.dim);
  }, { timeout: 60 * 60_000 });

  after(async () => {
    await server?.stop();
    await pool.query('DELETE FROM market_data WHERE market = $1', [market]).catch(() => undefined);
    await pool.end();
    await embedder?.close();
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers chat completions with usage figures, and refuses a bad request with a coded error', async (t) => {
    if (skip) return t.skip(skip);
    const model = new OpenAiCompatibleModel(server!.baseUrl, 'smollm2', '', 120_000);
    const c = await model.complete([{ role: 'system', content: 'Answer in one short sentence.' }, { role: 'user', content: 'What is a battery?' }], { maxTokens: 24 });
    assert.ok(c.text.length > 0);
    assert.ok(c.completionTokens > 0 && c.completionTokens <= 24, `${c.completionTokens} tokens`);
    assert.equal(c.model, 'openai-compatible:smollm2');
    await assert.rejects(model.complete([], {}), (e: unknown) => e instanceof LlmError && e.code === 'LLM_BAD_REQUEST');
  });

  it('runs the responder through LLM_BASE_URL: facts first, the model only phrases, every number from the sources', async (t) => {
    if (skip) return t.skip(skip);
    const llm = await createChatModel({ ...config, llm: { ...config.llm, baseUrl: server!.baseUrl, model: 'smollm2' } });
    assert.match(llm.name, /^openai-compatible:/);
    const responder = new Responder({ embedder: embedder!, store: store!, llm, pool, market, maxTokens: 64 });
    const a = await responder.answer({ question: 'What was the average HB_NORTH price yesterday, and how low did it go?' });
    assert.equal(a.marketNow, '2024-07-02 00:00 CT');
    assert.match(a.answer, /^Here is what the data shows: HB_NORTH real-time price, yesterday \(2024-07-01 00:00 CT to 2024-07-02 00:00 CT\): average 41\.10 \$\/MWh, low -5\.00 \$\/MWh at 2024-07-01 03:00 CT, high 53\.00 \$\/MWh at 2024-07-01 23:00 CT/);
    // The endpoint was asked (no 'failed'); its text is in the answer only when the check kept it.
    assert.ok(!(a.modelSkipped ?? []).includes('failed'), JSON.stringify(a.modelSkipped));
    if (a.mode === 'facts') assert.equal(a.phrasing, '');
    else assert.ok(a.answer.endsWith(a.phrasing!), a.answer);
    const data = new Set(a.sources.flatMap((s) => numbersIn(s.excerpt ?? '')).map((v) => Math.round(Math.abs(v) * 100)));
    for (const v of numbersIn(a.answer)) assert.ok(data.has(Math.round(Math.abs(v) * 100)), `${v} in "${a.answer}" is not in the sources`);
    await llm.close();
  });
});
