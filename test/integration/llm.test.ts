// trace: D.language-model
// The chat models: the local SmolLM2-135M-Instruct through node-llama-cpp (fetched into .cache/models on first
// use), and an OpenAI-compatible endpoint when LLM_BASE_URL names one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ChatModel, LlmError, OpenAiCompatibleModel, createChatModel } from '../../rag/llm.js';
import { config } from './harness.js';

describe('local chat model (SmolLM2-135M-Instruct, node-llama-cpp, CPU)', () => {
  let model: ChatModel;

  before(async () => {
    model = await createChatModel({ ...config, llm: { ...config.llm, baseUrl: undefined } });
  });
  after(async () => model?.close());

  it('answers a simple prompt with non-empty text and counts its tokens', async () => {
    const r = await model.complete([{ role: 'system', content: 'You are a concise assistant.' }, { role: 'user', content: 'What is the capital of France? Answer in one sentence.' }], { maxTokens: 32 });
    assert.ok(r.text.length > 0, 'non-empty answer');
    assert.match(r.text, /paris/i);
    assert.ok(r.completionTokens > 0 && r.completionTokens <= 32, `tokens ${r.completionTokens}`);
    assert.match(r.model, /SmolLM2-135M-Instruct/);
  });

  it('is deterministic at temperature 0, also when called concurrently', async () => {
    const ask = () => model.complete([{ role: 'user', content: 'Name one renewable energy source.' }], { maxTokens: 16, temperature: 0 });
    const [a, b] = await Promise.all([ask(), ask()]);
    assert.equal(a.text, b.text);
  });

  it('continues a conversation that holds an earlier answer', async () => {
    const r = await model.complete([
      { role: 'user', content: 'Remember the number 7.' },
      { role: 'assistant', content: 'I will remember the number 7.' },
      { role: 'user', content: 'Which number did I ask you to remember? Reply with the number only.' },
    ], { maxTokens: 8 });
    assert.match(r.text, /7/);
  });

  it('stops on an aborted signal and answers the next question', async () => {
    const ac = new AbortController();
    ac.abort(new Error('the asker went away'));
    await assert.rejects(model.complete([{ role: 'user', content: 'Write a long story about wind turbines.' }], { maxTokens: 400, signal: ac.signal }), /the asker went away/);
    const r = await model.complete([{ role: 'user', content: 'Say hello.' }], { maxTokens: 8 });
    assert.ok(r.text.length > 0);
  });

  it('refuses a conversation that does not end with the user', async () => {
    await assert.rejects(model.complete([{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }]), (e: unknown) => e instanceof LlmError && e.code === 'LLM_BAD_REQUEST');
    await assert.rejects(model.complete([{ role: 'user', content: 'hi' }], { maxTokens: 0 }), /maxTokens/);
  });
});

const baseUrl = process.env.LLM_BASE_URL;
describe('OpenAI-compatible chat model', { skip: baseUrl ? false : 'LLM_BASE_URL is not set: no OpenAI-compatible endpoint to test against' }, () => {
  it('answers a simple prompt', async () => {
    const model = new OpenAiCompatibleModel(baseUrl!, config.llm.model, config.llm.apiKey);
    const r = await model.complete([{ role: 'user', content: 'Reply with the single word: ready' }], { maxTokens: 16 });
    assert.ok(r.text.length > 0);
    assert.ok(r.completionTokens > 0);
  });
});
