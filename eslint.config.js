// TypeScript and Prettier rules for the repository; the extension lints with its own config (Raycast's rules), as
// it builds alone from its folder (`npm run lint --workspace extension`).
const js = require("@eslint/js");
const typescript = require("typescript-eslint");
const prettier = require("eslint-config-prettier/flat");
const globals = require("globals");

const onlyFor = (files) => (config) => ({ ...config, files });
const nodeFiles = ["{native,daemon,launchd,test}/**/*.{ts,js,mjs,cjs}", "*.js"];

module.exports = [
  {
    ignores: ["**/node_modules/**", "**/dist/**", "native/build*/**", "extension/**", "test/reference/.venv-*/**"],
  },
  ...[js.configs.recommended, ...typescript.configs.recommended, prettier].map(onlyFor(nodeFiles)),
  { files: nodeFiles, languageOptions: { ecmaVersion: 2022, globals: globals.node } },
  // The daemon's folders point one way, a lower one never reaching up: server/ (the daemon that composes everything)
  // over api/ and dictation/, over service/ (config, the warm model, jobs), over families/ (each model family's side),
  // over modes/ and vocabulary/, over config-file/ (reading and editing config.json); cli/ over mcp/ and capture/,
  // which share daemon-control.ts; speakers/ (words to speakers, turns) under all that use it.
  ...Object.entries({
    api: ["server", "cli"],
    dictation: ["server", "api", "cli"],
    service: ["server", "api", "dictation", "cli", "mcp", "capture"],
    families: ["server", "api", "dictation", "service", "cli", "mcp", "capture"],
    modes: ["server", "api", "dictation", "service", "families", "cli"],
    vocabulary: ["server", "api", "dictation", "service", "families", "cli"],
    "config-file": ["server", "api", "dictation", "service", "families", "modes", "vocabulary", "cli"],
    capture: ["cli"],
    mcp: ["cli"],
    speakers: ["server", "api", "dictation", "service", "families", "history", "cli", "mcp", "capture"],
  }).map(([folder, above]) => ({
    files: [`daemon/src/${folder}/**/*.ts`],
    rules: { "no-restricted-imports": ["error", { patterns: above.map((upper) => `../${upper}/*`) }] },
  })),
  // What runs before the Node check, or is the check: ES5, so that an old Node can run it and say what it needs.
  {
    files: ["daemon/bin/*.js", "native/scripts/node-floor.cjs"],
    languageOptions: { ecmaVersion: 5, sourceType: "script" },
    rules: { "no-var": "off" },
  },
  // CommonJS entry points and configs.
  {
    files: ["*.js", "daemon/bin/*.js", "native/scripts/node-floor.cjs", "test/support/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
];
