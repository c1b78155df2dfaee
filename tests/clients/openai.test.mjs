// openai.test.mjs — the official `openai` npm client against lmd's /v1 API: models,
// chat completions (streaming with usage, and not), completions, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { BASE, MODEL, corruptingFetch } from './common.mjs';

const client = new OpenAI({ baseURL: `${BASE}/v1`, apiKey: 'lmd-test', maxRetries: 0 });
const full = MODEL.includes(':') ? MODEL : `${MODEL}:latest`;
const params = { model: MODEL, temperature: 0, seed: 42, max_tokens: 12 };

test('models.list includes the model', async () => {
  const page = await client.models.list();
  const ids = page.data.map((m) => m.id);
  assert.ok(ids.includes(full), `${full} in ${ids}`);
  const m = page.data.find((x) => x.id === full);
  assert.equal(m.object, 'model');
  assert.equal(typeof m.created, 'number');
  assert.equal(typeof m.owned_by, 'string');
});

test('models.retrieve returns the model', async () => {
  const m = await client.models.retrieve(MODEL);
  assert.ok(m.id === MODEL || m.id === full, m.id);
  assert.equal(m.object, 'model');
});

test('chat.completions without streaming', async () => {
  const r = await client.chat.completions.create({
    ...params,
    messages: [{ role: 'system', content: 'Tell stories.' }, { role: 'user', content: 'Once upon a time' }],
  });
  assert.equal(r.object, 'chat.completion');
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.ok(r.choices[0].message.content.length > 0);
  assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens > 0);
  assert.ok(r.usage.completion_tokens > 0 && r.usage.completion_tokens <= params.max_tokens);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

test('chat.completions streaming gives the same text and usage at the end', async () => {
  const messages = [{ role: 'user', content: 'There was a dog' }];
  const whole = await client.chat.completions.create({ ...params, messages });
  const stream = await client.chat.completions.create({
    ...params, messages, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.equal(text, whole.choices[0].message.content);
  assert.equal(finish, whole.choices[0].finish_reason);
  assert.ok(usage, 'usage chunk with include_usage');
  assert.equal(usage.completion_tokens, whole.usage.completion_tokens);
});

test('max_completion_tokens limits the answer', async () => {
  const r = await client.chat.completions.create({
    model: MODEL, temperature: 0, max_completion_tokens: 3,
    messages: [{ role: 'user', content: 'Once upon a time' }],
  });
  assert.ok(r.usage.completion_tokens <= 3);
  assert.equal(r.choices[0].finish_reason, 'length');
});

test('completions (legacy) without and with streaming', async () => {
  const r = await client.completions.create({ ...params, prompt: 'Once upon a time' });
  assert.equal(r.object, 'text_completion');
  assert.ok(r.choices[0].text.length > 0);
  let text = '';
  for await (const chunk of await client.completions.create({ ...params, prompt: 'Once upon a time', stream: true })) {
    text += chunk.choices[0]?.text ?? '';
  }
  assert.equal(text, r.choices[0].text);
});

test('errors: unknown model is a 404 NotFoundError in OpenAI shape', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    (e) => {
      assert.ok(e instanceof OpenAI.NotFoundError, String(e));
      assert.equal(e.status, 404);
      assert.ok(e.error && typeof e.error.message === 'string' && e.error.message.length > 0);
      return true;
    },
  );
  await assert.rejects(client.models.retrieve('no-such-model'), (e) => e.status === 404);
});

test('errors: malformed JSON is a 400 BadRequestError', async () => {
  const broken = new OpenAI({ baseURL: `${BASE}/v1`, apiKey: 'lmd-test', maxRetries: 0, fetch: corruptingFetch });
  await assert.rejects(
    broken.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }),
    (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, String(e));
      assert.equal(e.status, 400);
      return true;
    },
  );
});

test('errors: wrong field type is a 400 naming the field', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: 'many' }),
    (e) => e.status === 400 && /max_tokens/.test(e.message),
  );
});
