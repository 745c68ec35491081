import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./exit-codes";

/** node:util's parseArgs, with a malformed command line (unknown option, missing value) as a UsageError. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
