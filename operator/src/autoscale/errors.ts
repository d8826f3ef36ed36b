// Errors of the formula language. Codes follow Azure Batch where it publishes them
// (AutoScalingFormulaSyntaxError, AutoScaleFormulaTooLong, InsufficientSampleData);
// AutoScalingFormulaEvaluationError is kubatch's name for the other runtime failures.

export const ErrorCode = {
  syntax: "AutoScalingFormulaSyntaxError",
  tooLong: "AutoScaleFormulaTooLong",
  insufficientSampleData: "InsufficientSampleData",
  evaluation: "AutoScalingFormulaEvaluationError",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const GENERAL_MESSAGE: Record<ErrorCode, string> = {
  AutoScalingFormulaSyntaxError: "The specified autoscale formula has a syntax error",
  AutoScaleFormulaTooLong: "The specified autoscale formula exceeds the length limit",
  InsufficientSampleData: "Autoscale evaluation failed due to insufficient sample data",
  AutoScalingFormulaEvaluationError: "Autoscale evaluation failed",
};

/** A 1-based position in the formula text (offset is 0-based, for tools that highlight). */
export interface Position {
  line: number;
  column: number;
  offset: number;
}

/** What evaluateFormula and checkFormula report: Azure's {code, message, values} shape plus the position. */
export interface AutoScaleError {
  code: ErrorCode;
  /** Azure's general message for the code, e.g. "Autoscale evaluation failed due to insufficient sample data". */
  message: string;
  line: number;
  column: number;
  /** The specific problem, without the position prefix. */
  detail: string;
  /** As in Azure's autoScaleRun.error: [{name: "Message", value: "Line L, Col C: <detail>"}]. */
  values: { name: string; value: string }[];
}

export class FormulaError extends Error {
  readonly code: ErrorCode;
  readonly position: Position;
  readonly detail: string;

  constructor(code: ErrorCode, position: Position, detail: string) {
    super(`Line ${position.line}, Col ${position.column}: ${detail}`);
    this.name = "FormulaError";
    this.code = code;
    this.position = position;
    this.detail = detail;
  }

  toAutoScaleError(): AutoScaleError {
    return {
      code: this.code,
      message: GENERAL_MESSAGE[this.code],
      line: this.position.line,
      column: this.position.column,
      detail: this.detail,
      values: [{ name: "Message", value: this.message }],
    };
  }
}

export const syntaxError = (position: Position, detail: string) => new FormulaError(ErrorCode.syntax, position, detail);
export const evaluationError = (position: Position, detail: string) => new FormulaError(ErrorCode.evaluation, position, detail);
