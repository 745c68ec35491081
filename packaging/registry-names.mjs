// Verbatim's names on the npm registry. The repository's workspaces keep their own (@verbatim/native, @verbatim/daemon,
// @verbatim/launchd), which the code imports; a published manifest names an engine package through an npm alias
// ("@verbatim/native": "npm:@verbatim-dictation/native@0.2.0"), so npm installs it in the folder of its workspace name
// and the code, and native/lib/prebuilt.ts's lookup of @verbatim/native-<platform>, work unchanged.

/** The package users install (`npm install -g verbatim-dictation`); its commands are verbatim and verbatimd. */
export const MAIN_PACKAGE = "verbatim-dictation";

/** The npm organization the engine's packages are published under: its loader and one package per platform. */
export const SCOPE = "@verbatim-dictation";

const WORKSPACE_SCOPE = "@verbatim/";

/** The registry's name of a workspace package: @verbatim/native-linux-x64-gnu is @verbatim-dictation/native-linux-x64-gnu. */
export function publishedName(workspaceName) {
  if (!workspaceName.startsWith(WORKSPACE_SCOPE))
    throw new Error(`${workspaceName} is not a @verbatim/ workspace name`);
  return `${SCOPE}/${workspaceName.slice(WORKSPACE_SCOPE.length)}`;
}

/** A published manifest's dependency on a workspace package: an npm alias of its registry name, at `version`. */
export const aliasOf = (workspaceName, version) => `npm:${publishedName(workspaceName)}@${version}`;
