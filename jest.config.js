/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  transform: { "^.+\\.tsx?$": ["ts-jest", { tsconfig: "tsconfig.test.json" }] },
  testMatch: ["<rootDir>/{native,launchd,daemon,extension,test}/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "/dist/"],
  // dist/stage holds the release packages' manifests (npm run package), which would collide with the workspaces'.
  modulePathIgnorePatterns: ["<rootDir>/dist/"],
};
