// The default model a client chose (`verbatim models use`, Raycast's Switch Model), written to config.json's "model"
// so that it outlives a restart; the file's other settings and the person's formatting are left as they are.
import { setTopLevelMember } from "../config-file/json-member-edit";
import { editConfigFile } from "../config-file/config-file-edit";

export async function saveModelChoice(configFile: string, model: string): Promise<void> {
  await editConfigFile(configFile, (file) => ({
    text: file ? setTopLevelMember(file.text, "model", model) : JSON.stringify({ model }, null, 2) + "\n",
    result: undefined,
  }));
}
