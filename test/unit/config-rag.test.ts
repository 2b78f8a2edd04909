import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, redactConfig } from '../../platform/config.js';

describe('retrieval configuration', () => {
  it('defaults to LanceDB and the local model under the cache directory', () => {
    const c = loadConfig({ SDA_CACHE_DIR: '/tmp/sda-cache' });
    assert.equal(c.models.dir, path.join('/tmp/sda-cache', 'models'));
    assert.equal(c.vector.dir, path.join('/tmp/sda-cache', 'lancedb'));
    assert.equal(c.vector.qdrantUrl, undefined);
    assert.equal(c.vector.collection, 'market_documents');
    assert.equal(c.llm.baseUrl, undefined);
    assert.equal(c.llm.threads, 1);
    assert.equal(c.llm.contextSize, 2_048);
  });

  it('reads Qdrant and an OpenAI-compatible endpoint, and names each bad variable', () => {
    const c = loadConfig({ QDRANT_URL: 'http://127.0.0.1:6333/', LLM_BASE_URL: 'https://llm.example/v1', LLM_API_KEY: 'sk-secret', LLM_THREADS: '2' });
    assert.equal(c.vector.qdrantUrl, 'http://127.0.0.1:6333');
    assert.equal(c.llm.baseUrl, 'https://llm.example/v1');
    assert.equal(c.llm.threads, 2);
    assert.throws(
      () => loadConfig({ QDRANT_URL: 'qdrant:6333', LLM_THREADS: '0', VECTOR_COLLECTION: 'a b' }),
      (e: unknown) => e instanceof ConfigError && e.problems.length === 3 && e.problems.some((p) => p.startsWith('QDRANT_URL=')) && e.problems.some((p) => p.startsWith('LLM_THREADS=')) && e.problems.some((p) => p.startsWith('VECTOR_COLLECTION=')),
    );
  });

  it('never shows the API keys', () => {
    const shown = JSON.stringify(redactConfig(loadConfig({ LLM_API_KEY: 'sk-secret', QDRANT_API_KEY: 'qd-secret' })));
    assert.ok(!shown.includes('sk-secret') && !shown.includes('qd-secret'));
  });
});
