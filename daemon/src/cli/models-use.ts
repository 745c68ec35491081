// `verbatim models use NAME`: the daemon's default model, what every job without --model runs on: loaded (downloaded
// first when needed, with progress) and saved as "model" in config.json, so that it is the model after a restart too.
import type { VerbatimPaths } from "../paths";
import { ensureDaemon } from "../daemon-control";
import { EXIT } from "./exit-codes";
import { ProgressBar } from "./progress-bar";

export async function useModel(model: string, paths: VerbatimPaths): Promise<number> {
  const client = await ensureDaemon(paths);
  const progress = new ProgressBar();
  try {
    await client.request({ type: "model.switch", model }, (event) => {
      if (event.type === "progress") progress.update(`${event.stage} ${model}`, event.fraction, event.detail);
      else if (event.type === "notice") {
        progress.clear();
        process.stderr.write(`verbatim: ${event.message}\n`);
      }
    });
  } finally {
    progress.clear();
    client.close();
  }
  process.stdout.write(`Jobs without --model now use ${model}.\n`);
  return EXIT.ok;
}
