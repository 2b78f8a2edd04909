// Codes of the dispatch optimiser: a battery that cannot exist, prices that cannot be optimised, no feasible
// schedule, a solver that failed. None is retriable: the same input fails the same way.
import { SdaError } from '../platform/errors.js';

export type DispatchErrorCode = 'ASSET_INVALID' | 'PRICES_INVALID' | 'DISPATCH_INFEASIBLE' | 'SOLVER_FAILED';

/** A dispatch input or solve that cannot succeed; `code` says which (the gateway answers 400 for each). */
export class DispatchError extends SdaError<DispatchErrorCode> {}
