// Raycast's own rules (what `ray lint` runs), for the extension as it builds alone from this folder.
const { defineConfig } = require("eslint/config");
const raycastConfig = require("@raycast/eslint-config");

module.exports = defineConfig([
  { ignores: ["node_modules/", "dist/", "raycast-env.d.ts"] },
  ...raycastConfig,
  // CommonJS scripts and this config.
  { files: ["**/*.js"], rules: { "@typescript-eslint/no-require-imports": "off" } },
]);
