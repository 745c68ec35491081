import {
  Action,
  ActionPanel,
  Alert,
  confirmAlert,
  Detail,
  Form,
  Icon,
  Keyboard,
  List,
  showToast,
  Toast,
  useNavigation,
} from "@raycast/api";
import { useCallback, useEffect, useState } from "react";
import { withDaemon } from "./host";
import { DaemonUnreachableError, type DaemonClient } from "./lib/daemon-connection";
import { setupStepsMarkdown } from "./lib/setup-steps";
import {
  CASE_RULE_TITLES,
  deleteReplacement,
  deleteTerm,
  loadVocabulary,
  saveReplacement,
  saveTerm,
  vocabularyList,
  type ReplacementCase,
  type VocabularyData,
  type VocabularyReplacement,
  type VocabularyRow,
} from "./lib/vocabulary";

type Change = (client: DaemonClient) => Promise<VocabularyData>;

export default function Command() {
  const [data, setData] = useState<VocabularyData | null>(null);
  const [unreachable, setUnreachable] = useState<string | null>(null);

  const apply = useCallback(async (change: Change, done: string): Promise<boolean> => {
    try {
      setData(await withDaemon(change));
      await showToast({ style: Toast.Style.Success, title: done });
      return true;
    } catch (error) {
      if (error instanceof DaemonUnreachableError) setUnreachable(error.message);
      else await showToast({ style: Toast.Style.Failure, title: "Not Saved", message: (error as Error).message });
      return false;
    }
  }, []);

  useEffect(() => {
    withDaemon(loadVocabulary).then(setData, (error: Error) => {
      if (error instanceof DaemonUnreachableError) setUnreachable(error.message);
      else showToast({ style: Toast.Style.Failure, title: "Cannot Load the Vocabulary", message: error.message });
    });
  }, []);

  if (unreachable) return <Detail markdown={setupStepsMarkdown(unreachable)} />;
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
      {addActions}
      <Action
        title="Delete"
        icon={Icon.Trash}
        style={Action.Style.Destructive}
        shortcut={Keyboard.Shortcut.Common.Remove}
        onAction={async () => {
          const confirmed = await confirmAlert({
            title: `Delete ${row.title}?`,
            primaryAction: { title: "Delete", style: Alert.ActionStyle.Destructive },
          });
          if (!confirmed) return;
          await apply(
            (client) => (row.kind === "term" ? deleteTerm(client, row.key) : deleteReplacement(client, row.key)),
            `Deleted ${row.title}`,
          );
        }}
      />
    </ActionPanel>
  );
  return (
    <List isLoading={!list} searchBarPlaceholder="Search terms and replacements">
      {list?.empty ? (
        <List.EmptyView
          icon={Icon.Book}
          title="No Vocabulary Yet"
          description={list.empty}
          actions={<ActionPanel>{addActions}</ActionPanel>}
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
      <List.Section title="Terms" subtitle="Newest first">
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

interface FormProps {
  apply(change: Change, done: string): Promise<boolean>;
}

function TermForm({ apply, editing }: FormProps & { editing?: string }) {
  const { pop } = useNavigation();
  const [error, setError] = useState<string | undefined>();
  return (
    <Form
      navigationTitle={editing ? "Edit Term" : "Add Term"}
      actions={
        <ActionPanel>
          <Action.SubmitForm
            title="Save Term"
            onSubmit={async (values: { term: string }) => {
              if (!values.term.trim()) return setError("Type a name, product term or spelling");
              if (await apply((client) => saveTerm(client, values.term, editing), `Saved ${values.term.trim()}`)) pop();
            }}
          />
        </ActionPanel>
      }
    >
      <Form.TextField
        id="term"
        title="Term"
        placeholder="Ximena"
        defaultValue={editing}
        error={error}
        onChange={() => setError(undefined)}
        info="A name, product term or spelling the recogniser should expect. The most recently added terms go into the decoder prompt first."
      />
    </Form>
  );
}

function ReplacementForm({ apply, editing }: FormProps & { editing?: VocabularyReplacement }) {
  const { pop } = useNavigation();
  const [error, setError] = useState<string | undefined>();
  return (
    <Form
      navigationTitle={editing ? "Edit Replacement" : "Add Replacement"}
      actions={
        <ActionPanel>
          <Action.SubmitForm
            title="Save Replacement"
            onSubmit={async (values: { from: string; to: string; case: ReplacementCase | "any" }) => {
              if (!values.from.trim() || !values.to.trim())
                return setError("Fill in both what is recognised and what to write");
              const replacement: VocabularyReplacement = { from: values.from, to: values.to };
              if (values.case !== "any") replacement.case = values.case;
              const saved = await apply(
                (client) => saveReplacement(client, replacement, editing?.from),
                `Saved ${values.from.trim()} → ${values.to.trim()}`,
              );
              if (saved) pop();
            }}
          />
        </ActionPanel>
      }
    >
      <Form.TextField
        id="from"
        title="Recognised As"
        placeholder="see a"
        defaultValue={editing?.from}
        error={error}
        onChange={() => setError(undefined)}
        info="Whole words as the recogniser writes them"
      />
      <Form.TextField id="to" title="Write Instead" placeholder="Xia" defaultValue={editing?.to} />
      <Form.Dropdown id="case" title="Case" defaultValue={editing?.case ?? "any"}>
        {(Object.keys(CASE_RULE_TITLES) as (keyof typeof CASE_RULE_TITLES)[]).map((rule) => (
          <Form.Dropdown.Item key={rule} value={rule} title={CASE_RULE_TITLES[rule]} />
        ))}
      </Form.Dropdown>
    </Form>
  );
}
