// Raycast's own rules for the extension; the same TypeScript and Prettier rules, without Raycast's, elsewhere.
const raycast = require("@raycast/eslint-config");
const js = require("@eslint/js");
const typescript = require("typescript-eslint");
const prettier = require("eslint-config-prettier/flat");
const globals = require("globals");

const onlyFor = (files) => (config) => ({ ...config, files });
const extensionFiles = ["extension/**/*.{ts,tsx}"];
const nodeFiles = ["{native,daemon,launchd,test}/**/*.{ts,js,mjs,cjs}", "*.js"];

module.exports = [
  {
    ignores: ["**/node_modules/**", "**/dist/**", "native/build*/**", "extension/raycast-env.d.ts"],
  },
  ...raycast.map(onlyFor(extensionFiles)),
  ...[js.configs.recommended, ...typescript.configs.recommended, prettier].map(onlyFor(nodeFiles)),
  { files: nodeFiles, languageOptions: { ecmaVersion: 2022, globals: globals.node } },
  // CommonJS entry points and configs.
  {
    files: ["*.js", "daemon/bin/*.js", "test/support/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
];
