// trace: 8.1
// The demo's shutdown: it says what it stops, stops the gateway first, then every job at once (not one after another),
// and a failing stop is reported without keeping the others from stopping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stopAll } from '../../cli/stop-all.js';

describe('stopAll', () => {
  it('stops the gateway first, then the jobs together, naming each', async () => {
    const events: string[] = [];
    let releaseA!: () => void;
    const aWaits = new Promise<void>((r) => (releaseA = r));
    const running = [
      // Job a finishes only once job b has started stopping: stopped one after another, this would never end.
      { name: 'a', stop: async () => { events.push('a start'); await aWaits; events.push('a done'); } },
      { name: 'b', stop: async () => { events.push('b start'); releaseA(); } },
      { name: 'gateway', stop: async () => { events.push('gateway'); } },
      { name: 'c', stop: async () => { throw new Error('broker gone'); } },
    ];
    const lines: string[] = [];
    await stopAll(running, (l) => lines.push(l));
    assert.equal(events[0], 'gateway');
    assert.deepEqual(events.slice(1), ['a start', 'b start', 'a done']);
    assert.equal(lines[0], 'stopping a, b, gateway, c');
    for (const name of ['gateway', 'a', 'b', 'c']) assert.ok(lines.some((l) => new RegExp(`^ +stopped ${name} \\(\\d+\\.\\d s\\)$`).test(l)), `${name}: ${lines.join(' | ')}`);
    assert.ok(lines.includes('     c: broker gone'));
  });
});
