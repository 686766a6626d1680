import { ActionIcon, Anchor, Group, Text, TextInput, Tooltip } from '@mantine/core';
import { IconBraces, IconTrash } from '@tabler/icons-react';
import {
  flexRender,
  getCoreRowModel,
  useReactTable,
  type ColumnDef,
  type VisibilityState,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router';
import type { Doc, FieldDef } from '../api/types';
import { FileCell } from './FileThumb';
import { cellText } from './filters';
import classes from './Grid.module.css';

export const SYSTEM_COLUMNS = ['id', 'createdAt', 'updatedAt', 'owner', 'version'];
const READ_ONLY = new Set(SYSTEM_COLUMNS);
const ROW_HEIGHT = 36;

interface GridProps {
  appId: string;
  docs: Doc[];
  fields: FieldDef[];
  visibility: VisibilityState;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
  onEdit: (doc: Doc, field: string, text: string) => Promise<void>;
  onOpen: (doc: Doc) => void;
  onDelete: (doc: Doc) => void;
}

/** A preview for relation and file values; plain text for the rest. */
function Cell({ appId, def, value }: { appId: string; def: FieldDef | undefined; value: unknown }) {
  if (def?.type === 'relation' && typeof value === 'string' && def.to)
    return (
      <Anchor
        component={Link}
        size="sm"
        to={`/apps/${appId}/collections/${def.to}/data?filter=${encodeURIComponent(JSON.stringify({ id: value }))}`}
      >
        {def.to}/{value}
      </Anchor>
    );
  if (def?.type === 'file' && typeof value === 'string') return <FileCell appId={appId} id={value} />;
  if (typeof value === 'boolean') return <Text size="sm">{value ? '✓ true' : '✗ false'}</Text>;
  return <>{cellText(value)}</>;
}

function EditCell(props: {
  initial: string;
  onSave: (t: string) => Promise<void>;
  onCancel: () => void;
  label: string;
}) {
  const [text, setText] = useState(props.initial);
  const [busy, setBusy] = useState(false);
  return (
    <TextInput
      size="xs"
      autoFocus
      aria-label={props.label}
      value={text}
      disabled={busy}
      onChange={(e) => setText(e.currentTarget.value)}
      onBlur={props.onCancel}
      onKeyDown={async (e) => {
        if (e.key === 'Escape') props.onCancel();
        if (e.key === 'Enter') {
          setBusy(true);
          await props.onSave(text).finally(() => setBusy(false));
        }
      }}
    />
  );
}

/**
 * The virtualised grid: only the rows in view are in the DOM; the next cursor page is fetched
 * when the admin scrolls near the end of what is loaded. Double-click (or Enter on) a cell to edit.
 */
export function Grid(props: GridProps) {
  const [editing, setEditing] = useState<{ id: string; field: string } | null>(null);
  const defs = useMemo(() => new Map(props.fields.map((f) => [f.name, f])), [props.fields]);
  const columns = useMemo<ColumnDef<Doc>[]>(
    () => [
      ...SYSTEM_COLUMNS.map((c) => ({
        id: c,
        header: c,
        accessorFn: (d: Doc) => d[c],
        size: c === 'id' ? 190 : c === 'version' ? 80 : 200,
      })),
      ...props.fields.map((f) => ({ id: f.name, header: f.name, accessorFn: (d: Doc) => d[f.name], size: 180 })),
    ],
    [props.fields],
  );
  const table = useReactTable({
    data: props.docs,
    columns,
    state: { columnVisibility: props.visibility },
    getCoreRowModel: getCoreRowModel(),
    getRowId: (d) => d.id,
  });
  const rows = table.getRowModel().rows;
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });
  const items = virtual.getVirtualItems();
  const last = items[items.length - 1];
  const { hasMore, loadingMore, loadMore } = props;
  useEffect(() => {
    if (last && last.index >= rows.length - 20 && hasMore && !loadingMore) loadMore();
  }, [last, rows.length, hasMore, loadingMore, loadMore]);
  const width = table.getVisibleLeafColumns().reduce((w, c) => w + c.getSize(), 0) + 80;
  return (
    <div ref={scroller} className={classes.scroller} data-testid="grid" tabIndex={0} aria-label="Documents">
      <table className={classes.table} style={{ width }} aria-rowcount={rows.length}>
        <thead className={classes.head}>
          {table.getHeaderGroups().map((g) => (
            <tr key={g.id} className={classes.row}>
              <th className={classes.th} style={{ width: 80 }}>
                <span className="sr-only">Actions</span>
              </th>
              {g.headers.map((h) => (
                <th key={h.id} className={classes.th} style={{ width: h.getSize() }}>
                  {flexRender(h.column.columnDef.header, h.getContext())}
                  {defs.get(h.id) && (
                    <Text span size="xs" c="dimmed" ml={4}>
                      {defs.get(h.id)!.type}
                    </Text>
                  )}
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody style={{ height: virtual.getTotalSize(), position: 'relative', display: 'block' }}>
          {items.map((vr) => {
            const row = rows[vr.index]!;
            return (
              <tr
                key={row.id}
                className={classes.row}
                data-testid="row"
                aria-rowindex={vr.index + 1}
                style={{ position: 'absolute', transform: `translateY(${vr.start}px)`, height: ROW_HEIGHT }}
              >
                <td className={classes.td} style={{ width: 80 }}>
                  <Group gap={2} wrap="nowrap">
                    <Tooltip label="JSON view">
                      <ActionIcon
                        size="sm"
                        variant="subtle"
                        aria-label={`Open ${row.id} as JSON`}
                        onClick={() => props.onOpen(row.original)}
                      >
                        <IconBraces size={14} />
                      </ActionIcon>
                    </Tooltip>
                    <Tooltip label="Delete">
                      <ActionIcon
                        size="sm"
                        variant="subtle"
                        color="red"
                        aria-label={`Delete ${row.id}`}
                        onClick={() => props.onDelete(row.original)}
                      >
                        <IconTrash size={14} />
                      </ActionIcon>
                    </Tooltip>
                  </Group>
                </td>
                {row.getVisibleCells().map((cell) => {
                  const field = cell.column.id;
                  const isEditing = editing?.id === row.id && editing.field === field;
                  const editable = !READ_ONLY.has(field);
                  return (
                    <td
                      key={cell.id}
                      className={classes.td}
                      style={{ width: cell.column.getSize() }}
                      tabIndex={editable ? 0 : undefined}
                      title={editable ? 'Double-click or press Enter to edit' : undefined}
                      onDoubleClick={() => editable && setEditing({ id: row.id, field })}
                      onKeyDown={(e) => {
                        if (editable && e.key === 'Enter' && !isEditing) setEditing({ id: row.id, field });
                      }}
                    >
                      {isEditing ? (
                        <EditCell
                          label={`Edit ${field}`}
                          initial={cellText(cell.getValue())}
                          onCancel={() => setEditing(null)}
                          onSave={async (t) => {
                            await props.onEdit(row.original, field, t);
                            setEditing(null);
                          }}
                        />
                      ) : (
                        <Cell appId={props.appId} def={defs.get(field)} value={cell.getValue()} />
                      )}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
