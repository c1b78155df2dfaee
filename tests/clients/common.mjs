// common.mjs — shared settings of the client conformance suite. run.sh starts `lmd serve`
// and passes its address and the model it created in the environment.
export const HOST = process.env.LMD_TEST_HOST || '127.0.0.1:11434';
export const BASE = `http://${HOST}`;
export const MODEL = process.env.LMD_TEST_MODEL || 'stories';
// Greedy and short, so runs are repeatable and fast on the tiny test model.
export const OPTIONS = { temperature: 0, seed: 42, num_predict: 12 };

// A fetch for a client that sends a malformed JSON body in place of the one it built, so
// the test sees how the client reports the server's 400.
export function corruptingFetch(url, init = {}) {
  return fetch(url, { ...init, body: '{"model": "x", "prompt": ' });
}
