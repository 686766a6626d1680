import { Button, Group, Paper, Table, type ButtonProps } from '@mantine/core';
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { QueryView, type EmptyView, type QueryState } from './QueryView';

/**
 * The list table of a resource page (webhooks, schedules, jobs, backups…): a bordered table
 * inside QueryView's loading / error / empty states, its header row from `columns` (the last,
 * unlabelled one holds the row actions), `rows` rendered into its body.
 */
export function ResourceTable<T>(props: {
  query: QueryState<T>;
  empty?: EmptyView;
  columns: string[];
  /** A column for each row's actions, announced as "Actions" (default true). */
  actions?: boolean;
  spacing?: 'xs' | 'sm';
  rows: (data: T) => ReactNode;
}) {
  return (
    <Paper withBorder>
      <QueryView query={props.query} {...(props.empty ? { empty: props.empty } : {})}>
        {(data) => (
          <Table verticalSpacing={props.spacing ?? 'sm'} highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                {props.columns.map((c) => (
                  <Table.Th key={c}>{c}</Table.Th>
                ))}
                {props.actions !== false && <Table.Th aria-label="Actions" />}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>{props.rows(data)}</Table.Tbody>
          </Table>
        )}
      </QueryView>
    </Paper>
  );
}

/** The row actions cell: small buttons, right-aligned. */
export function RowActions({ children }: { children: ReactNode }) {
  return (
    <Table.Td>
      <Group gap={4} justify="flex-end" wrap="nowrap">
        {children}
      </Group>
    </Table.Td>
  );
}

type RowButtonProps = { label: string; onClick: () => void; disabled?: boolean; size?: ButtonProps['size'] };

/** "Edit" with the pencil; `label` names the row for screen readers (`Edit webhook https://…`). */
export function EditButton({ label, onClick, disabled, size = 'compact-sm' }: RowButtonProps) {
  return (
    <Button
      size={size}
      variant="subtle"
      leftSection={<IconPencil size={14} />}
      onClick={onClick}
      disabled={disabled}
      aria-label={label}
    >
      Edit
    </Button>
  );
}

/** A red "Delete" (or `text`) with the bin; the caller confirms before deleting. */
export function DeleteButton({
  label,
  onClick,
  disabled,
  size = 'compact-sm',
  text = 'Delete',
}: RowButtonProps & { text?: string }) {
  return (
    <Button
      size={size}
      variant="subtle"
      color="red"
      leftSection={<IconTrash size={14} />}
      onClick={onClick}
      disabled={disabled}
      aria-label={label}
    >
      {text}
    </Button>
  );
}

/** The empty state's call to action: "Add the first …". */
export function AddFirstButton({ children, onClick }: { children: ReactNode; onClick: () => void }) {
  return (
    <Button variant="light" leftSection={<IconPlus size={16} />} onClick={onClick}>
      {children}
    </Button>
  );
}
