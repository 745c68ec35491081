// What to show when the daemon cannot be reached: numbered steps to set Verbatim up, never a stack trace.

/** `problem`: what went wrong, in a sentence (such as a DaemonUnreachableError's message). */
export function setupStepsMarkdown(problem: string): string {
  return `# Verbatim Is Not Running

${problem.replace(/\.?$/, ".")}

1. Get Verbatim: \`git clone\` its repository, then run \`npm install\` in that folder (it builds the engine and the \`verbatim\` command).
2. In the same folder, run \`npx verbatim daemon install\`: the daemon starts now and at every login.
3. Check that it answers: \`npx verbatim status\` shows the model, and "ready" once the model has loaded.
4. Come back here and run the command again.

If the daemon listens on another socket, set **Socket Path** in the extension's preferences. The daemon's logs are in \`~/Library/Logs/Verbatim/\`.
`;
}
