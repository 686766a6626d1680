import { Group, SegmentedControl, SimpleGrid, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { RULE_KINDS, type Rule, type RuleKind } from '../api/types';
import { JsonEditor } from '../ui/JsonEditor';

type Mode = 'admin' | 'public' | 'authenticated' | 'filter';
const modeOf = (r: Rule | undefined): Mode =>
  r === null || r === undefined ? 'admin' : typeof r === 'string' ? r : 'filter';

const HELP: Record<RuleKind, string> = {
  list: 'lists, counts and aggregates',
  get: 'one document, and documents reached through expand',
  create: 'new documents (@data is the incoming document)',
  update: 'PATCH and PUT',
  delete: 'deleting',
};

function RuleEditor({ kind, rule, onChange }: { kind: RuleKind; rule: Rule | undefined; onChange: (r: Rule) => void }) {
  const [text, setText] = useState(
    typeof rule === 'object' && rule !== null ? JSON.stringify(rule, null, 2) : '{"owner": "@auth.id"}',
  );
  const [error, setError] = useState<string | null>(null);
  const mode = modeOf(rule);
  return (
    <Stack gap={6}>
      <Group justify="space-between" wrap="nowrap">
        <div>
          <Text fw={600} size="sm">
            {kind}
          </Text>
          <Text size="xs" c="dimmed">
            {HELP[kind]}
          </Text>
        </div>
        <SegmentedControl
          size="xs"
          aria-label={`${kind} rule`}
          value={mode}
          onChange={(m) => {
            if (m === 'admin') onChange(null);
            else if (m === 'filter') {
              try {
                onChange(JSON.parse(text) as Rule);
              } catch {
                onChange({ owner: '@auth.id' });
              }
            } else onChange(m as Rule);
          }}
          data={[
            { value: 'admin', label: 'Admins' },
            { value: 'public', label: 'Public' },
            { value: 'authenticated', label: 'Signed in' },
            { value: 'filter', label: 'Filter' },
          ]}
        />
      </Group>
      {mode === 'filter' && (
        <JsonEditor
          label={`${kind} rule filter`}
          value={text}
          error={error}
          onChange={(v) => {
            setText(v);
            try {
              const parsed = JSON.parse(v) as unknown;
              if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error();
              onChange(parsed as Rule);
              setError(null);
            } catch {
              setError('A JSON filter object, e.g. {"owner": "@auth.id"}');
            }
          }}
        />
      )}
    </Stack>
  );
}

/** The five rules of a collection: admins only, public, signed-in users, or a filter with variables. */
export function RulesEditor(props: {
  rules: Partial<Record<RuleKind, Rule>>;
  onChange: (r: Partial<Record<RuleKind, Rule>>) => void;
}) {
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        Rules are filters Hearth puts inside every query. Variables: @auth.id, @auth.roles, @auth.anonymous, @now,
        @data.field.
      </Text>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        {RULE_KINDS.map((k) => (
          <RuleEditor
            key={k}
            kind={k}
            rule={props.rules[k]}
            onChange={(r) => props.onChange({ ...props.rules, [k]: r })}
          />
        ))}
      </SimpleGrid>
    </Stack>
  );
}
