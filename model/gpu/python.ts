// The Python that runs the PyTorch trainer (model/gpu/train.py) on this machine: SDA_PYTHON when set, else the
// first of python3 / /usr/bin/python3 that imports torch and numpy. When none does, Debian's python3-torch is
// installed on first use (as root, like R for the taylor series), with OpenBLAS: torch's CPU LSTM runs about 4x
// faster on it than on the reference BLAS that Debian otherwise selects.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { processSettings, projectRoot } from '../../platform/config.js';
import { SdaError } from '../../platform/errors.js';
import { aptInstall } from '../../platform/installers/apt.js';
import { run } from '../../platform/installers/process.js';

/** Debian packages that give /usr/bin/python3 torch (1.13 on bookworm, CPU) and numpy, and a fast BLAS. */
export const TORCH_APT_PACKAGES = ['python3-torch', 'libopenblas0-pthread'];

export function trainScriptPath(): string {
  return join(projectRoot(), 'model', 'gpu', 'train.py');
}

/** The torch version `python` imports, or null when it cannot import torch and numpy. */
export async function torchVersion(python: string): Promise<string | null> {
  try {
    const out = await run(python, ['-c', 'import numpy, torch; print(torch.__version__)']);
    return out.trim().split('\n').pop() ?? null;
  } catch {
    return null;
  }
}

export interface TorchPython {
  python: string;
  torchVersion: string;
  /** Seconds spent installing packages (0 when torch was already there). */
  installSeconds: number;
}

/**
 * A Python interpreter with torch and numpy, installing Debian's python3-torch when none has them. A pyenv or
 * virtualenv `python3` first on PATH does not see Debian's packages, hence /usr/bin/python3 as the fallback.
 */
export async function ensureTorchPython(progress: (msg: string) => void = () => undefined): Promise<TorchPython> {
  const chosen = processSettings().python;
  const candidates = chosen ? [chosen] : ['python3', '/usr/bin/python3'];
  for (const python of candidates) {
    const v = await torchVersion(python);
    if (v) return { python, torchVersion: v, installSeconds: 0 };
  }
  if (chosen) throw new SdaError('PYTHON_NO_TORCH', `SDA_PYTHON=${chosen} cannot import torch and numpy`);
  progress(`installing ${TORCH_APT_PACKAGES.join(' ')} from Debian (once; about 600 MiB)`);
  const t0 = performance.now();
  await aptInstall(TORCH_APT_PACKAGES);
  const installSeconds = (performance.now() - t0) / 1000;
  const python = '/usr/bin/python3';
  const v = existsSync(python) ? await torchVersion(python) : null;
  if (!v) throw new SdaError('PYTHON_NO_TORCH', `installed ${TORCH_APT_PACKAGES.join(', ')}, but ${python} still cannot import torch`);
  return { python, torchVersion: v, installSeconds };
}
