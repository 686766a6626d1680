import { Badge, Button, Group, Stack, Text, Tooltip } from '@mantine/core';
import { useLocalStorage } from '@mantine/hooks';
import { IconPlus, IconSchema } from '@tabler/icons-react';
import { useInfiniteQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import type { VisibilityState } from '@tanstack/react-table';
import { useCallback, useMemo, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, ApiError } from '../api/client';
import { qs, useCollection } from '../api/queries';
import type { Doc, FieldDef, Page } from '../api/types';
import { DocumentModal } from '../data/DocumentModal';
import { ExportButton } from '../data/Export';
import { ImportButton } from './ImportDialog';
import { ColumnChooser, FilterBar, SortControl } from '../data/FilterBar';
import { coerce } from '../data/filters';
import { Grid, SYSTEM_COLUMNS } from '../data/Grid';
import { confirmDanger, toast } from '../ui/feedback';
import { queryFallback, QueryView } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';

const PAGE = 100;

/** The typed value of an inline edit: JSON for structured fields, numbers and booleans by type. */
function editValue(def: FieldDef | undefined, text: string): unknown {
  if (text === '') return null;
  if (!def || ['json', 'array', 'geopoint'].includes(def.type)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return coerce(text, def.type);
}

/**
 * The data browser: cursor pages of 100 loaded as the admin scrolls (never the whole
 * collection), an estimated count, filter and sort in the URL, inline edits with version checks.
 */
export default function DataBrowser() {
  const { appId = '', name = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const filter = params.get('filter');
  const sort = params.get('sort') ?? '-createdAt';
  const col = useCollection(appId, name);
  const qc = useQueryClient();
  const [visibility, setVisibility] = useLocalStorage<VisibilityState>({
    key: `hearth.columns.${appId}.${name}`,
    defaultValue: { updatedAt: false },
  });
  const [open, setOpen] = useState<Doc | null>(null);
  const [creating, setCreating] = useState(false);
  const queryKey = useMemo(() => ['apps', appId, 'docs', name, filter, sort], [appId, name, filter, sort]);
  const docs = useInfiniteQuery({
    queryKey,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api<Page<Doc>>(
        'GET',
        `/v1/apps/${appId}/collections/${name}/documents${qs({ limit: PAGE, filter, sort, after: pageParam, count: pageParam ? undefined : 'estimated' })}`,
      ),
    getNextPageParam: (last) => last.next,
  });
  const rows = useMemo(() => docs.data?.pages.flatMap((p) => p.items) ?? [], [docs.data]);
  const count = docs.data?.pages[0]?.count;
  const update = (d: Doc) =>
    qc.setQueryData<InfiniteData<Page<Doc>>>(
      queryKey,
      (old) =>
        old && { ...old, pages: old.pages.map((p) => ({ ...p, items: p.items.map((x) => (x.id === d.id ? d : x)) })) },
    );
  const conflict = (e: unknown) => {
    if (e instanceof ApiError && e.status === 409) {
      toast.error(e, 'Someone changed this document meanwhile: reloaded, try again');
      void docs.refetch();
    } else toast.error(e, 'Not saved');
  };
  const onEdit = async (doc: Doc, field: string, text: string) => {
    const def = col.data?.fields.find((f) => f.name === field);
    try {
      const saved = await api<Doc>(
        'PATCH',
        `/v1/apps/${appId}/collections/${name}/documents/${doc.id}`,
        { [field]: editValue(def, text) },
        { headers: { 'If-Match': `"${doc.version}"` } },
      );
      update(saved);
      toast.ok(`Saved ${field} (version ${saved.version})`);
    } catch (e) {
      conflict(e);
      throw e;
    }
  };
  const onSave = async (body: Record<string, unknown>, doc: Doc | null) => {
    try {
      if (doc) {
        update(
          await api<Doc>('PUT', `/v1/apps/${appId}/collections/${name}/documents/${doc.id}`, body, {
            headers: { 'If-Match': `"${doc.version}"` },
          }),
        );
        toast.ok('Document saved');
      } else {
        const created = await api<Doc>('POST', `/v1/apps/${appId}/collections/${name}/documents`, body);
        toast.ok(`Document ${created.id} created`);
        void qc.invalidateQueries({ queryKey });
      }
      setOpen(null);
      setCreating(false);
    } catch (e) {
      // Shown in the document's form; a conflict also reloads the list under it.
      if (e instanceof ApiError && e.status === 409) void docs.refetch();
      throw e;
    }
  };
  const onDelete = async (doc: Doc) => {
    if (
      !(await confirmDanger({
        title: 'Delete this document?',
        body: `Document ${doc.id} is deleted; relations apply their onDelete.`,
        confirm: 'Delete',
      }))
    )
      return;
    try {
      await api('DELETE', `/v1/apps/${appId}/collections/${name}/documents/${doc.id}`, undefined, {
        headers: { 'If-Match': `"${doc.version}"` },
      });
      toast.ok('Document deleted');
      void qc.invalidateQueries({ queryKey });
    } catch (e) {
      conflict(e);
    }
  };
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = docs;
  const loadMore = useCallback(() => void fetchNextPage(), [fetchNextPage]);
  const setParam = (k: string, v: string | null) => {
    const next = new URLSearchParams(params);
    if (v === null) next.delete(k);
    else next.set(k, v);
    setParams(next, { replace: true });
  };
  const wait = queryFallback(col);
  if (wait) return wait;
  const fields = col.data!.fields;
  const columns = [...SYSTEM_COLUMNS, ...fields.map((f) => f.name)];
  return (
    <>
      <PageHeader
        title={`Data: ${name}`}
        crumbs={[
          { label: 'App', to: `/apps/${appId}` },
          { label: 'Collections', to: `/apps/${appId}/collections` },
        ]}
        description={
          <Group gap="xs">
            <Tooltip label={filter ? 'Exact count of matching documents' : 'Estimated from collection statistics'}>
              <Badge variant="light" data-testid="doc-count">
                {count === undefined ? '…' : `${filter ? '' : '≈ '}${count.toLocaleString()} documents`}
              </Badge>
            </Tooltip>
            <Text size="xs" c="dimmed" data-testid="loaded-count">
              {rows.length.toLocaleString()} loaded
            </Text>
          </Group>
        }
        actions={
          <>
            <Button
              component={Link}
              to={`/apps/${appId}/collections/${name}`}
              variant="default"
              leftSection={<IconSchema size={16} />}
            >
              Schema
            </Button>
            <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
              New document
            </Button>
          </>
        }
      />
      <Stack gap="sm">
        <FilterBar key={filter ?? ''} fields={fields} filter={filter} onApply={(f) => setParam('filter', f)} />
        <Group justify="space-between">
          <SortControl fields={fields} sort={sort} onChange={(s) => setParam('sort', s)} />
          <Group gap="xs">
            <ColumnChooser columns={columns} visibility={visibility} onChange={setVisibility} />
            <ImportButton
              appId={appId}
              collection={name}
              fields={fields}
              onDone={() => void qc.invalidateQueries({ queryKey: ['apps', appId, 'docs', name] })}
            />
            <ExportButton
              appId={appId}
              collection={name}
              filter={filter}
              sort={sort}
              total={count}
              columns={columns.filter((c) => visibility[c] !== false)}
            />
          </Group>
        </Group>
        <QueryView
          query={docs}
          loadingLabel="Loading documents…"
          empty={{
            title: filter ? 'No document matches this filter' : 'No documents yet',
            description: 'Create one with “New document”.',
          }}
        >
          {() => (
            <Grid
              appId={appId}
              docs={rows}
              fields={fields}
              visibility={visibility}
              hasMore={!!hasNextPage}
              loadingMore={isFetchingNextPage}
              loadMore={loadMore}
              onEdit={onEdit}
              onOpen={setOpen}
              onDelete={(d) => void onDelete(d)}
            />
          )}
        </QueryView>
      </Stack>
      <DocumentModal
        doc={open}
        creating={creating}
        onClose={() => {
          setOpen(null);
          setCreating(false);
        }}
        onSave={onSave}
        reload={(doc) => api<Doc>('GET', `/v1/apps/${appId}/collections/${name}/documents/${doc.id}`)}
      />
    </>
  );
}
