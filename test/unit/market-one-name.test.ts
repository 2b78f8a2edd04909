// trace: D.market-clock, D.windower, D.layout
// One name per market concept: a guard over the product sources (and bench/) that fails when a series key is
// built by hand, when Central wall time is computed from an offset outside market/, or when the SYSTEM series id
// is typed as a literal instead of SYSTEM_SERIES_ID (market/series.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';
import { sourceFiles } from './source-files.js';

/** Product and bench sources outside market/ (test/ left out). */
const sources = () => sourceFiles(['test']).filter((f) => !f.startsWith('market/'));

const RULES: Array<{ what: string; re: RegExp }> = [
  // `${x.market}\u0000${x.seriesId}...` or `${market}|${seriesId}|${kind}`: use seriesKey / seriesRecordKey.
  { what: 'a series key built by hand (use seriesKey, seriesKeyOf or seriesRecordKey)', re: /\$\{[\w.]*market\}(?:\\u0000|\||:|\/)\$\{[\w.]*seriesId\}(?:\\u0000|\||:|\/)\$\{[\w.]*kind\}/ },
  { what: 'Central time from an offset outside market/ (use centralLabel, centralClockText, centralDateOf, centralCalendar, centralWallMs)', re: /centralOffsetMs\(|America\/Chicago|(?:CST|CDT)_(?:TO_UTC|OFFSET)/ },
  { what: "the SYSTEM series id as a literal (use SYSTEM_SERIES_ID)", re: /(?:seriesId|series|series_id)\s*(?:===|!==|:|=)\s*'SYSTEM'|\[\s*'SYSTEM',\s*'(?:LOAD|WIND|SOLAR|SYSTEM)'/ },
];

describe('market concepts have one name', () => {
  it('no product source outside market/ builds a series key, computes Central time from an offset, or types the SYSTEM series id', () => {
    const root = projectRoot();
    const files = sources();
    assert.ok(files.length > 100, `found only ${files.length} source files under ${root}`);
    const found: string[] = [];
    for (const f of files) {
      const lines = fs.readFileSync(path.join(root, f), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (/^\s*(\/\/|\*)/.test(line)) return; // comments may name things
        for (const r of RULES) if (r.re.test(line)) found.push(`${f}:${i + 1}: ${r.what}: ${line.trim().slice(0, 120)}`);
      });
    }
    assert.deepEqual(found, []);
  });

  it('the guard finds what it guards against', () => {
    const hits = (line: string) => RULES.filter((r) => r.re.test(line)).length;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text the guard reads
    assert.equal(hits('byKey.set(`${w.market}\\u0000${w.seriesId}\\u0000${w.kind}`, w)'), 1);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text the guard reads
    assert.equal(hits('const k = `${t.market}|${t.seriesId}|${t.kind}`;'), 1);
    assert.equal(hits('const local = new Date(ms + centralOffsetMs(ms)).toISOString();'), 1);
    assert.equal(hits("if (t.seriesId === 'SYSTEM') return;"), 1);
    assert.equal(hits("const series = [['SYSTEM', 'LOAD']];"), 1);
    assert.equal(hits('const k = seriesRecordKey(w, w.stepMs);'), 0);
    assert.equal(hits("yield tick(s.seriesId, 'SYSTEM', s.kind, t);"), 0); // the point type SYSTEM is another thing
  });
});
