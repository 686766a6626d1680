import { Anchor, Button, Group, Paper, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useApp, useCollections } from '../api/queries';
import { useAppStats, type StatsWindow } from '../api/stats';
import { CopyValue, ErrorState, formatBytes, formatDate } from '../ui/feedback';
import { queryFallback, QueryView } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';

/** A bar per slice of the window (requests, errors in red): enough to see a spike. */
function Bars({ series }: { series: Array<{ at: string; requests: number; errors: number }> }) {
  const max = Math.max(1, ...series.map((s) => s.requests));
  return (
    <svg
      viewBox={`0 0 ${series.length * 6} 24`}
      width="100%"
      height={24}
      role="img"
      aria-label="Requests over the window"
    >
      {series.map((s, i) => (
        <g key={s.at}>
          <rect
            x={i * 6}
            y={24 - (s.requests / max) * 24}
            width={4}
            height={(s.requests / max) * 24}
            fill="var(--mantine-primary-color-filled)"
          />
          <rect
            x={i * 6}
            y={24 - (s.errors / max) * 24}
            width={4}
            height={(s.errors / max) * 24}
            fill="var(--mantine-color-red-filled)"
          />
        </g>
      ))}
    </svg>
  );
}

function Stat({
  label,
  value,
  hint,
  chart,
}: {
  label: string;
  value: string;
  hint?: string;
  chart?: Array<{ at: string; requests: number; errors: number }>;
}) {
  return (
    <Paper withBorder p="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      <Text fw={700} size="xl" mt={4}>
        {value}
      </Text>
      {chart && <Bars series={chart} />}
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
  const [win, setWin] = useState<StatsWindow>('24h');
  const stats = useAppStats(appId, win);
  const wait = queryFallback(app);
  if (wait) return wait;
  const a = app.data!;
  const st = stats.data;
  const counts = Object.fromEntries((st?.documents.collections ?? []).map((c) => [c.name, c.count]));
  const n = (v: number | undefined) => (v === undefined ? '…' : v.toLocaleString());
  const span = win === '1h' ? 'the last hour' : 'the last 24 h';
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
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4">
          Activity
        </Title>
        <SegmentedControl
          aria-label="Window"
          size="xs"
          value={win}
          onChange={(v) => setWin(v as StatsWindow)}
          data={[
            { value: '1h', label: 'Last hour' },
            { value: '24h', label: 'Last 24 h' },
          ]}
        />
      </Group>
      {stats.error && <ErrorState error={stats.error} retry={() => void stats.refetch()} />}
      <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} mb="lg" data-testid="overview-stats">
        <Stat
          label="Requests"
          value={n(st?.traffic.requests)}
          hint={
            st
              ? `${st.traffic.clientErrors.toLocaleString()} client errors in ${span} (this server process)`
              : undefined
          }
          chart={st?.traffic.series}
        />
        <Stat
          label="Server errors"
          value={n(st?.traffic.serverErrors)}
          hint={
            st && st.traffic.requests
              ? `${((st.traffic.serverErrors / st.traffic.requests) * 100).toFixed(2)} % of requests`
              : 'no requests yet'
          }
        />
        <Stat
          label="Active users"
          value={n(st?.users.active)}
          hint={st ? `signed in within ${span}, of ${st.users.total.toLocaleString()} users` : undefined}
        />
        <Stat
          label="Documents"
          value={n(st?.documents.total)}
          hint={st ? `estimated, in ${st.documents.collections.length} collections` : undefined}
        />
        <Stat
          label="Storage"
          value={st ? formatBytes(st.storage.bytes) : '…'}
          hint={st ? `${st.storage.files.toLocaleString()} files` : undefined}
        />
        <Stat
          label="Jobs"
          value={st ? `${(st.jobs.waiting + st.jobs.delayed + st.jobs.active).toLocaleString()} queued` : '…'}
          hint={
            st
              ? `${st.jobs.active} running · ${st.jobs.completed} done · ${st.jobs.failed} failed in ${span}${st.jobs.capped ? ' (at least)' : ''}`
              : undefined
          }
        />
      </SimpleGrid>
      <Stack gap="xs">
        <Title order={2} size="h4">
          Collections
        </Title>
        <Paper withBorder>
          <QueryView query={cols}>
            {(data) => (
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
                  {data.items.map((c) => (
                    <Table.Tr key={c.name}>
                      <Table.Td>
                        <Anchor component={Link} to={`/apps/${appId}/collections/${c.name}/data`}>
                          {c.name}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>{c.fields.length}</Table.Td>
                      <Table.Td>{counts[c.name]?.toLocaleString() ?? '…'}</Table.Td>
                      <Table.Td>{formatDate(c.updatedAt)}</Table.Td>
                    </Table.Tr>
                  ))}
                  {data.items.length === 0 && (
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
          </QueryView>
        </Paper>
      </Stack>
    </>
  );
}
