// Codes of the dispatch optimiser and its backtests: a battery that cannot exist, prices that cannot be optimised, no
// feasible schedule, a solver that failed, a backtest period or model the data cannot support. None is retriable: the same input fails the same way.
import { SdaError } from '../platform/errors.js';

export type DispatchErrorCode = 'ASSET_INVALID' | 'PRICES_INVALID' | 'DISPATCH_INFEASIBLE' | 'SOLVER_FAILED' | 'BACKTEST_INVALID';

/** A dispatch input or solve that cannot succeed; `code` says which (the gateway answers 400 for each). */
export class DispatchError extends SdaError<DispatchErrorCode> {}
