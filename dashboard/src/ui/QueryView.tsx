import { Box, Skeleton, Stack, VisuallyHidden } from '@mantine/core';
import type { ReactNode } from 'react';
import { Empty, ErrorState } from './feedback';

/**
 * The part of a TanStack query (plain or infinite) a page shows: its data, its error, a refetch.
 * Data still undefined without an error means loading (or a query not enabled yet).
 */
export interface QueryState<T> {
  data: T | undefined;
  error: unknown;
  refetch: () => unknown;
}

export interface EmptyView {
  title: string;
  /** Why it is empty, or what fills it. */
  description?: ReactNode;
  /** A call to action (e.g. the button that creates the first one). */
  action?: ReactNode;
}

/** A list answer (`{ items }`) or an infinite query's pages of them. */
const hasNoItems = (data: unknown): boolean => {
  const d = data as { items?: unknown; pages?: unknown } | null;
  if (Array.isArray(d?.items)) return d.items.length === 0;
  if (Array.isArray(d?.pages)) return (d.pages as unknown[]).every(hasNoItems);
  return false;
};

/** A page-shaped loading state: a few grey rows where the content will be, announced to screen readers. */
export function LoadingSkeleton({ rows = 4, label = 'Loading…' }: { rows?: number; label?: string }) {
  return (
    <Stack gap="sm" p="md" role="status" aria-live="polite" aria-busy>
      <VisuallyHidden>{label}</VisuallyHidden>
      <Skeleton height={14} width="35%" radius="sm" />
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} height={28} radius="sm" />
      ))}
    </Stack>
  );
}

/**
 * For a page that needs its query's data before anything else: the skeleton or the error (with
 * a retry; it replaces stale data, as a page cannot be half shown), else null — `const wait = queryFallback(app); if (wait) return wait;`.
 */
export function queryFallback<T>(
  query: QueryState<T>,
  options: { loadingLabel?: string; skeletonRows?: number } = {},
): ReactNode | null {
  if (query.error) return <ErrorState error={query.error} retry={() => void query.refetch()} />;
  if (query.data === undefined) return <LoadingSkeleton rows={options.skeletonRows} label={options.loadingLabel} />;
  return null;
}

/**
 * One way to show a query everywhere: a skeleton while it loads, the contract error (code,
 * message) with a retry when it failed, an empty state (with an optional call to action) when the
 * list is empty, otherwise `children(data)`. A refetch that fails while data is shown keeps the
 * data on screen under the error instead of replacing it.
 */
export function QueryView<T>(props: {
  query: QueryState<T>;
  children: (data: T) => ReactNode;
  /** Shown when `isEmpty(data)`; by default a list with no items (or infinite pages with none). */
  empty?: EmptyView;
  isEmpty?: (data: T) => boolean;
  loadingLabel?: string;
  skeletonRows?: number;
  /** Offer "Try again" on an error (default true). */
  retry?: boolean;
}) {
  const { query, empty } = props;
  const retry = props.retry === false ? undefined : () => void query.refetch();
  if (query.data === undefined)
    return query.error ? <ErrorState error={query.error} retry={retry} /> : queryFallback(query, props);
  const data = query.data;
  const content =
    empty && (props.isEmpty ?? hasNoItems)(data) ? (
      <Empty title={empty.title} action={empty.action}>
        {empty.description}
      </Empty>
    ) : (
      props.children(data)
    );
  if (!query.error) return content;
  return (
    <>
      <Box p="xs">
        <ErrorState error={query.error} retry={retry} />
      </Box>
      {content}
    </>
  );
}
