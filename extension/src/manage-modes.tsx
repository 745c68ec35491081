import {
  Action,
  ActionPanel,
  Alert,
  confirmAlert,
  Form,
  getApplications,
  getFrontmostApplication,
  Icon,
  Keyboard,
  List,
  showToast,
  Toast,
  useNavigation,
} from "@raycast/api";
import { showFailureToast, useCachedPromise, usePromise } from "@raycast/utils";
import { useState } from "react";
import { toastUnlessSetup } from "./components/daemon-failures";
import { SetupView } from "./components/setup-view";
import { DELETE_SHORTCUT } from "./components/shortcuts";
import { StateActions } from "./components/state-actions";
import { canUseRaycastAI, withDaemon } from "./host";
import { setupProblemOf } from "./lib/daemon-setup";
import { LANGUAGES } from "./lib/languages";
import { modelChoices } from "./lib/model-choices";
import {
  addMode,
  DELIVERY_TITLES,
  editMode,
  ENGINE_TITLES,
  loadModes,
  modeChanges,
  modeFormProblem,
  modeFormValues,
  modeFromForm,
  RAYCAST_AI_UNAVAILABLE,
  removeMode,
  SELECTION_TITLES,
  whereTextGoes,
  type DictationMode,
  type ModeFormField,
  type ModeFormValues,
  type ModesData,
} from "./lib/modes";
import { loadFailure } from "./lib/state-actions";
import { escapeMarkdown } from "./lib/transcript-view";
import { DEFAULT_FINISHING_ENDPOINT } from "./verbatimd/protocol";

type Save = (send: () => Promise<ModesData>, done: string) => Promise<boolean>;

export default function Command() {
  const { data, isLoading, error, mutate, revalidate } = useCachedPromise(() => withDaemon(loadModes), [], {
    onError: toastUnlessSetup("Cannot Load the Modes"),
  });
  const problem = error ? setupProblemOf(error) : null;
  if (problem) return <SetupView problem={problem} onRetry={revalidate} />;

  const save: Save = async (send, done) => {
    try {
      await mutate(send());
      await showToast({ style: Toast.Style.Success, title: done });
      return true;
    } catch (failure) {
      await showFailureToast(failure, { title: "Not Saved" });
      return false;
    }
  };
  const names = data?.modes.map((mode) => mode.name) ?? [];
  const addAction = (
    <Action.Push
      title="Add Mode"
      icon={Icon.Plus}
      shortcut={Keyboard.Shortcut.Common.New}
      target={<ModeForm save={save} otherNames={names} />}
    />
  );
  const remove = async (mode: DictationMode) => {
    const confirmed = await confirmAlert({
      title: `Delete the Mode ${mode.name}?`,
      message: mode.apps.length > 0 ? "Its apps get the default mode." : undefined,
      primaryAction: { title: "Delete", style: Alert.ActionStyle.Destructive },
    });
    if (confirmed) await save(() => withDaemon((client) => removeMode(client, mode.name)), `Deleted ${mode.name}`);
  };

  return (
    <List isLoading={isLoading} isShowingDetail={(data?.modes.length ?? 0) > 0} searchBarPlaceholder="Search modes">
      {error && !isLoading ? (
        <List.EmptyView
          icon={Icon.Warning}
          {...loadFailure("the Modes", error)}
          actions={
            <ActionPanel>
              <StateActions state="vocabulary-failed" handlers={{ "try-again": revalidate }} />
            </ActionPanel>
          }
        />
      ) : (
        <List.EmptyView
          icon={Icon.AppWindowGrid3x3}
          title="No Modes"
          actions={<ActionPanel>{addAction}</ActionPanel>}
        />
      )}
      {data?.problems.length ? (
        <List.Section title="Not Used">
          {data.problems.map((line) => (
            <List.Item
              key={line}
              icon={Icon.Warning}
              title={line}
              detail={<List.Item.Detail markdown={escapeMarkdown(line)} />}
            />
          ))}
        </List.Section>
      ) : null}
      {data?.modes.map((mode) => (
        <List.Item
          key={mode.name}
          title={mode.name}
          subtitle={ENGINE_TITLES[mode.finishing]}
          accessories={mode.name.toLowerCase() === data.defaultMode.toLowerCase() ? [{ tag: "Default" }] : []}
          detail={<ModeDetail mode={mode} />}
          actions={
            <ActionPanel>
              <Action.Push
                title="Edit Mode"
                icon={Icon.Pencil}
                target={<ModeForm save={save} otherNames={names.filter((name) => name !== mode.name)} editing={mode} />}
              />
              {addAction}
              <Action
                title="Delete Mode"
                icon={Icon.Trash}
                style={Action.Style.Destructive}
                shortcut={DELETE_SHORTCUT}
                onAction={() => remove(mode)}
              />
            </ActionPanel>
          }
        />
      ))}
    </List>
  );
}

function ModeDetail({ mode }: { mode: DictationMode }) {
  const instruction = mode.finishing !== "none" && mode.instruction ? `\n\n${escapeMarkdown(mode.instruction)}` : "";
  return (
    <List.Item.Detail
      markdown={`**${escapeMarkdown(whereTextGoes(mode))}**${instruction}`}
      metadata={
        <List.Item.Detail.Metadata>
          <List.Item.Detail.Metadata.Label title="Finishing" text={ENGINE_TITLES[mode.finishing]} />
          {mode.finishing === "local" ? (
            <List.Item.Detail.Metadata.Label
              title="Local Model"
              text={`${mode.modelName ?? ""} at ${mode.endpoint ?? DEFAULT_FINISHING_ENDPOINT}`}
            />
          ) : null}
          <List.Item.Detail.Metadata.Label title="Text" text={DELIVERY_TITLES[mode.deliver]} />
          <List.Item.Detail.Metadata.Label title="Selected Text" text={SELECTION_TITLES[mode.selection ?? "off"]} />
          <List.Item.Detail.Metadata.Label title="Model" text={mode.model ?? "The daemon's"} />
          <List.Item.Detail.Metadata.Label title="Language" text={mode.language ?? "The daemon's"} />
          <List.Item.Detail.Metadata.TagList title="Apps">
            {mode.apps.length === 0 ? (
              <List.Item.Detail.Metadata.TagList.Item text="None" />
            ) : (
              mode.apps.map((app) => <List.Item.Detail.Metadata.TagList.Item key={app} text={app} />)
            )}
          </List.Item.Detail.Metadata.TagList>
        </List.Item.Detail.Metadata>
      }
    />
  );
}

/** The apps to pick from: the installed apps with a bundle id, the frontmost first, and those the mode lists already. */
async function appChoices(listed: readonly string[]): Promise<{ id: string; title: string }[]> {
  const [installed, front] = await Promise.all([
    getApplications().catch(() => []),
    getFrontmostApplication().catch(() => null),
  ]);
  const choices = new Map<string, string>();
  if (front?.bundleId) choices.set(front.bundleId, `${front.name} (frontmost)`);
  for (const app of installed) if (app.bundleId && !choices.has(app.bundleId)) choices.set(app.bundleId, app.name);
  for (const id of listed) if (!choices.has(id)) choices.set(id, id);
  return [...choices].map(([id, title]) => ({ id, title }));
}

function ModeForm({ save, otherNames, editing }: { save: Save; otherNames: string[]; editing?: DictationMode }) {
  const { pop } = useNavigation();
  const raycastAI = canUseRaycastAI();
  const [values, setValues] = useState<ModeFormValues>(modeFormValues(editing));
  const [problem, setProblem] = useState<{ field: ModeFormField; message: string } | null>(null);
  const { data: apps, isLoading: appsLoading } = usePromise(appChoices, [editing?.apps ?? []]);
  const { data: cached, isLoading: modelsLoading } = usePromise(() => withDaemon((client) => client.listModels()), [], {
    onError: () => undefined,
  });
  const models = modelChoices(cached ?? [], values.model);
  const set = (field: ModeFormField) => (value: string | string[]) => {
    setValues((current) => ({ ...current, [field]: value }));
    if (problem?.field === field) setProblem(null);
  };
  const error = (field: ModeFormField) => (problem?.field === field ? problem.message : undefined);

  const submit = async () => {
    const found = modeFormProblem(values, { otherNames, raycastAI });
    setProblem(found);
    if (found) return;
    const mode = modeFromForm(values);
    const saved = editing
      ? await save(
          () => withDaemon((client) => editMode(client, editing.name, modeChanges(editing, mode))),
          `Saved ${editing.name}`,
        )
      : await save(() => withDaemon((client) => addMode(client, mode)), `Added ${mode.name}`);
    if (saved) pop();
  };

  return (
    <Form
      navigationTitle={editing ? `Edit ${editing.name}` : "Add Mode"}
      isLoading={appsLoading || modelsLoading}
      actions={
        <ActionPanel>
          <Action.SubmitForm title={editing ? "Save Mode" : "Add Mode"} icon={Icon.Check} onSubmit={submit} />
        </ActionPanel>
      }
    >
      {editing ? (
        <Form.Description title="Name" text={editing.name} />
      ) : (
        <Form.TextField
          id="name"
          title="Name"
          placeholder="Slack"
          value={values.name}
          error={error("name")}
          onChange={set("name")}
        />
      )}
      <Form.TagPicker
        id="apps"
        title="Apps"
        info="Dictations started in these apps use this mode (the first mode that lists the app)"
        value={values.apps}
        error={error("apps")}
        onChange={set("apps")}
      >
        {(apps ?? values.apps.map((id) => ({ id, title: id }))).map((app) => (
          <Form.TagPicker.Item key={app.id} value={app.id} title={app.title} />
        ))}
      </Form.TagPicker>
      <Form.Dropdown id="model" title="Model" value={values.model} error={error("model")} onChange={set("model")}>
        <Form.Dropdown.Section title="Ready">
          {models.ready.map((choice) => (
            <Form.Dropdown.Item key={choice.value} value={choice.value} title={choice.title} />
          ))}
        </Form.Dropdown.Section>
        <Form.Dropdown.Section title="Downloaded on First Use">
          {models.toDownload.map((choice) => (
            <Form.Dropdown.Item key={choice.value} value={choice.value} title={choice.title} />
          ))}
        </Form.Dropdown.Section>
      </Form.Dropdown>
      <Form.Dropdown
        id="language"
        title="Language"
        value={values.language}
        error={error("language")}
        onChange={set("language")}
      >
        {LANGUAGES.map((language) => (
          <Form.Dropdown.Item key={language.value} value={language.value} title={language.title} />
        ))}
      </Form.Dropdown>
      <Form.Separator />
      <Form.Dropdown
        id="finishing"
        title="Finishing"
        info={
          "Raycast AI is Raycast's cloud service: the text leaves your Mac. A local model (Ollama, LM Studio, " +
          "llama.cpp's server) keeps it on your Mac, unless its endpoint is another host" +
          (raycastAI ? "" : `. ${RAYCAST_AI_UNAVAILABLE}`)
        }
        value={values.finishing}
        error={error("finishing")}
        onChange={set("finishing")}
      >
        <Form.Dropdown.Item value="none" title="None: Paste What Was Said" />
        <Form.Dropdown.Item
          value="raycast"
          title={raycastAI ? "Raycast AI (Cloud)" : "Raycast AI (Not Available: Needs Raycast Pro)"}
          icon={raycastAI ? Icon.Stars : Icon.Lock}
        />
        <Form.Dropdown.Item value="local" title="Local Model" icon={Icon.ComputerChip} />
      </Form.Dropdown>
      {values.finishing !== "none" ? (
        <Form.TextArea
          id="instruction"
          title="Instruction"
          placeholder="Make it a short chat message: casual punctuation, no greeting"
          info="What finishing makes of the text. The transcript is always given as text to rewrite, never as instructions"
          value={values.instruction}
          error={error("instruction")}
          onChange={set("instruction")}
        />
      ) : null}
      {values.finishing === "local" ? (
        <>
          <Form.TextField
            id="endpoint"
            title="Endpoint"
            placeholder={DEFAULT_FINISHING_ENDPOINT}
            info="An OpenAI-compatible API. Empty: Ollama on this Mac. Another host than this Mac receives the text"
            value={values.endpoint}
            error={error("endpoint")}
            onChange={set("endpoint")}
          />
          <Form.TextField
            id="modelName"
            title="Model Name"
            placeholder="llama3.2"
            value={values.modelName}
            error={error("modelName")}
            onChange={set("modelName")}
          />
        </>
      ) : null}
      <Form.Dropdown
        id="selection"
        title="Selected Text"
        info={
          "Off by default. Use as Context: when a dictation starts, the text selected in the app is read and its " +
          "names and rarer words are expected in what you say (up to 20, for this dictation only; on this Mac). " +
          "Edit by Voice: what you say is an instruction, and the finishing engine edits the selected text with it; " +
          "the result replaces the selection, and Paste Spoken Text puts the original back"
        }
        value={values.selection}
        error={error("selection")}
        onChange={set("selection")}
      >
        {Object.entries(SELECTION_TITLES).map(([value, title]) => (
          <Form.Dropdown.Item key={value} value={value} title={title} />
        ))}
      </Form.Dropdown>
      {values.finishing !== "none" || values.selection !== "off" ? (
        <Form.Description text={whereTextGoesSafely(values)} />
      ) : null}
      <Form.Dropdown
        id="deliver"
        title="Text"
        value={values.deliver}
        error={error("deliver")}
        onChange={set("deliver")}
      >
        {Object.entries(DELIVERY_TITLES).map(([value, title]) => (
          <Form.Dropdown.Item key={value} value={value} title={title} />
        ))}
      </Form.Dropdown>
    </Form>
  );
}

function whereTextGoesSafely(values: ModeFormValues): string {
  return whereTextGoes(modeFromForm(values));
}
