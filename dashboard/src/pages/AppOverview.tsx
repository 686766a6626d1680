import { Anchor, Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api } from '../api/client';
import { qs, useApp, useCollections } from '../api/queries';
import type { AppUser, Page } from '../api/types';
import { CopyValue, ErrorState, formatBytes, formatDate, Loading } from '../ui/feedback';
import { PageHeader } from '../ui/PageHeader';

/** Requests and errors served, from the server's Prometheus metrics (server-wide: not labelled per app). */
async function serverTraffic(): Promise<{ requests: number; errors: number } | null> {
  const res = await fetch('/metrics');
  if (!res.ok) return null;
  let requests = 0;
  let errors = 0;
  for (const line of (await res.text()).split('\n')) {
    const m = /^hearth_http_requests_total\{.*status="(\d+)".*\}\s+([\d.e+]+)$/.exec(line);
    if (!m) continue;
    const n = Number(m[2]);
    requests += n;
    if (Number(m[1]) >= 500) errors += n;
  }
  return { requests, errors };
}

function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <Paper withBorder p="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      <Text fw={700} size="xl" mt={4}>
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Paper>
  );
}

export default function AppOverview() {
  const { appId = '' } = useParams();
  const app = useApp(appId);
  const cols = useCollections(appId);
  const usage = useQuery({
    queryKey: ['apps', appId, 'files', 'usage'],
    queryFn: () =>
      api<{ files: number; bytes: number; quotaBytes: number | null }>('GET', `/v1/admin/apps/${appId}/files/usage`),
  });
  const users = useQuery({
    queryKey: ['apps', appId, 'users', 'overview'],
    queryFn: () => api<Page<AppUser>>('GET', `/v1/admin/apps/${appId}/users${qs({ limit: 100 })}`),
  });
  const traffic = useQuery({ queryKey: ['metrics'], queryFn: serverTraffic, refetchInterval: 15_000 });
  const counts = useQuery({
    queryKey: ['apps', appId, 'collections', 'counts', cols.data?.items.map((c) => c.name)],
    enabled: !!cols.data,
    queryFn: async () =>
      Object.fromEntries(
        await Promise.all(
          cols.data!.items.map(async (c) => {
            const page = await api<Page<unknown>>(
              'GET',
              `/v1/apps/${appId}/collections/${c.name}/documents${qs({ limit: 1, count: 'estimated', fields: 'id' })}`,
            );
            return [c.name, page.count ?? 0] as const;
          }),
        ),
      ) as Record<string, number>,
  });
  if (app.isLoading) return <Loading />;
  if (app.error) return <ErrorState error={app.error} retry={() => void app.refetch()} />;
  const a = app.data!;
  const day = Date.now() - 86_400_000;
  const active = users.data?.items.filter((u) => u.lastSignInAt && Date.parse(u.lastSignInAt) > day).length;
  const usersLabel = users.data ? `${users.data.items.length}${users.data.next ? '+' : ''}` : '…';
  return (
    <>
      <PageHeader
        title={a.name}
        crumbs={[{ label: 'Apps', to: '/apps' }]}
        description={<CopyValue value={a.id} label="app id" />}
        actions={
          <Button component={Link} to={`/apps/${appId}/settings`} variant="default">
            Settings
          </Button>
        }
      />
      <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} mb="lg">
        <Stat
          label="Users"
          value={usersLabel}
          hint={active !== undefined ? `${active} signed in in 24 h` : undefined}
        />
        <Stat label="Collections" value={cols.data ? String(cols.data.items.length) : '…'} />
        <Stat
          label="Storage"
          value={usage.data ? formatBytes(usage.data.bytes) : '…'}
          hint={
            usage.data
              ? `${usage.data.files} files${usage.data.quotaBytes ? ` of ${formatBytes(usage.data.quotaBytes)} quota` : ''}`
              : undefined
          }
        />
        <Stat
          label="Requests (server)"
          value={traffic.data ? String(traffic.data.requests) : '—'}
          hint={traffic.data ? `${traffic.data.errors} server errors since start` : 'metrics not readable'}
        />
      </SimpleGrid>
      <Stack gap="xs">
        <Title order={2} size="h4">
          Collections
        </Title>
        <Paper withBorder>
          {cols.isLoading ? (
            <Loading />
          ) : cols.error ? (
            <ErrorState error={cols.error} />
          ) : (
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Fields</Table.Th>
                  <Table.Th>Documents (estimated)</Table.Th>
                  <Table.Th>Changed</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {cols.data!.items.map((c) => (
                  <Table.Tr key={c.name}>
                    <Table.Td>
                      <Anchor component={Link} to={`/apps/${appId}/collections/${c.name}/data`}>
                        {c.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{c.fields.length}</Table.Td>
                    <Table.Td>{counts.data?.[c.name]?.toLocaleString() ?? '…'}</Table.Td>
                    <Table.Td>{formatDate(c.updatedAt)}</Table.Td>
                  </Table.Tr>
                ))}
                {cols.data!.items.length === 0 && (
                  <Table.Tr>
                    <Table.Td colSpan={4}>
                      <Group justify="center" p="md">
                        <Text c="dimmed" size="sm">
                          No collections yet.{' '}
                          <Anchor component={Link} to={`/apps/${appId}/collections`}>
                            Define one
                          </Anchor>
                        </Text>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                )}
              </Table.Tbody>
            </Table>
          )}
        </Paper>
      </Stack>
    </>
  );
}
