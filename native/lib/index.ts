// Typed entry point to the native engine addon.
import path from "node:path";

export interface BuildInfo {
  /** The BLAS library the portable CPU backend uses ("Accelerate" or "OpenBLAS"). */
  blas: string;
  /** Engine backends compiled into this build. */
  backends: string[];
}

interface Addon {
  buildInfo(): BuildInfo;
}

const addonPath = path.join(__dirname, "..", "build", "Release", "verbatim.node");

function loadAddon(): Addon {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon loads only through require
    return require(addonPath) as Addon;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Verbatim's native engine is not built (${reason}). Run \`npm install\` in the Verbatim folder to build it.`,
    );
  }
}

const addon = loadAddon();

export function buildInfo(): BuildInfo {
  return addon.buildInfo();
}
