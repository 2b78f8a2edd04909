// CI's dependency audit (deploy/local/audit.ts): which npm audit findings fail the build, which are only printed,
// and that an audit endpoint that does not answer skips the audit instead of failing it. Reports are fixtures in
// npm audit's JSON (auditReportVersion 2); no network.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AcceptedAdvisory, type AuditReport, auditUnavailable, judgeAudit } from '../../deploy/local/audit.js';

type Sev = 'low' | 'moderate' | 'high' | 'critical';

/** An npm audit v2 report with one advisory per entry. */
function report(entries: Array<{ pkg: string; ghsa: string; severity: Sev }>): AuditReport {
  const vulnerabilities: NonNullable<AuditReport['vulnerabilities']> = {};
  for (const e of entries) {
    vulnerabilities[e.pkg] = {
      name: e.pkg,
      severity: e.severity,
      via: [{ name: e.pkg, title: `flaw in ${e.pkg}`, url: `https://github.com/advisories/${e.ghsa}`, severity: e.severity, range: '<9.9.9' }],
      fixAvailable: true,
    };
  }
  return { auditReportVersion: 2, vulnerabilities };
}

const PROD_HIGH = { pkg: 'express', ghsa: 'GHSA-aaaa-bbbb-cccc', severity: 'high' as const };
const DEV_CRIT = { pkg: 'autocannon', ghsa: 'GHSA-dddd-eeee-ffff', severity: 'critical' as const };
const PROD_MOD = { pkg: 'pg', ghsa: 'GHSA-gggg-hhhh-iiii', severity: 'moderate' as const };

describe('dependency audit verdict', () => {
  it('a high advisory in a production dependency blocks; a critical one in a dev tool and a moderate one do not', () => {
    const v = judgeAudit(report([PROD_HIGH, DEV_CRIT, PROD_MOD]), report([PROD_HIGH, PROD_MOD]), []);
    assert.equal(v.unavailable, undefined);
    assert.deepEqual(
      v.findings.map((f) => [f.packageName, f.severity, f.production]),
      [
        ['autocannon', 'critical', false],
        ['express', 'high', true],
        ['pg', 'moderate', true],
      ],
    );
    assert.deepEqual(
      v.blocking.map((f) => f.ghsa),
      ['GHSA-aaaa-bbbb-cccc'],
    );
  });

  it('an accepted advisory does not block, and an acceptance nothing reports any more is named stale', () => {
    const accepted: AcceptedAdvisory[] = [
      { ghsa: 'ghsa-aaaa-bbbb-cccc', packageName: 'express', reason: 'the affected option is not used' },
      { ghsa: 'GHSA-zzzz-zzzz-zzzz', packageName: 'pino', reason: 'fixed since' },
    ];
    const v = judgeAudit(report([PROD_HIGH]), report([PROD_HIGH]), accepted);
    assert.deepEqual(v.blocking, []);
    assert.equal(v.findings[0]!.accepted?.reason, 'the affected option is not used');
    assert.deepEqual(
      v.staleAcceptances.map((a) => a.ghsa),
      ['GHSA-zzzz-zzzz-zzzz'],
    );
  });

  it('an acceptance for the same advisory on another package does not cover it', () => {
    const v = judgeAudit(report([PROD_HIGH]), report([PROD_HIGH]), [{ ghsa: PROD_HIGH.ghsa, packageName: 'helmet', reason: 'x' }]);
    assert.equal(v.blocking.length, 1);
  });

  it('an audit endpoint that refuses (the 405 a registry mirror answers) or prints nothing makes the audit unavailable, not failed', () => {
    const refused = { message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405, error: { summary: '', detail: '' } };
    const v = judgeAudit(refused, refused);
    assert.match(v.unavailable ?? '', /did not answer.*405 Method Not Allowed/);
    assert.deepEqual(v.blocking, []);
    assert.match(auditUnavailable(undefined) ?? '', /no JSON/);
    assert.equal(auditUnavailable(report([])), undefined);
  });
});
