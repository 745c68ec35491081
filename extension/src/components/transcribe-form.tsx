import { Action, ActionPanel, Form, useNavigation } from "@raycast/api";
import { preferences } from "../host";
import { TranscriptionDetail } from "./transcription-detail";

interface FormValues {
  files: string[];
  model: string;
  language: string;
}

/** Picks files (when Finder offers none) and per-run model and language overrides. */
export function TranscribeForm({ files }: { files?: string[] }) {
  const { push } = useNavigation();
  const defaults = preferences();
  return (
    <Form
      actions={
        <ActionPanel>
          <Action.SubmitForm
            title="Transcribe"
            onSubmit={(values: FormValues) =>
              push(
                <TranscriptionDetail
                  request={{ files: values.files, model: values.model, language: values.language }}
                />,
              )
            }
          />
        </ActionPanel>
      }
    >
      <Form.FilePicker
        id="files"
        title="Audio or Video Files"
        allowMultipleSelection
        canChooseDirectories={false}
        defaultValue={files}
      />
      <Form.TextField
        id="model"
        title="Model"
        placeholder="large-v3-turbo, base.en, a Hugging Face repo id or a folder"
        defaultValue={defaults.model ?? ""}
        info="Empty: the daemon's current model"
      />
      <Form.TextField
        id="language"
        title="Language"
        placeholder="auto, en, de, fr…"
        defaultValue={defaults.language ?? "auto"}
        info="A language code, or auto to detect it"
      />
    </Form>
  );
}
