// The autoscale formula language of Azure Batch: parse, check and evaluate (pure, no I/O).
export { checkFormula, evaluateFormula } from "./evaluate.ts";
export type { CheckResult, EvaluationFailure, EvaluationResult, EvaluationSuccess, FormulaInputs, FormulaVariable } from "./evaluate.ts";
export { ErrorCode, FormulaError } from "./errors.ts";
export type { AutoScaleError, Position } from "./errors.ts";
export { parseFormula, MAX_FORMULA_LENGTH, MAX_STATEMENTS } from "./parser.ts";
export { printExpr } from "./ast.ts";
export type { Program, Statement, Expr } from "./ast.ts";
export { SAMPLED_VARIABLES, DEALLOCATION_OPTIONS } from "./names.ts";
export type { SampledVariable, DeallocationOption } from "./names.ts";
export { DEFAULT_SAMPLE_PERIOD_SECONDS, DEFAULT_SAMPLE_PERCENT } from "./samples.ts";
export { parseTime } from "./time-parse.ts";
export type { Sample } from "./samples.ts";
