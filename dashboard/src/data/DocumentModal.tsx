import { Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import type { Doc } from '../api/types';
import { FormModal } from '../ui/FormModal';
import { JsonEditor, parseJson } from '../ui/JsonEditor';
import { SYSTEM_COLUMNS } from './Grid';

/**
 * A document as JSON: view and replace it (PUT with its version), or write a new one. `onSave`
 * throws the server's refusal (a version conflict, a validation error): it is shown in the form.
 * After a version conflict the form keeps what was typed and takes the current version from
 * `reload`: saving again then deliberately replaces the other change (the note says so).
 */
export function DocumentModal(props: {
  doc: Doc | null;
  creating: boolean;
  onClose: () => void;
  onSave: (body: Record<string, unknown>, doc: Doc | null) => Promise<void>;
  /** The document as stored now (after a conflict). */
  reload?: (doc: Doc) => Promise<Doc>;
}) {
  const opened = props.creating || props.doc !== null;
  const [text, setText] = useState('{}');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  /** The version a save replaces: the opened one, or the current one after a conflict. */
  const [base, setBase] = useState<Doc | null>(props.doc);
  useEffect(() => {
    setError(null);
    setBase(props.doc);
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
      await props.onSave(parsed.value as Record<string, unknown>, base);
    } catch (e) {
      setError(e);
      if (isConflict(e) && base && props.reload) setBase(await props.reload(base).catch(() => base));
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
      {base && (
        <Text size="xs" c="dimmed">
          version {base.version} · owner {base.owner ?? '—'} · updated {base.updatedAt}. Saving replaces every field
          (PUT with If-Match), refused if someone changed it meanwhile.
        </Text>
      )}
      {base && props.doc && base.version !== props.doc.version && (
        <Text size="sm" c="orange.9" data-testid="document-newer">
          Someone else saved version {base.version} after you opened version {props.doc.version}. Your text is kept:
          saving again replaces their change with it; Cancel keeps theirs.
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

const isConflict = (e: unknown) => e instanceof ApiError && e.status === 409;
