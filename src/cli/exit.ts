/** The exit codes live in one table, the core's (src/core/exit-codes.ts); the CLI uses it from here. */
export { EXIT, ExitCode } from "../core/exit-codes";

/** An error that ends the CLI with a given exit code and message. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}
