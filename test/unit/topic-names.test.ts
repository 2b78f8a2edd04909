// trace: D.kafka, D.layout
// Topic names come from the catalogue only (platform/kafka/topics.ts: TOPICS, topicSet): a guard over the product
// sources (and bench/) that fails when a topic name is typed again as a string literal elsewhere.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';
import { TOPICS } from '../../platform/kafka/topics.js';
import { sourceFiles } from './source-files.js';

const CATALOGUE = 'platform/kafka/topics.ts';

/** Each place in `text` where a quoted string is a catalogue topic name or starts with `market.`: "line: literal". */
function topicLiterals(text: string, names: readonly string[]): string[] {
  const found: string[] = [];
  const lines = text.split('\n');
  const exact = new Set(names);
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/(['"`])((?:(?!\1)[^\\\n]|\\.)*)\1/g)) {
      const s = m[2]!;
      if (exact.has(s) || /^market\.[a-z]/.test(s)) found.push(`${i + 1}: ${m[0]}`);
    }
  });
  return found;
}

/** Product and bench sources (test/ left out). */
const sources = () => sourceFiles(['test']);

describe('topic names only from the catalogue', () => {
  const names = Object.values(TOPICS).map((t) => t.name);

  it('the scanner finds a retyped name in each quoting style and ignores names inside longer text or headers', () => {
    const text = [
      "const a = 'market.ticks';",
      'const b = "sda.windower.changelog";',
      'const c = `market.forecasts`;',
      "const d = 'market.prices'; // a new market topic outside the catalogue",
      "const e = TOPICS.ticks.name; const f = 'sda.reason'; const g = 'reads market.ticks';",
    ].join('\n');
    assert.deepEqual(topicLiterals(text, names), ["1: 'market.ticks'", '2: "sda.windower.changelog"', '3: `market.forecasts`', "4: 'market.prices'"]);
  });

  it(`no product or bench source outside ${CATALOGUE} types a topic name`, () => {
    const root = projectRoot();
    const files = sources();
    assert.ok(files.includes(CATALOGUE) && files.length > 100, `scanned ${files.length} files: is the scan looking at the sources?`);
    const offenders = files
      .filter((f) => f !== CATALOGUE)
      .flatMap((f) => topicLiterals(fs.readFileSync(path.join(root, f), 'utf8'), names).map((hit) => `${f}:${hit}`));
    assert.deepEqual(offenders, [], 'use TOPICS.<x>.name or topicSet(run) from platform/kafka/topics.ts');
  });
});
