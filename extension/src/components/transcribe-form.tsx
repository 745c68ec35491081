import { Action, ActionPanel, Form, Icon, useNavigation } from "@raycast/api";
import { useForm } from "@raycast/utils";
import { preferences } from "../host";
import { LANGUAGES } from "../lib/languages";
import { pickedFilesProblem } from "../lib/transcription";
import { TranscriptionDetail } from "./transcription-detail";

interface FormValues {
  files: string[];
  model: string;
  language: string;
}

/** Picks files (when Finder offers none, or to transcribe again) and per-run model and language overrides. */
export function TranscribeForm({ files }: { files?: string[] }) {
  const { push } = useNavigation();
  const defaults = preferences();
  const { handleSubmit, itemProps } = useForm<FormValues>({
    initialValues: { files: files ?? [], model: defaults.model ?? "", language: defaults.language ?? "auto" },
    validation: { files: pickedFilesProblem },
    onSubmit: (values) => {
      push(<TranscriptionDetail request={{ files: values.files, model: values.model, language: values.language }} />);
    },
  });
  return (
    <Form
      navigationTitle={files ? "Transcribe Again" : "Transcribe Files"}
      actions={
        <ActionPanel>
          <Action.SubmitForm title="Transcribe" icon={Icon.Waveform} onSubmit={handleSubmit} />
        </ActionPanel>
      }
    >
      <Form.FilePicker
        title="Audio or Video Files"
        allowMultipleSelection
        canChooseDirectories={false}
        {...itemProps.files}
      />
      <Form.TextField
        title="Model"
        placeholder="large-v3-turbo, base.en, a Hugging Face repo id or a folder"
        info="Empty: the daemon's current model"
        {...itemProps.model}
      />
      <Form.Dropdown title="Language" info="The spoken language, or Detect Automatically" {...itemProps.language}>
        {LANGUAGES.map((language) => (
          <Form.Dropdown.Item key={language.value} value={language.value} title={language.title} />
        ))}
      </Form.Dropdown>
    </Form>
  );
}
