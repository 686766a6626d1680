import { json, jsonParseLinter } from '@codemirror/lang-json';
import { linter } from '@codemirror/lint';
import { EditorView } from '@codemirror/view';
import { Input, useComputedColorScheme } from '@mantine/core';
import CodeMirror from '@uiw/react-codemirror';
import { useId, useMemo } from 'react';

const extensions = [json(), linter(jsonParseLinter()), EditorView.lineWrapping];

/** A JSON editor (CodeMirror 6, bundled) with parse errors marked as you type. */
export function JsonEditor(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  description?: string;
  error?: string | null;
  minHeight?: string;
  readOnly?: boolean;
}) {
  const id = useId();
  const scheme = useComputedColorScheme('light');
  // The editable element itself carries the name (screen readers, axe).
  const named = useMemo(
    () => [...extensions, EditorView.contentAttributes.of({ 'aria-label': props.label })],
    [props.label],
  );
  return (
    <Input.Wrapper label={props.label} description={props.description} error={props.error} id={id}>
      <div
        style={{
          border: '1px solid var(--mantine-color-default-border)',
          borderRadius: 6,
          overflow: 'hidden',
          marginTop: 4,
        }}
      >
        <CodeMirror
          id={id}
          aria-label={props.label}
          value={props.value}
          onChange={props.onChange}
          extensions={named}
          theme={scheme === 'dark' ? 'dark' : 'light'}
          minHeight={props.minHeight ?? '80px'}
          readOnly={props.readOnly}
          basicSetup={{ foldGutter: false, highlightActiveLine: false }}
        />
      </div>
    </Input.Wrapper>
  );
}

/** Parses JSON text; returns the error message instead of throwing. */
export function parseJson(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
