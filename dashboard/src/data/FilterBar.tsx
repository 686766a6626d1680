import {
  ActionIcon,
  Button,
  Checkbox,
  Group,
  Menu,
  Paper,
  SegmentedControl,
  Select,
  Stack,
  TextInput,
} from '@mantine/core';
import { IconColumns, IconFilter, IconPlus, IconX } from '@tabler/icons-react';
import type { VisibilityState } from '@tanstack/react-table';
import { useState } from 'react';
import type { FieldDef } from '../api/types';
import { JsonEditor, parseJson } from '../ui/JsonEditor';
import { conditionsToFilter, OPERATORS, type Condition, type Operator } from './filters';

/** Filter builder (conditions ANDed) or a raw JSON filter; applying puts it in the URL. */
export function FilterBar(props: {
  fields: FieldDef[];
  filter: string | null;
  onApply: (filter: string | null) => void;
}) {
  const [mode, setMode] = useState<'builder' | 'raw'>(props.filter ? 'raw' : 'builder');
  const [conds, setConds] = useState<Condition[]>([]);
  const [raw, setRaw] = useState(props.filter ?? '{}');
  const names = [
    'id',
    'owner',
    'createdAt',
    'updatedAt',
    'version',
    ...props.fields.filter((f) => !f.hidden || true).map((f) => f.name),
  ];
  const set = (i: number, c: Condition) => setConds(conds.map((x, j) => (j === i ? c : x)));
  const parsed = parseJson(raw);
  const apply = () => {
    if (mode === 'raw') {
      const empty = raw.trim() === '' || raw.trim() === '{}';
      props.onApply(empty ? null : JSON.stringify(parsed.value));
    } else {
      const f = conditionsToFilter(conds, props.fields);
      props.onApply(f ? JSON.stringify(f) : null);
      if (f) setRaw(JSON.stringify(f, null, 2));
    }
  };
  return (
    <Paper withBorder p="sm">
      <Stack gap="xs">
        <Group justify="space-between">
          <SegmentedControl
            size="xs"
            aria-label="Filter mode"
            value={mode}
            onChange={(m) => setMode(m as 'builder' | 'raw')}
            data={[
              { value: 'builder', label: 'Filter builder' },
              { value: 'raw', label: 'Raw JSON filter' },
            ]}
          />
          <Group gap="xs">
            {props.filter && (
              <Button
                size="xs"
                variant="subtle"
                onClick={() => {
                  setConds([]);
                  setRaw('{}');
                  props.onApply(null);
                }}
              >
                Clear filter
              </Button>
            )}
            <Button
              size="xs"
              leftSection={<IconFilter size={14} />}
              onClick={apply}
              disabled={mode === 'raw' && !!parsed.error}
            >
              Apply filter
            </Button>
          </Group>
        </Group>
        {mode === 'builder' ? (
          <>
            {conds.map((c, i) => (
              <Group key={i} gap="xs" wrap="nowrap">
                <Select
                  aria-label={`Condition ${i + 1} field`}
                  size="xs"
                  data={names}
                  value={c.field}
                  searchable
                  onChange={(v) => set(i, { ...c, field: v ?? '' })}
                  w={180}
                />
                <Select
                  aria-label={`Condition ${i + 1} operator`}
                  size="xs"
                  data={OPERATORS.map((o) => ({ value: o.value, label: o.label }))}
                  value={c.op}
                  allowDeselect={false}
                  onChange={(v) => set(i, { ...c, op: (v ?? 'eq') as Operator })}
                  w={150}
                />
                {c.op !== 'exists' && c.op !== 'missing' && (
                  <TextInput
                    aria-label={`Condition ${i + 1} value`}
                    size="xs"
                    value={c.value}
                    onChange={(e) => set(i, { ...c, value: e.currentTarget.value })}
                    onKeyDown={(e) => e.key === 'Enter' && apply()}
                    style={{ flex: 1 }}
                  />
                )}
                <ActionIcon
                  variant="subtle"
                  aria-label={`Remove condition ${i + 1}`}
                  onClick={() => setConds(conds.filter((_, j) => j !== i))}
                >
                  <IconX size={14} />
                </ActionIcon>
              </Group>
            ))}
            <Group>
              <Button
                size="xs"
                variant="light"
                leftSection={<IconPlus size={14} />}
                onClick={() => setConds([...conds, { field: props.fields[0]?.name ?? 'id', op: 'eq', value: '' }])}
              >
                Add condition
              </Button>
            </Group>
          </>
        ) : (
          <JsonEditor
            label="Filter"
            value={raw}
            onChange={setRaw}
            error={parsed.error}
            description='e.g. {"done": false, "priority": {"$gte": 3}}'
          />
        )}
      </Stack>
    </Paper>
  );
}

/** Sort field and direction, as the API's sort parameter (-field for descending). */
export function SortControl(props: { fields: FieldDef[]; sort: string; onChange: (s: string) => void }) {
  const desc = props.sort.startsWith('-');
  const field = desc ? props.sort.slice(1) : props.sort;
  const names = [
    'createdAt',
    'updatedAt',
    'id',
    ...props.fields.filter((f) => !['json', 'array', 'geopoint'].includes(f.type)).map((f) => f.name),
  ];
  return (
    <Group gap={4} wrap="nowrap">
      <Select
        aria-label="Sort by"
        size="sm"
        w={160}
        data={names}
        value={field}
        allowDeselect={false}
        onChange={(v) => props.onChange(`${desc ? '-' : ''}${v ?? 'createdAt'}`)}
      />
      <SegmentedControl
        size="sm"
        aria-label="Sort direction"
        value={desc ? 'desc' : 'asc'}
        onChange={(d) => props.onChange(`${d === 'desc' ? '-' : ''}${field}`)}
        data={[
          { value: 'asc', label: '↑' },
          { value: 'desc', label: '↓' },
        ]}
      />
    </Group>
  );
}

/** Which columns the grid shows (kept per collection in this browser). */
export function ColumnChooser(props: {
  columns: string[];
  visibility: VisibilityState;
  onChange: (v: VisibilityState) => void;
}) {
  return (
    <Menu closeOnItemClick={false}>
      <Menu.Target>
        <Button variant="default" leftSection={<IconColumns size={16} />}>
          Columns
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        {props.columns.map((c) => (
          <Menu.Item
            key={c}
            onClick={() => props.onChange({ ...props.visibility, [c]: props.visibility[c] === false })}
          >
            <Checkbox label={c} checked={props.visibility[c] !== false} readOnly tabIndex={-1} />
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}
