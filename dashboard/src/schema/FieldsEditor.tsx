import { ActionIcon, Button, Checkbox, Group, Select, Table, TagsInput, TextInput, Tooltip } from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { FIELD_TYPES, type FieldDef, type FieldType, type IndexDef } from '../api/types';
import { newKey, type DraftField } from './diff';

const FLAGS = ['required', 'unique', 'searchable', 'hidden'] as const;
const CONSTRAINT_KEYS = [
  'default',
  'min',
  'max',
  'minLength',
  'maxLength',
  'pattern',
  'enum',
  'of',
  'onDelete',
] as const;

/** Extra constraints as compact JSON, e.g. {"maxLength": 100, "enum": ["a", "b"]}. */
function ConstraintsInput({ def, onChange, label }: { def: FieldDef; onChange: (d: FieldDef) => void; label: string }) {
  const current = Object.fromEntries(CONSTRAINT_KEYS.filter((k) => def[k] !== undefined).map((k) => [k, def[k]]));
  const [text, setText] = useState(Object.keys(current).length ? JSON.stringify(current) : '');
  const [error, setError] = useState<string | null>(null);
  return (
    <TextInput
      aria-label={label}
      placeholder='{"maxLength": 100}'
      ff="monospace"
      size="xs"
      value={text}
      error={error}
      onChange={(e) => {
        const v = e.currentTarget.value;
        setText(v);
        try {
          const parsed = v.trim() ? (JSON.parse(v) as Record<string, unknown>) : {};
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('an object');
          const next: Record<string, unknown> = { ...def };
          for (const k of CONSTRAINT_KEYS) delete next[k];
          onChange({ ...(next as unknown as FieldDef), ...parsed });
          setError(null);
        } catch {
          setError('JSON object, e.g. {"maxLength": 100}');
        }
      }}
    />
  );
}

/** The fields table: name, type, relation target, flags and constraints per row. */
export function FieldsEditor(props: {
  fields: DraftField[];
  onChange: (f: DraftField[]) => void;
  collections: string[];
}) {
  const set = (key: string, def: FieldDef) =>
    props.onChange(props.fields.map((f) => (f.key === key ? { ...f, def } : f)));
  return (
    <>
      <Table verticalSpacing={6} withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Field</Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th>Relation to</Table.Th>
            {FLAGS.map((f) => (
              <Table.Th key={f}>{f}</Table.Th>
            ))}
            <Table.Th>Constraints</Table.Th>
            <Table.Th>
              <span className="sr-only">Remove</span>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {props.fields.map((f, i) => (
            <Table.Tr key={f.key}>
              <Table.Td>
                <TextInput
                  aria-label={`Field ${i + 1} name`}
                  size="xs"
                  value={f.def.name}
                  onChange={(e) => set(f.key, { ...f.def, name: e.currentTarget.value })}
                />
              </Table.Td>
              <Table.Td>
                <Select
                  aria-label={`Field ${i + 1} type`}
                  size="xs"
                  w={120}
                  data={FIELD_TYPES as unknown as string[]}
                  value={f.def.type}
                  allowDeselect={false}
                  onChange={(v) => set(f.key, { ...f.def, type: (v ?? 'string') as FieldType })}
                />
              </Table.Td>
              <Table.Td>
                {f.def.type === 'relation' ? (
                  <Select
                    aria-label={`Field ${i + 1} relation target`}
                    size="xs"
                    w={130}
                    data={props.collections}
                    value={f.def.to ?? null}
                    onChange={(v) => set(f.key, { ...f.def, to: v ?? undefined })}
                  />
                ) : (
                  '—'
                )}
              </Table.Td>
              {FLAGS.map((flag) => (
                <Table.Td key={flag}>
                  <Checkbox
                    aria-label={`Field ${i + 1} ${flag}`}
                    checked={Boolean(f.def[flag])}
                    onChange={(e) => set(f.key, { ...f.def, [flag]: e.currentTarget.checked })}
                  />
                </Table.Td>
              ))}
              <Table.Td miw={180}>
                <ConstraintsInput label={`Field ${i + 1} constraints`} def={f.def} onChange={(d) => set(f.key, d)} />
              </Table.Td>
              <Table.Td>
                <Tooltip label="Remove field">
                  <ActionIcon
                    variant="subtle"
                    color="red"
                    aria-label={`Remove field ${f.def.name || i + 1}`}
                    onClick={() => props.onChange(props.fields.filter((x) => x.key !== f.key))}
                  >
                    <IconTrash size={16} />
                  </ActionIcon>
                </Tooltip>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group mt="xs">
        <Button
          size="xs"
          variant="light"
          leftSection={<IconPlus size={14} />}
          onClick={() =>
            props.onChange([...props.fields, { key: newKey(), from: null, def: { name: '', type: 'string' } }])
          }
        >
          Add field
        </Button>
      </Group>
    </>
  );
}

/** Indexes: name, fields (prefix - for descending), unique. */
export function IndexesEditor(props: { indexes: IndexDef[]; onChange: (i: IndexDef[]) => void; fieldNames: string[] }) {
  const set = (n: number, i: IndexDef) => props.onChange(props.indexes.map((x, j) => (j === n ? i : x)));
  return (
    <>
      {props.indexes.map((idx, n) => (
        <Group key={n} align="flex-end" mb="xs" wrap="nowrap">
          <TextInput
            label="Index name"
            size="xs"
            value={idx.name}
            onChange={(e) => set(n, { ...idx, name: e.currentTarget.value })}
          />
          <TagsInput
            label="Fields (-field for descending)"
            size="xs"
            data={props.fieldNames}
            value={idx.fields}
            onChange={(v) => set(n, { ...idx, fields: v })}
            style={{ flex: 1 }}
          />
          <Checkbox
            label="unique"
            checked={Boolean(idx.unique)}
            onChange={(e) => set(n, { ...idx, unique: e.currentTarget.checked })}
            mb={6}
          />
          <ActionIcon
            variant="subtle"
            color="red"
            aria-label={`Remove index ${idx.name}`}
            onClick={() => props.onChange(props.indexes.filter((_, j) => j !== n))}
            mb={4}
          >
            <IconTrash size={16} />
          </ActionIcon>
        </Group>
      ))}
      <Button
        size="xs"
        variant="light"
        leftSection={<IconPlus size={14} />}
        onClick={() => props.onChange([...props.indexes, { name: '', fields: [] }])}
      >
        Add index
      </Button>
    </>
  );
}
