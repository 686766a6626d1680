import { Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { Doc } from '../api/types';
import { FormModal } from '../ui/FormModal';
import { JsonEditor, parseJson } from '../ui/JsonEditor';
import { SYSTEM_COLUMNS } from './Grid';

/**
 * A document as JSON: view and replace it (PUT with its version), or write a new one. `onSave`
 * throws the server's refusal (a version conflict, a validation error): it is shown in the form.
 */
export function DocumentModal(props: {
  doc: Doc | null;
  creating: boolean;
  onClose: () => void;
  onSave: (body: Record<string, unknown>, doc: Doc | null) => Promise<void>;
}) {
  const opened = props.creating || props.doc !== null;
  const [text, setText] = useState('{}');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setError(null);
    if (props.doc) {
      const editable = Object.fromEntries(Object.entries(props.doc).filter(([k]) => !SYSTEM_COLUMNS.includes(k)));
      setText(JSON.stringify(editable, null, 2));
    } else setText('{\n  \n}');
  }, [props.doc, props.creating]);
  const parsed = parseJson(text);
  const valid =
    !parsed.error && typeof parsed.value === 'object' && parsed.value !== null && !Array.isArray(parsed.value);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.onSave(parsed.value as Record<string, unknown>, props.doc);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <FormModal
      opened={opened}
      onClose={props.onClose}
      title={props.doc ? `Document ${props.doc.id}` : 'New document'}
      size="xl"
      submitLabel={props.doc ? 'Save document' : 'Create document'}
      onSubmit={() => void save()}
      pending={busy}
      error={error}
      submitDisabled={!valid}
    >
      {props.doc && (
        <Text size="xs" c="dimmed">
          version {props.doc.version} · owner {props.doc.owner ?? '—'} · updated {props.doc.updatedAt}. Saving replaces
          every field (PUT with If-Match), refused if someone changed it meanwhile.
        </Text>
      )}
      <JsonEditor
        label="Document JSON"
        value={text}
        onChange={setText}
        minHeight="240px"
        error={parsed.error ?? (valid ? null : 'A JSON object')}
      />
    </FormModal>
  );
}
