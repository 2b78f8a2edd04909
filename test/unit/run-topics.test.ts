// trace: D.run-scoped
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SdaError } from '../../platform/errors.js';
import { RUN_TOPIC_PREFIX, TOPICS, groupFor, isRunMarket, liveMarketSql, runMarket, runOfTopic, subjectFor, topicSet, validateRunName } from '../../platform/kafka/topics.js';

describe('run-scoped topic sets', () => {
  it('leaves the live set as it is when no run is given', () => {
    assert.equal(topicSet(), TOPICS);
    assert.equal(topicSet(undefined).ticks.name, 'market.ticks');
    assert.equal(groupFor('sda-windower'), 'sda-windower');
  });

  it('renames every topic of TOPICS to run.NAME.<x>, keeping schema and settings', () => {
    const set = topicSet('july');
    assert.deepEqual(Object.keys(set).sort(), Object.keys(TOPICS).sort());
    assert.equal(set.ticks.name, 'run.july.ticks');
    assert.equal(set.features.name, 'run.july.features');
    assert.equal(set.forecasts.name, 'run.july.forecasts');
    assert.equal(set.documents.name, 'run.july.documents');
    assert.equal(set.deadLetters.name, 'run.july.dlq');
    assert.equal(set.windowerChangelog.name, 'run.july.windower.changelog');
    assert.equal(set.windowerChangelog.cleanupPolicy, 'compact');
    assert.equal(set.ticks.schema, 'MarketTick');
    assert.equal(subjectFor(set.ticks.name), 'run.july.ticks-value');
    for (const spec of Object.values(set)) assert.equal(runOfTopic(spec.name), 'july');
    assert.equal(runOfTopic('market.ticks'), undefined);
  });

  it('scopes groups and transactional ids by run', () => {
    assert.equal(groupFor('sda-windower', 'b-1'), 'sda-windower.run.b-1');
  });

  it('rejects bad run names with a coded error', () => {
    for (const bad of ['', 'a.b', 'a b', 'x'.repeat(65), 'é']) {
      assert.throws(() => validateRunName(bad), (e: unknown) => e instanceof SdaError && e.code === 'RUN_NAME_INVALID');
      assert.throws(() => topicSet(bad), SdaError);
      assert.throws(() => groupFor('g', bad), SdaError);
    }
    assert.equal(validateRunName('A_z-09'), 'A_z-09');
    assert.equal(validateRunName('x'.repeat(64)), 'x'.repeat(64));
  });

  it('tells a run\'s market from a live one, with one SQL rule bound to the prefix', () => {
    assert.equal(isRunMarket(runMarket('ERCOT', 'jul')), true);
    assert.equal(isRunMarket('run.jul.ERCOT'), true);
    assert.equal(isRunMarket('ERCOT'), false);
    assert.equal(isRunMarket('RUNWAY'), false);
    assert.equal(liveMarketSql('s.market', 2), 'NOT starts_with(s.market, $2)');
    assert.equal(liveMarketSql('market', 1), 'NOT starts_with(market, $1)');
    assert.equal(RUN_TOPIC_PREFIX, 'run.');
    for (const bad of ["market'); DROP TABLE x; --", 'Market', 'a.b.c', '']) assert.throws(() => liveMarketSql(bad, 1), TypeError, bad);
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => liveMarketSql('market', bad), TypeError, String(bad));
  });
});
