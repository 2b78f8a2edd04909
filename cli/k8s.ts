// `sda k8s render|validate`: the Kubernetes manifests in deploy/k8s, rendered and checked offline (no cluster).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.js';
import { formatReport, k8sDir, renderKustomization, validateK8s } from '../deploy/k8s/validate.js';
import { OptionError } from './options.js';

export function registerK8s(program: Command): void {
  const k8s = program
    .command('k8s')
    .description('the Kubernetes manifests (deploy/k8s: kustomize base, overlays/local for minikube, Strimzi and CloudNativePG resources): render and validate them offline');

  k8s
    .command('render')
    .description('print the rendered manifests of a kustomization (`kubectl kustomize`), ready for `kubectl apply -f -`')
    .option('--dir <path>', 'kustomization directory, relative to deploy/k8s or absolute', 'overlays/local')
    .action((opts: { dir: string }) => {
      const dir = path.resolve(k8sDir(), opts.dir);
      if (!existsSync(path.join(dir, 'kustomization.yaml'))) {
        throw new OptionError('--dir', `${dir} has no kustomization.yaml; try base or overlays/local (relative to ${k8sDir()})`);
      }
      process.stdout.write(renderKustomization(dir));
    });

  k8s
    .command('validate')
    .description('render base and every overlay, check each resource against the Kubernetes 1.32 schemas (PyPI kubernetes-validate in a venv under .cache/k8s, made on first use), then the project\'s rules: probes, requests, replicas <= partitions, metrics ports, selectors, ingress routes, topics; exit 1 when anything fails')
    .option('--root <path>', 'the manifests folder (default deploy/k8s)')
    .option('--json', 'print the report as JSON')
    .action((opts: { root?: string; json?: boolean }) => {
      const config = loadConfig();
      const report = validateK8s({ root: opts.root ? path.resolve(opts.root) : undefined, cacheDir: config.cacheDir, print: (l) => process.stderr.write(`${l}\n`) });
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...report, reports: report.reports.map((r) => ({ ...r, documents: r.documents.length })) }, null, 2)}\n`);
      else process.stdout.write(`${formatReport(report)}\n`);
      if (!report.ok) process.exitCode = 1;
    });
}
