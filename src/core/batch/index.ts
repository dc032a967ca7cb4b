/** The batch review: batch chain, corrections, signatures, completeness checklist and verdict. */
export * from "./types";
export * from "./chain";
export * from "./corrections";
export * from "./signatures";
export * from "./checklist";
export * from "./review";
export * from "./suggest";
export * from "./qa-review";
