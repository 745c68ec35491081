import {
  Action,
  ActionPanel,
  Alert,
  confirmAlert,
  Form,
  Icon,
  Keyboard,
  List,
  showToast,
  Toast,
  useNavigation,
} from "@raycast/api";
import { showFailureToast, useCachedPromise, useForm } from "@raycast/utils";
import { toastUnlessSetup } from "./components/daemon-failures";
import { SetupView } from "./components/setup-view";
import { COPY_SHORTCUT, DELETE_SHORTCUT } from "./components/shortcuts";
import { StateActions } from "./components/state-actions";
import { withDaemon } from "./host";
import type { DaemonClient } from "./lib/daemon-connection";
import { setupProblemOf } from "./lib/daemon-setup";
import { loadFailure } from "./lib/state-actions";
import {
  CASE_RULE_TITLES,
  deleteReplacement,
  deleteTerm,
  boostStrengthOf,
  boostStrengthProblem,
  loadVocabulary,
  replacedProblem,
  replacementTextProblem,
  saveBoostStrength,
  saveReplacement,
  saveTerm,
  termProblem,
  vocabularyList,
  withBoostStrength,
  withReplacementDeleted,
  withReplacementSaved,
  withTermDeleted,
  withTermSaved,
  type ReplacementCase,
  type VocabularyData,
  type VocabularyReplacement,
  type VocabularyRow,
} from "./lib/vocabulary";

/** One edit: the daemon request, and the vocabulary it is expected to give (shown while the request runs). */
interface Edit {
  send(client: DaemonClient): Promise<VocabularyData>;
  expected(data: VocabularyData): VocabularyData;
  /** The toast once it is saved. */
  done: string;
}

/** Applies an edit: the list shows it at once; a refusal puts the list back, with a toast saying why. */
type Apply = (edit: Edit) => Promise<void>;

export default function Command() {
  const { data, isLoading, error, mutate, revalidate } = useCachedPromise(() => withDaemon(loadVocabulary), [], {
    onError: toastUnlessSetup("Cannot Load the Vocabulary"),
  });
  const { push } = useNavigation();
  const problem = error ? setupProblemOf(error) : null;
  if (problem) return <SetupView problem={problem} onRetry={revalidate} />;

  const apply: Apply = async (edit) => {
    try {
      await mutate(withDaemon(edit.send), {
        optimisticUpdate: (current) => (current ? edit.expected(current) : current),
      });
      await showToast({ style: Toast.Style.Success, title: edit.done });
    } catch (failure) {
      await showFailureToast(failure, { title: "Not Saved" });
    }
  };

  const list = data ? vocabularyList(data) : null;
  const addActions = (
    <>
      <Action.Push
        title="Add Term"
        icon={Icon.Plus}
        shortcut={Keyboard.Shortcut.Common.New}
        target={<TermForm apply={apply} />}
      />
      <Action.Push
        title="Add Replacement"
        icon={Icon.Replace}
        shortcut={{ modifiers: ["cmd", "shift"], key: "n" }}
        target={<ReplacementForm apply={apply} />}
      />
    </>
  );
  const remove = async (row: VocabularyRow) => {
    const confirmed = await confirmAlert({
      title: `Delete ${row.title}?`,
      primaryAction: { title: "Delete", style: Alert.ActionStyle.Destructive },
    });
    if (!confirmed) return;
    await apply(
      row.kind === "term"
        ? {
            send: (client) => deleteTerm(client, row.key),
            expected: (current) => withTermDeleted(current, row.key),
            done: `Deleted ${row.title}`,
          }
        : {
            send: (client) => deleteReplacement(client, row.key),
            expected: (current) => withReplacementDeleted(current, row.key),
            done: `Deleted ${row.title}`,
          },
    );
  };
  const rowActions = (row: VocabularyRow) => (
    <ActionPanel>
      <Action.Push
        title={row.kind === "term" ? "Edit Term" : "Edit Replacement"}
        icon={Icon.Pencil}
        target={
          row.kind === "term" ? (
            <TermForm apply={apply} editing={row.key} />
          ) : (
            <ReplacementForm apply={apply} editing={row.replacement} />
          )
        }
      />
      <Action.CopyToClipboard
        title={row.kind === "term" ? "Copy Term" : "Copy Replacement"}
        content={row.kind === "term" ? row.key : row.title}
        shortcut={COPY_SHORTCUT}
      />
      {addActions}
      <Action
        title="Delete"
        icon={Icon.Trash}
        style={Action.Style.Destructive}
        shortcut={DELETE_SHORTCUT}
        onAction={() => remove(row)}
      />
    </ActionPanel>
  );
  return (
    <List isLoading={isLoading} searchBarPlaceholder="Search terms and replacements">
      {error && !isLoading ? (
        <List.EmptyView
          icon={Icon.Warning}
          {...loadFailure("the Vocabulary", error)}
          actions={
            <ActionPanel>
              <StateActions state="vocabulary-failed" handlers={{ "try-again": revalidate }} />
            </ActionPanel>
          }
        />
      ) : list?.empty && !isLoading ? (
        <List.EmptyView
          icon={Icon.Book}
          title="No Vocabulary Yet"
          description={list.empty}
          actions={
            <ActionPanel>
              <StateActions
                state="vocabulary-empty"
                handlers={{
                  "add-term": () => push(<TermForm apply={apply} />),
                  "add-replacement": () => push(<ReplacementForm apply={apply} />),
                }}
              />
            </ActionPanel>
          }
        />
      ) : null}
      {list && list.problems.length > 0 ? (
        <List.Section title="Not Used (Fix in config.json)">
          {list.problems.map((problem) => (
            <List.Item
              key={problem}
              icon={Icon.Warning}
              title={problem}
              actions={<ActionPanel>{addActions}</ActionPanel>}
            />
          ))}
        </List.Section>
      ) : null}
      {list?.termsNotice ? (
        <List.Section title="Terms Are Not Used">
          <List.Item
            icon={Icon.Info}
            title="The loaded model takes no vocabulary terms"
            subtitle="Replacements still apply"
            accessories={[{ tooltip: list.termsNotice, icon: Icon.QuestionMarkCircle }]}
            actions={
              <ActionPanel>
                <Action.CopyToClipboard title="Copy Explanation" content={list.termsNotice} />
                {addActions}
              </ActionPanel>
            }
          />
        </List.Section>
      ) : null}
      {list?.strength ? (
        <List.Section title="Boosting">
          <List.Item
            icon={Icon.Gauge}
            title={list.strength.title}
            subtitle={list.strength.subtitle}
            actions={
              <ActionPanel>
                <Action.Push
                  title="Set Boost Strength"
                  icon={Icon.Pencil}
                  target={<StrengthForm apply={apply} current={data?.boostStrength ?? null} />}
                />
                {addActions}
              </ActionPanel>
            }
          />
        </List.Section>
      ) : null}
      <List.Section title="Terms" subtitle="Oldest first">
        {list?.terms.map((row) => (
          <List.Item
            key={`term:${row.key}`}
            icon={Icon.Text}
            title={row.title}
            subtitle={row.subtitle}
            actions={rowActions(row)}
          />
        ))}
      </List.Section>
      <List.Section title="Replacements">
        {list?.replacements.map((row) => (
          <List.Item
            key={`replacement:${row.key}`}
            icon={Icon.Replace}
            title={row.title}
            subtitle={row.subtitle}
            actions={rowActions(row)}
          />
        ))}
      </List.Section>
    </List>
  );
}

function TermForm({ apply, editing }: { apply: Apply; editing?: string }) {
  const { pop } = useNavigation();
  const { handleSubmit, itemProps } = useForm<{ term: string }>({
    initialValues: { term: editing ?? "" },
    validation: { term: termProblem },
    onSubmit: ({ term }) => {
      pop(); // the list shows the term at once; a refusal puts it back as it was, with a toast saying why
      void apply({
        send: (client) => saveTerm(client, term, editing),
        expected: (current) => withTermSaved(current, term, editing),
        done: `Saved ${term.trim()}`,
      });
    },
  });
  return (
    <Form
      navigationTitle={editing ? "Edit Term" : "Add Term"}
      actions={
        <ActionPanel>
          <Action.SubmitForm title="Save Term" icon={Icon.Check} onSubmit={handleSubmit} />
        </ActionPanel>
      }
    >
      <Form.TextField
        title="Term"
        placeholder="Ximena"
        info="A name, product term or spelling Verbatim should expect. The most recently added terms go into the decoder prompt first."
        {...itemProps.term}
      />
    </Form>
  );
}

function StrengthForm({ apply, current }: { apply: Apply; current: number | null }) {
  const { pop } = useNavigation();
  const { handleSubmit, itemProps } = useForm<{ strength: string }>({
    initialValues: { strength: current === null ? "" : String(current) },
    validation: { strength: boostStrengthProblem },
    onSubmit: ({ strength }) => {
      pop();
      const boostStrength = boostStrengthOf(strength);
      void apply({
        send: (client) => saveBoostStrength(client, boostStrength),
        expected: (data) => withBoostStrength(data, boostStrength),
        done: boostStrength === null ? "Boost Strength Is the Default" : `Boost Strength Is ${boostStrength}`,
      });
    },
  });
  return (
    <Form
      navigationTitle="Boost Strength"
      actions={
        <ActionPanel>
          <Action.SubmitForm title="Save Strength" icon={Icon.Check} onSubmit={handleSubmit} />
        </ActionPanel>
      }
    >
      <Form.TextField
        title="Strength"
        placeholder="4 (the default)"
        info="How strongly a model that boosts terms (Parakeet, Nemotron) favours them while it decodes: 0 (not at all) to 50. Stronger brings back more misheard terms and risks writing terms where none was said. Empty: the default, 4."
        {...itemProps.strength}
      />
    </Form>
  );
}

interface ReplacementValues {
  from: string;
  to: string;
  case: string;
}

function ReplacementForm({ apply, editing }: { apply: Apply; editing?: VocabularyReplacement }) {
  const { pop } = useNavigation();
  const { handleSubmit, itemProps } = useForm<ReplacementValues>({
    initialValues: { from: editing?.from ?? "", to: editing?.to ?? "", case: editing?.case ?? "any" },
    validation: { from: replacedProblem, to: replacementTextProblem },
    onSubmit: (values) => {
      const replacement: VocabularyReplacement = { from: values.from, to: values.to };
      if (values.case !== "any") replacement.case = values.case as ReplacementCase;
      pop();
      void apply({
        send: (client) => saveReplacement(client, replacement, editing?.from),
        expected: (current) => withReplacementSaved(current, replacement, editing?.from),
        done: `Saved ${values.from.trim()} → ${values.to.trim()}`,
      });
    },
  });
  return (
    <Form
      navigationTitle={editing ? "Edit Replacement" : "Add Replacement"}
      actions={
        <ActionPanel>
          <Action.SubmitForm title="Save Replacement" icon={Icon.Check} onSubmit={handleSubmit} />
        </ActionPanel>
      }
    >
      <Form.TextField
        title="Recognized As"
        placeholder="see a"
        info="Whole words as Verbatim writes them"
        {...itemProps.from}
      />
      <Form.TextField title="Write Instead" placeholder="Xia" {...itemProps.to} />
      <Form.Dropdown title="Case" {...itemProps.case}>
        {(Object.keys(CASE_RULE_TITLES) as (keyof typeof CASE_RULE_TITLES)[]).map((rule) => (
          <Form.Dropdown.Item key={rule} value={rule} title={CASE_RULE_TITLES[rule]} />
        ))}
      </Form.Dropdown>
    </Form>
  );
}
