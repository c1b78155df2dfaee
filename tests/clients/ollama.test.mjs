// ollama.test.mjs — the official `ollama` npm client against lmd: version, list, show,
// generate and chat (streaming and not), ps, copy, delete, create, keep_alive, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import { HOST, MODEL, OPTIONS, corruptingFetch } from './common.mjs';

const ollama = new Ollama({ host: `http://${HOST}` });
const full = MODEL.includes(':') ? MODEL : `${MODEL}:latest`;

async function expectStatus(promise, status) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.name, 'ResponseError', `expected a ResponseError, got ${e}`);
    assert.equal(e.status_code, status, `status of: ${e.message}`);
    assert.ok(e.message.length > 0);
    return true;
  });
}

test('version answers with a version string', async () => {
  const v = await ollama.version();
  assert.match(v.version, /^\d+\.\d+/);
});

test('list shows the created model with Ollama fields', async () => {
  const { models } = await ollama.list();
  const m = models.find((x) => x.name === full);
  assert.ok(m, `${full} in ${models.map((x) => x.name)}`);
  assert.equal(m.model, full);
  assert.ok(m.size > 0);
  assert.match(m.digest, /^[0-9a-f]{64}$/);
  assert.ok(!Number.isNaN(Date.parse(m.modified_at)));
  assert.equal(m.details.format, 'gguf');
});

test('show returns modelfile, template, details and model_info', async () => {
  const s = await ollama.show({ model: MODEL });
  assert.equal(typeof s.modelfile, 'string');
  assert.match(s.modelfile, /FROM /);
  assert.equal(typeof s.template, 'string');
  assert.equal(s.details.format, 'gguf');
  assert.equal(s.model_info['general.architecture'], 'llama');
});

test('generate without streaming returns text and statistics in nanoseconds', async () => {
  const r = await ollama.generate({ model: MODEL, prompt: 'Once upon a time', options: OPTIONS });
  assert.equal(r.model, MODEL);
  assert.equal(r.done, true);
  assert.equal(typeof r.response, 'string');
  assert.ok(r.response.length > 0);
  assert.ok(['stop', 'length'].includes(r.done_reason), r.done_reason);
  assert.ok(r.eval_count > 0 && r.eval_count <= OPTIONS.num_predict);
  assert.ok(r.prompt_eval_count > 0);
  assert.ok(r.total_duration > 0 && r.eval_duration > 0);
});

test('generate streaming gives the same greedy text, then one done chunk', async () => {
  const whole = await ollama.generate({ model: MODEL, prompt: 'Once upon a time', options: OPTIONS });
  const stream = await ollama.generate({ model: MODEL, prompt: 'Once upon a time', options: OPTIONS, stream: true });
  let text = '';
  let chunks = 0;
  let last;
  for await (const part of stream) {
    chunks++;
    text += part.response;
    last = part;
  }
  assert.ok(chunks >= 2, `chunks: ${chunks}`);
  assert.equal(last.done, true);
  assert.equal(text, whole.response);
  assert.equal(last.eval_count, whole.eval_count);
});

test('chat without streaming answers as the assistant', async () => {
  const r = await ollama.chat({
    model: MODEL,
    messages: [{ role: 'system', content: 'Tell stories.' }, { role: 'user', content: 'Once upon a time' }],
    options: OPTIONS,
  });
  assert.equal(r.done, true);
  assert.equal(r.message.role, 'assistant');
  assert.equal(typeof r.message.content, 'string');
  assert.ok(r.message.content.length > 0);
  assert.ok(r.eval_count > 0);
});

test('chat streaming matches the non-streaming answer', async () => {
  const messages = [{ role: 'user', content: 'There was a cat' }];
  const whole = await ollama.chat({ model: MODEL, messages, options: OPTIONS });
  let text = '';
  let last;
  for await (const part of await ollama.chat({ model: MODEL, messages, options: OPTIONS, stream: true })) {
    assert.equal(part.message.role, 'assistant');
    text += part.message.content;
    last = part;
  }
  assert.equal(last.done, true);
  assert.equal(text, whole.message.content);
});

test('ps lists the loaded model; keep_alive 0 unloads it', async () => {
  await ollama.generate({ model: MODEL, prompt: '', keep_alive: '5m' });
  let { models } = await ollama.ps();
  const m = models.find((x) => x.name === full);
  assert.ok(m, `${full} loaded: ${JSON.stringify(models)}`);
  assert.ok(m.size > 0);
  assert.ok(!Number.isNaN(Date.parse(m.expires_at)));
  const r = await ollama.generate({ model: MODEL, prompt: '', keep_alive: 0 });
  assert.equal(r.done, true);
  assert.equal(r.response, '');
  ({ models } = await ollama.ps());
  assert.ok(!models.some((x) => x.name === full), 'unloaded after keep_alive 0');
});

test('copy makes a second name for the model, delete removes it', async () => {
  await ollama.copy({ source: MODEL, destination: 'stories-copy' });
  let { models } = await ollama.list();
  const copy = models.find((x) => x.name === 'stories-copy:latest');
  const orig = models.find((x) => x.name === full);
  assert.ok(copy, 'copy listed');
  assert.equal(copy.digest, orig.digest);
  const s = await ollama.show({ model: 'stories-copy' });
  assert.equal(s.details.format, 'gguf');
  await ollama.delete({ model: 'stories-copy' });
  ({ models } = await ollama.list());
  assert.ok(!models.some((x) => x.name === 'stories-copy:latest'), 'copy deleted');
  assert.ok(models.some((x) => x.name === full), 'original kept');
  await expectStatus(ollama.delete({ model: 'stories-copy' }), 404);
});

test('create derives a model with its own system prompt and parameters', async () => {
  const r = await ollama.create({
    model: 'stories-made',
    from: MODEL,
    system: 'You tell short stories.',
    parameters: { temperature: 0, num_predict: 8 },
  });
  assert.equal(r.status, 'success');
  const s = await ollama.show({ model: 'stories-made' });
  assert.equal(s.system, 'You tell short stories.');
  assert.match(s.parameters, /num_predict\s+8/);
  const g = await ollama.generate({ model: 'stories-made', prompt: 'Once' });
  assert.equal(g.done, true);
  assert.ok(g.eval_count <= 8);
  await ollama.delete({ model: 'stories-made' });
});

test('create streams progress and ends with success', async () => {
  let last;
  for await (const p of await ollama.create({ model: 'stories-streamed', from: MODEL, stream: true })) {
    assert.equal(typeof p.status, 'string');
    last = p;
  }
  assert.equal(last.status, 'success');
  await ollama.delete({ model: 'stories-streamed' });
});

test('errors: unknown model is 404 for generate, chat, show, copy', async () => {
  await expectStatus(ollama.generate({ model: 'no-such-model', prompt: 'x' }), 404);
  await expectStatus(ollama.chat({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }), 404);
  await expectStatus(ollama.show({ model: 'no-such-model' }), 404);
  await expectStatus(ollama.copy({ source: 'no-such-model', destination: 'x' }), 404);
});

test('errors: malformed JSON and wrong field types are 400', async () => {
  const broken = new Ollama({ host: `http://${HOST}`, fetch: corruptingFetch });
  await expectStatus(broken.generate({ model: MODEL, prompt: 'x' }), 400);
  await expectStatus(broken.chat({ model: MODEL, messages: [] }), 400);
  await expectStatus(ollama.generate({ model: MODEL, prompt: 123 }), 400);
  await expectStatus(ollama.chat({ model: MODEL, messages: 'not a list' }), 400);
});

test('errors: a streaming request for an unknown model fails before streaming', async () => {
  await expectStatus(ollama.generate({ model: 'no-such-model', prompt: 'x', stream: true }), 404);
});
