import { parseArgs, type ParseArgsConfig } from "node:util";
import { didYouMean } from "./did-you-mean";
import { UsageError } from "./exit-codes";

/**
 * node:util's parseArgs, with a malformed command line (unknown option, missing value) as a UsageError; an unknown
 * option is named with the one it most likely meant.
 */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      throw new UsageError(unknownOption((error as Error).message, config));
    }
    throw new UsageError((error as Error).message);
  }
}

/**
 * Instead of Node's "Unknown option '--fromat'. To specify a positional argument starting with a '-', place it at the
 * end of the command after '--', as in '-- "--fromat"": the option, the one it most likely meant, and how to give a
 * file whose name starts with "-".
 */
function unknownOption(message: string, config: ParseArgsConfig): string {
  const option = /^Unknown option '([^']*)'/.exec(message)?.[1];
  if (option === undefined) return message;
  const known = Object.entries(config.options ?? {}).flatMap(([name, { short }]) =>
    short === undefined ? [`--${name}`] : [`--${name}`, `-${short}`],
  );
  const guess = didYouMean(option, known);
  const file = config.allowPositionals ? ` (a file named ${option} goes after --: -- ${option})` : "";
  return `unknown option ${option}${guess}${guess ? "" : file}`;
}
