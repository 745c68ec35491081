import { Action, ActionPanel, Form, Icon, useNavigation } from "@raycast/api";
import { useForm, usePromise } from "@raycast/utils";
import { preferences, withDaemon } from "../host";
import { LANGUAGES } from "../lib/languages";
import { choiceValue, modelChoices } from "../lib/model-choices";
import { SPEAKER_CHOICES, SPEAKERS_OFF } from "../lib/speaker-choices";
import { pickedFilesProblem } from "../lib/transcription";
import { TranscriptionDetail } from "./transcription-detail";

interface FormValues {
  files: string[];
  model: string;
  language: string;
  speakers: string;
}

/** Picks files (when Finder offers none, or to transcribe again) and per-run model and language overrides. */
export function TranscribeForm({ files }: { files?: string[] }) {
  const { push } = useNavigation();
  const defaults = preferences();
  const {
    data: cached,
    isLoading,
    error,
  } = usePromise(() => withDaemon((client) => client.listModels()), [], {
    // The catalog is offered all the same; the dropdown's info says why the downloaded models are missing.
    onError: () => undefined,
  });
  const choices = modelChoices(cached ?? [], defaults.model);
  const { handleSubmit, itemProps } = useForm<FormValues>({
    initialValues: {
      files: files ?? [],
      model: choiceValue(defaults.model),
      language: defaults.language ?? "auto",
      speakers: SPEAKERS_OFF,
    },
    validation: { files: pickedFilesProblem },
    onSubmit: (values) => {
      const { files: picked, model, language, speakers } = values;
      push(<TranscriptionDetail request={{ files: picked, model, language, speakers }} />);
    },
  });
  return (
    <Form
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
      <Form.Dropdown
        title="Model"
        isLoading={isLoading}
        info={
          error
            ? `The daemon did not list its downloaded models (${error.message}); a catalog model is downloaded the first time it is used.`
            : "A model not downloaded yet is downloaded the first time it is used"
        }
        {...itemProps.model}
      >
        <Form.Dropdown.Section title="Ready">
          {choices.ready.map((choice) => (
            <Form.Dropdown.Item key={choice.value} value={choice.value} title={choice.title} />
          ))}
        </Form.Dropdown.Section>
        <Form.Dropdown.Section title="Downloaded on First Use">
          {choices.toDownload.map((choice) => (
            <Form.Dropdown.Item key={choice.value} value={choice.value} title={choice.title} />
          ))}
        </Form.Dropdown.Section>
      </Form.Dropdown>
      <Form.Dropdown title="Language" info="The spoken language, or Detect Automatically" {...itemProps.language}>
        {LANGUAGES.map((language) => (
          <Form.Dropdown.Item key={language.value} value={language.value} title={language.title} />
        ))}
      </Form.Dropdown>
      <Form.Dropdown
        title="Speakers"
        info="Tell who said what: each turn on a line of its own, named Speaker 1, Speaker 2, … (the speaker model is downloaded the first time)"
        {...itemProps.speakers}
      >
        {SPEAKER_CHOICES.map((choice) => (
          <Form.Dropdown.Item key={choice.value} value={choice.value} title={choice.title} />
        ))}
      </Form.Dropdown>
    </Form>
  );
}
