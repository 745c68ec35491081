// Runs a command on a pseudo-terminal (python3's pty module), as a person at a terminal runs it: its standard input
// is a TTY. When `prompt` appears in its output, `answer` and Enter are typed. Output is stdout and stderr together.
import { execFile } from "node:child_process";

const DRIVER = `
import os, pty, select, sys
prompt, answer, argv = sys.argv[1].encode(), sys.argv[2].encode(), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
output, answered = b"", False
while True:
    ready, _, _ = select.select([fd], [], [], 60)
    if not ready:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    output += data
    if not answered and prompt in output:
        os.write(fd, answer + b"\\n")
        answered = True
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(output)
sys.exit(os.waitstatus_to_exitcode(status))
`;

export function onTerminal(
  command: string[],
  env: NodeJS.ProcessEnv,
  prompt: string,
  answer: string,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) =>
    execFile("python3", ["-c", DRIVER, prompt, answer, ...command], { env }, (error, stdout) =>
      resolve({ code: error ? Number(error.code) : 0, output: plain(stdout) }),
    ),
  );
}

/** What a person reads: without the terminal's control sequences (cursor moves, erasing) and carriage returns. */
function plain(output: string): string {
  // eslint-disable-next-line no-control-regex
  return output.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r+\n/g, "\n");
}
