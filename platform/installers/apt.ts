// Debian packages the stack needs, installed on first use.
import fs from 'node:fs';
import os from 'node:os';
import { InstallError, commandExists, run } from './process.js';

let aptUpdated = false;

/** apt-get install, as root, without starting the packages' own system services. */
export async function aptInstall(packages: string[]): Promise<void> {
  if (os.userInfo().uid !== 0) {
    throw new InstallError('TOOL_MISSING', `missing Debian packages ${packages.join(', ')}: install them (sudo apt-get install -y --no-install-recommends ${packages.join(' ')}) or run as root`);
  }
  if (!commandExists('apt-get')) throw new InstallError('TOOL_MISSING', `apt-get not found; install ${packages.join(', ')} by hand`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    await run('apt-get', ['update', '-qq'], { env });
    aptUpdated = true;
  }
  // policy-rc.d exit 101 keeps package scripts from starting daemons (we run our own instances).
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !fs.existsSync(policy);
  if (ownPolicy) fs.writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { env });
  } finally {
    if (ownPolicy) fs.rmSync(policy, { force: true });
  }
}
