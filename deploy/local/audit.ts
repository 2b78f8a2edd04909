// `npm audit` for CI: production and development dependencies, judged against the advisories this project has
// reviewed and accepted (ACCEPTED_ADVISORIES, each with its reason; DEVELOPERS.md lists them too).
//
//   deploy/local/node.sh dist/deploy/local/audit.js     (npm run deps:audit)
//
// Exit 1 only for a high or critical advisory in a production dependency that is not accepted. Development-only
// advisories and moderate/low ones are printed, not fatal (dev tools never ship in the product or its images).
// When the registry's audit endpoint does not answer (offline, a mirror without /-/npm/v1/security), it says so
// and exits 0: the audit could not run, which is not a finding.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../../platform/installers/node.js';

export type Severity = 'info' | 'low' | 'moderate' | 'high' | 'critical';
const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, moderate: 2, high: 3, critical: 4 };

/** An advisory reviewed and accepted: the GHSA id, the package it is filed against, and why it does not apply. */
export interface AcceptedAdvisory {
  ghsa: string;
  packageName: string;
  reason: string;
}

/**
 * Advisories reviewed and found not to apply, so they do not fail CI. Keep in step with DEVELOPERS.md
 * ("Lint and audit"). Empty: no production advisory was reported when this list was last reviewed.
 */
export const ACCEPTED_ADVISORIES: readonly AcceptedAdvisory[] = [];

/** One advisory against one installed package, as npm audit (report version 2) describes it. */
export interface Finding {
  packageName: string;
  ghsa: string;
  title: string;
  severity: Severity;
  range: string;
  url: string;
  production: boolean;
  fixAvailable: boolean;
  accepted?: AcceptedAdvisory;
}

/** The verdict over both reports. `unavailable` holds why the audit could not run (then `findings` is empty). */
export interface AuditVerdict {
  unavailable?: string;
  findings: Finding[];
  /** High/critical production findings not accepted: these fail CI. */
  blocking: Finding[];
  /** Accepted advisories no report mentions any more: remove them from ACCEPTED_ADVISORIES. */
  staleAcceptances: AcceptedAdvisory[];
}

export interface AuditViaAdvisory {
  title?: string;
  url?: string;
  severity?: Severity;
  range?: string;
  name?: string;
}
export interface AuditReport {
  auditReportVersion?: number;
  vulnerabilities?: Record<string, { name: string; severity: Severity; via: Array<string | AuditViaAdvisory>; fixAvailable?: unknown }>;
  error?: { summary?: string; detail?: string };
  message?: string;
  statusCode?: number;
}

/** Why a parsed `npm audit --json` output is not a report, or undefined when it is one. */
export function auditUnavailable(report: AuditReport | undefined): string | undefined {
  if (!report) return 'npm audit printed no JSON';
  if (report.auditReportVersion === 2 && report.vulnerabilities) return undefined;
  const why = report.message || report.error?.summary || report.error?.detail || (report.statusCode ? `HTTP ${report.statusCode}` : 'an answer that is not an audit report');
  return `the registry's audit endpoint did not answer with a report (${why})`;
}

function advisoriesOf(report: AuditReport): Array<Omit<Finding, 'production'>> {
  const out: Array<Omit<Finding, 'production'>> = [];
  for (const v of Object.values(report.vulnerabilities ?? {})) {
    for (const via of v.via) {
      if (typeof via === 'string' || !via.url) continue; // a string names another vulnerable package, listed itself
      const ghsa = /GHSA-[\w-]+/i.exec(via.url)?.[0] ?? via.url;
      out.push({
        packageName: via.name ?? v.name,
        ghsa,
        title: via.title ?? '',
        severity: via.severity ?? v.severity,
        range: via.range ?? '',
        url: via.url,
        fixAvailable: v.fixAvailable !== false,
      });
    }
  }
  return out;
}

/**
 * Judges the two `npm audit --json` reports (`all`: every dependency; `production`: with --omit=dev).
 * A finding is production when the production report lists the same advisory for the same package.
 */
export function judgeAudit(all: AuditReport | undefined, production: AuditReport | undefined, accepted: readonly AcceptedAdvisory[] = ACCEPTED_ADVISORIES): AuditVerdict {
  const unavailable = auditUnavailable(all) ?? auditUnavailable(production);
  if (unavailable) return { unavailable, findings: [], blocking: [], staleAcceptances: [] };
  const prodKeys = new Set(advisoriesOf(production!).map((a) => `${a.packageName} ${a.ghsa}`));
  const seen = new Map<string, Finding>();
  for (const a of advisoriesOf(all!)) {
    const key = `${a.packageName} ${a.ghsa}`;
    if (seen.has(key)) continue;
    const acc = accepted.find((x) => x.ghsa.toLowerCase() === a.ghsa.toLowerCase() && x.packageName === a.packageName);
    seen.set(key, { ...a, production: prodKeys.has(key), ...(acc ? { accepted: acc } : {}) });
  }
  const findings = [...seen.values()].sort((x, y) => SEVERITY_RANK[y.severity] - SEVERITY_RANK[x.severity] || x.packageName.localeCompare(y.packageName));
  const blocking = findings.filter((f) => f.production && !f.accepted && SEVERITY_RANK[f.severity] >= SEVERITY_RANK.high);
  const staleAcceptances = accepted.filter((x) => !findings.some((f) => f.accepted === x));
  return { findings, blocking, staleAcceptances };
}

/** Runs `npm audit --json [args]` in root and parses its stdout (npm exits 1 when it finds anything). */
function npmAudit(root: string, args: string[]): Promise<AuditReport | undefined> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['audit', '--json', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.resume();
    const timer = setTimeout(() => child.kill('SIGTERM'), 120_000);
    child.on('error', () => resolve(undefined));
    child.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out) as AuditReport);
      } catch {
        resolve(undefined);
      }
    });
  });
}

async function main(): Promise<number> {
  const root = repoRoot();
  const [all, production] = [await npmAudit(root, []), await npmAudit(root, ['--omit=dev'])];
  const verdict = judgeAudit(all, production);
  if (verdict.unavailable) {
    process.stdout.write(`audit: skipped: ${verdict.unavailable}; run \`npm audit\` where the registry's audit endpoint answers\n`);
    return 0;
  }
  for (const f of verdict.findings) {
    const where = f.production ? 'production' : 'dev only';
    const state = f.accepted ? `accepted: ${f.accepted.reason}` : f.fixAvailable ? 'fix available (npm audit fix)' : 'no fix yet';
    process.stdout.write(`audit: ${f.severity} ${f.packageName} ${f.range} (${where}) ${f.ghsa} ${f.title}: ${state}\n`);
  }
  for (const s of verdict.staleAcceptances) process.stdout.write(`audit: ${s.ghsa} (${s.packageName}) is accepted but no longer reported: remove it from ACCEPTED_ADVISORIES\n`);
  process.stdout.write(`audit: ${verdict.findings.length} advisories (${verdict.findings.filter((f) => f.production).length} in production dependencies), ${verdict.blocking.length} blocking\n`);
  if (verdict.blocking.length > 0) {
    process.stdout.write('audit: upgrade the blocking packages, or add each to ACCEPTED_ADVISORIES (deploy/local/audit.ts) and DEVELOPERS.md with the reason it does not apply\n');
    return 1;
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`audit: ${(err as Error).message ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
