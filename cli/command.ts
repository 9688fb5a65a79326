/** One `dcmx` subcommand. `run` returns the process exit code; it prints its own output. */
export interface Command {
  name: string;
  /** One line for `dcmx --help`. */
  summary: string;
  /** Full usage text for `dcmx <name> --help`. */
  usage: string;
  run(args: string[]): Promise<number>;
}
