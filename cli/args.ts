import { type ParseArgsConfig, parseArgs } from "node:util";
import { InputError } from "../pipeline/errors.js";

/** `parseArgs` whose mistakes come back as an InputError pointing at the command's --help. */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>>(
  command: string,
  args: string[],
  options: O,
) {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options });
  } catch (error) {
    throw new InputError("USAGE", (error as Error).message, {
      field: "arguments",
      hint: `see dcmx ${command} --help`,
    });
  }
}
