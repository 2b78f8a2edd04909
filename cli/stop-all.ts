// Shutdown of the components a long-running command started (sda demo): what is stopping, in what order, how long.

/** A started component. */
export interface Stoppable {
  /** What a shutdown line calls it ("gateway", "windower"). */
  name?: string;
  stop(): Promise<void>;
}

/** A component under a name for the shutdown lines. */
export const named = (name: string, s: Stoppable): Stoppable => ({ name, stop: () => s.stop() });

/**
 * Stops what the demo started, saying what: the gateway first (it stops answering at once), then every job together
 * (stopped one after another, their waits would add up), printing a line per named component with the seconds since
 * the start of the shutdown; a failed stop is printed, not thrown. `print` gets whole lines.
 */
export async function stopAll(running: Stoppable[], print: (line: string) => void): Promise<void> {
  const t0 = Date.now();
  const stopOne = async (r: Stoppable) => {
    await r.stop().catch((err: unknown) => print(`     ${r.name ?? 'a job'}: ${(err as Error).message}`));
    if (r.name) print(`     stopped ${r.name} (${((Date.now() - t0) / 1_000).toFixed(1)} s)`);
  };
  const gateway = running.filter((r) => r.name === 'gateway');
  const rest = running.filter((r) => r.name !== 'gateway');
  if (running.length > 0) print(`stopping ${running.map((r) => r.name ?? 'a job').join(', ')}`);
  for (const g of gateway) await stopOne(g);
  await Promise.all(rest.map(stopOne));
}
