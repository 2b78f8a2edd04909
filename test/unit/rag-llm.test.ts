// trace: D.language-model
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LlmError, parseChatCompletion, validateMessages } from '../../rag/llm.js';

describe('chat model edges', () => {
  it('reads text and usage from a chat completions response', () => {
    assert.deepEqual(parseChatCompletion({ choices: [{ message: { role: 'assistant', content: ' Paris. ' } }], usage: { completion_tokens: 3 } }), { text: 'Paris.', completionTokens: 3 });
    assert.deepEqual(parseChatCompletion({ choices: [{ message: { content: 'x' } }] }), { text: 'x', completionTokens: undefined });
  });

  for (const [name, body] of [
    ['null', null],
    ['no choices', { object: 'error' }],
    ['empty choices', { choices: [] }],
    ['content not text', { choices: [{ message: { content: null, tool_calls: [] } }] }],
  ] as const) {
    it(`rejects a response with ${name}`, () => {
      assert.throws(() => parseChatCompletion(body), (e: unknown) => e instanceof LlmError && e.code === 'LLM_BAD_RESPONSE' && !e.retriable);
    });
  }

  it('validates a conversation', () => {
    validateMessages([{ role: 'system', content: 's' }, { role: 'user', content: 'u' }]);
    assert.throws(() => validateMessages([]), /no messages/);
    assert.throws(() => validateMessages([{ role: 'user', content: 'u' }, { role: 'system', content: 's' }, { role: 'user', content: 'u' }]), /system messages must come first/);
    assert.throws(() => validateMessages([{ role: 'tool' as 'user', content: 'u' }]), /unknown role/);
  });
});
