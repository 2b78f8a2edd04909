// `sda demo`'s promotion rule for the model it trains (step 6): the demo promotes a model that beats both baselines
// on its hold-out, or any model when the registry has no `current` yet (the forecaster needs one to serve); a model
// that loses to naive last hour or ridge while another version is current is registered but not promoted, and the
// demo says so. Before, the demo promoted every model it trained, so a second run could silently replace a better
// model with one that loses to its baseline.

// A model identical to the current one (model/registry.ts sameModel: same ONNX bytes, same metadata apart from
// version, creation time, commit and epoch timings; a second run on the same data with the same seed) is neither
// registered again nor promoted (model/train.ts keepIdenticalCurrent): promoting it changed nothing served yet made
// the demo re-forecast the last 7 days with the "new" model (a fresh-clone tester's finding). Step 7 still rewinds when
// the stored forecasts are another version's (say `current` was set back by hand since they were issued): the forecasts
// shown must come from the kept current model, so the line below does not say "nothing to re-forecast".

/**
 * The demo's line for a trained model identical to the current `current` (TrainResult.sameAsCurrent): kept, not
 * registered again; step 7 forecasts with it, and again over the recent windows only when the stored forecasts are
 * another version's (cli/demo-reforecast.ts, whose lines follow). Throws RangeError when `current` is empty.
 */
export function sameModelLine(current: string): string {
  if (!current) throw new RangeError('sameModelLine: current must be a non-empty version name');
  return `same model as the current ${current}: kept the current one (the identical new one was not registered again); the forecaster serves it, re-forecasting the recent windows only if the stored forecasts are another version's`;
}

/** What the demo does with a model it trained: promote it or not, and the line that says why. */
export interface DemoPromotion {
  promote: boolean;
  line: string;
}

/**
 * Decide whether a trained model is promoted: the rule of `sda demo` (step 6) and of `sda train` (its default
 * `--promote if-better`, cli/train.ts trainPromotion).
 * @param version the registered version just trained
 * @param metrics its overall hold-out scores as model/evaluate.ts metricsRecord writes them: rmse (the model),
 *   rmse_naive_last, rmse_ridge, in the target's unit (USD/MWh for prices)
 * @param current the version `current` names now (model/registry.ts readCurrent), null when none
 * @param promoteCommand the command the line gives to serve a model kept out (default `./sda train promote VERSION`)
 * @returns promote: true when there is no current, or the model's RMSE is below both baselines' (strictly, the
 *   comparison model/evaluate.ts summaryLine prints as "beats"); a score that is missing or not finite counts as losing
 * @throws RangeError when version is empty
 */
export function demoPromotion(version: string, metrics: Readonly<Record<string, number>>, current: string | null, promoteCommand = `./sda train promote ${version}`): DemoPromotion {
  if (!version) throw new RangeError('demoPromotion: version must be a non-empty version name');
  const { lost, rmseText } = baselinesNotBeaten(metrics);
  if (lost.length === 0) return { promote: true, line: `model ${version} beats naive last hour and ridge on the hold-out: promoted` };
  if (current === null || current === version) {
    return { promote: true, line: `model ${version} (hold-out RMSE ${rmseText}) does not beat ${lost.join(' and ')}, but no other model is current: promoted so the forecaster has one to serve` };
  }
  return {
    promote: false,
    line: `model ${version} (hold-out RMSE ${rmseText}) does not beat ${lost.join(' and ')}: NOT promoted; current stays ${current} (to serve the new one anyway: ${promoteCommand})`,
  };
}

/**
 * The baselines a model's overall hold-out RMSE does not beat (strictly below), as printed phrases, e.g.
 * "ridge (11.08)": naive last hour and ridge, from metrics as model/evaluate.ts metricsRecord writes them (rmse,
 * rmse_naive_last, rmse_ridge, target unit); a missing or non-finite score counts as not beaten ("no finite hold-out
 * RMSE" for the model's own). Empty when the model beats both. rmseText: the model's RMSE to 2 decimals, or "-".
 */
export function baselinesNotBeaten(metrics: Readonly<Record<string, number>> | undefined): { lost: string[]; rmseText: string } {
  const { rmse, rmse_naive_last: naive, rmse_ridge: ridge } = metrics ?? {};
  const finite = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
  const lost: string[] = [];
  if (!finite(rmse)) lost.push('no finite hold-out RMSE');
  else {
    if (!finite(naive) || !(rmse < naive)) lost.push(`naive last hour (${finite(naive) ? naive.toFixed(2) : '-'})`);
    if (!finite(ridge) || !(rmse < ridge)) lost.push(`ridge (${finite(ridge) ? ridge.toFixed(2) : '-'})`);
  }
  return { lost, rmseText: finite(rmse) ? rmse.toFixed(2) : '-' };
}
