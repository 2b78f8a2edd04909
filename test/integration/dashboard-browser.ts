// The headless-Chromium dashboard tests' shared fixture (dashboard, dashboard-fan, dashboard-spike): a gateway on an
// ephemeral port with a temporary model registry and Debian's Chromium driven by playwright-core; the cleanup that
// also deletes the test market's market_data and forecasts rows; a page opened on one series that has drawn its first
// data; and a screenshot kept under .cache/artifacts/.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { type GatewayOptions, type RunningGateway, startGateway } from '../../gateway/server.js';
import { type Config, projectRoot } from '../../platform/config.js';
import { config as defaultConfig } from './harness.js';

/** Debian's chromium, which `bootstrap.sh --test` installs. */
export const CHROMIUM = '/usr/bin/chromium';

/** A running gateway, its temporary registry directory and a launched Chromium. */
export interface DashboardRig {
  gw: RunningGateway;
  browser: Browser;
  registry: string;
}

/**
 * Starts a gateway on an ephemeral port (port 0) over a new temporary registry directory named `prefix` + random
 * characters under os.tmpdir(), awaits its extensions (the live feed) unless `opts.liveFeed` is false, and launches
 * Chromium (--no-sandbox). `cfg` defaults to the harness config (the shared stack). Throws an AssertionError if
 * CHROMIUM is missing; on any failure closes what it started, removes the directory and rethrows.
 */
export async function startDashboardRig(prefix: string, cfg: Config = defaultConfig, opts: Omit<GatewayOptions, 'port' | 'registryDir'> = {}): Promise<DashboardRig> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: bootstrap.sh --test installs Debian's chromium`);
  assert.ok(/^[\w-]+$/.test(prefix), `registry prefix ${JSON.stringify(prefix)}: letters, digits, '_' and '-' only`);
  const registry = await mkdtemp(path.join(os.tmpdir(), prefix));
  let gw: RunningGateway | undefined;
  try {
    gw = await startGateway(cfg, { ...opts, port: 0, registryDir: registry });
    if (opts.liveFeed !== false) await gw.extensions.ready;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    return { gw, browser, registry };
  } catch (err) {
    await gw?.close();
    await rm(registry, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The `after` cleanup: closes the browser and the gateway (when `rig` was started), deletes `market`'s rows from
 * market_data and forecasts (parameterised), ends `pool` and removes the registry directory.
 */
export async function stopDashboardRig(rig: DashboardRig | undefined, pool: pg.Pool, market: string): Promise<void> {
  await rig?.browser.close();
  await rig?.gw.close();
  await pool.query('DELETE FROM market_data WHERE market = $1', [market]);
  await pool.query('DELETE FROM forecasts WHERE market = $1', [market]);
  await pool.end();
  if (rig) await rm(rig.registry, { recursive: true, force: true });
}

export interface OpenDashboardOptions {
  /** The page size in CSS pixels; default 1280 x 900. */
  viewport?: { width: number; height: number };
  /** The page's history refresh period in seconds (the hash's refresh=); default the page's own (15 s). */
  refreshS?: number;
  /** Called with the page before it loads, to attach more listeners (e.g. console messages). */
  onPage?: (page: Page) => void;
}

/**
 * Opens a new page on `url`/#market=`market`&series=`series` (and &refresh=, if given) and waits up to 30 s for the
 * page's first data (window.__sdaFirstData). `errors` collects the message of every uncaught page error from before
 * the load on. Throws playwright's TimeoutError when no data is drawn in time.
 */
export async function openDashboard(browser: Browser, url: string, market: string, series: string, opts: OpenDashboardOptions = {}): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  opts.onPage?.(page);
  const refresh = opts.refreshS === undefined ? '' : `&refresh=${opts.refreshS}`;
  await page.goto(`${url}/#market=${market}&series=${series}${refresh}`);
  await page.waitForFunction(() => (window as unknown as { __sdaFirstData?: number }).__sdaFirstData !== undefined, undefined, { timeout: 30_000 });
  return { page, errors };
}

/**
 * Screenshots `locator` to `<project root>/.cache/artifacts/<file>` (creating the directory), logs
 * "`tag`: screenshot <path>" and returns the path.
 */
export async function keepScreenshot(locator: Locator, file: string, tag: string): Promise<string> {
  const dir = path.join(projectRoot(), '.cache', 'artifacts');
  await mkdir(dir, { recursive: true });
  const shot = path.join(dir, file);
  await locator.screenshot({ path: shot });
  console.log(`${tag}: screenshot ${shot}`);
  return shot;
}
