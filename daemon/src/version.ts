// The daemon's version, from its package manifest.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json sits outside rootDir
export const VERSION: string = require("../package.json").version;
