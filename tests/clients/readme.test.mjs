// readme.test.mjs — runs every `curl` example of README.md (```sh blocks whose command
// starts with curl, backslash continuations joined) against the test server: the address
// localhost:11434 is rewritten to the server's, and each must exit 0 without an error body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HOST, MODEL } from './common.mjs';

const readme = process.env.LMD_README || fileURLToPath(new URL('../../README.md', import.meta.url));

// A command starts at a line beginning with `curl` and goes on while the line ends with a
// backslash or a single-quoted string (a JSON body) is still open.
export function curlExamples(text) {
  const out = [];
  const re = /```(?:sh|bash|shell)\n([\s\S]*?)```/g;
  let m;
  while ((m = re.exec(text))) {
    let cur = null;
    for (const line of m[1].split('\n')) {
      if (cur === null) {
        if (!/^\s*curl\s/.test(line)) continue;
        cur = line.trim();
      } else {
        cur += '\n' + line;
      }
      const open = (cur.match(/'/g) || []).length % 2 === 1;
      // a trailing backslash stays: bash reads it as the line continuation it is
      if (!open && !cur.endsWith('\\')) { out.push(cur); cur = null; }
    }
    if (cur !== null) out.push(cur);
  }
  return out;
}

test('README curl examples run against lmd', (t) => {
  const examples = curlExamples(readFileSync(readme, 'utf8'));
  t.diagnostic(`${examples.length} curl example(s) in ${readme}`);
  for (const ex of examples) {
    const cmd = ex
      .replaceAll('localhost:11434', HOST)
      .replaceAll('127.0.0.1:11434', HOST)
      .replace(/"model":\s*"[^"]*"/g, `"model": "${MODEL}"`);
    let out;
    try {
      const wrap = "curl() { command curl -sS --max-time 120 -w '\\n%{http_code}' \"$@\"; }\n";
      out = execFileSync('bash', ['-c', wrap + cmd], { encoding: 'utf8' });
    } catch (e) {
      assert.fail(`${ex}: exit ${e.status}: ${e.stderr}`);
    }
    const code = out.trim().split('\n').pop();
    assert.match(code, /^2\d\d$/, `${ex}: HTTP ${code}`);
    assert.doesNotMatch(out, /"error"\s*:/, `${ex}: ${out.slice(0, 300)}`);
  }
});

test('the curl extractor finds commands, joins continuations and open quotes', () => {
  const ex = curlExamples('x\n```sh\ncurl http://localhost:11434/api/tags\n```\n```sh\n' +
    'curl http://localhost:11434/api/generate -d \'{\n  "model": "a"\n}\'\necho hi\n' +
    'curl -X POST \\\n  http://localhost:11434/api/show\n```\n```json\ncurl no\n```\n');
  assert.equal(ex.length, 3);
  assert.equal(ex[0], 'curl http://localhost:11434/api/tags');
  assert.equal(ex[1], 'curl http://localhost:11434/api/generate -d \'{\n  "model": "a"\n}\'');
  assert.equal(ex[2], 'curl -X POST \\\n  http://localhost:11434/api/show');
});
