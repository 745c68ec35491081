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
  // The daemon's layers point one way: server/ (the socket server and the daemon that composes everything) uses
  // dictation/, which uses service/ (config, the engine host, jobs): nothing below reaches up.
  {
    files: ["daemon/src/service/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: ["../dictation/*", "../server/*"] }] },
  },
  {
    files: ["daemon/src/dictation/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: ["../server/*"] }] },
  },
  // CommonJS entry points and configs.
  {
    files: ["*.js", "daemon/bin/*.js", "test/support/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
];
