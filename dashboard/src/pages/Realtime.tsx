import { Alert, Badge, Button, Code, Group, Paper, SimpleGrid, Table, Text, Title } from '@mantine/core';
import { IconPlayerPause, IconPlayerPlay, IconTrash } from '@tabler/icons-react';
import { Fragment, useState } from 'react';
import { useParams } from 'react-router';
import { TAIL_SIZE, useEventTail, useRealtimeStats, type TailState } from '../api/realtime';
import { Empty, formatDate } from '../ui/feedback';
import { QueryView } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';

const TAIL_COLOR: Record<TailState, string> = { connecting: 'gray', live: 'teal', paused: 'yellow', error: 'red' };
const TYPE_COLOR: Record<string, string> = { create: 'teal', update: 'blue', delete: 'red' };

/** The realtime monitor: connections, subscriptions, channels and replicas (polled), and a live tail of every change. */
export default function Realtime() {
  const { appId = '' } = useParams();
  const stats = useRealtimeStats(appId);
  return (
    <>
      <PageHeader
        title="Realtime"
        crumbs={[{ label: 'App', to: `/apps/${appId}` }]}
        description="Who is connected and listening, refreshed every 3 seconds, and every change as it happens."
      />
      <QueryView query={stats}>
        {(s) => (
          <>
            {s.missingReplicas > 0 && (
              <Alert color="yellow" title="Some servers did not answer" mb="md">
                {s.missingReplicas} replica(s) did not answer in time: their connections are missing from these numbers.
              </Alert>
            )}
            <SimpleGrid cols={{ base: 2, md: 3, lg: 6 }} mb="lg">
              <Stat
                label="Connections"
                value={s.connections}
                testId="stat-connections"
                hint={`limit ${s.connectionLimit.max.toLocaleString()} per ${s.connectionLimit.scope}`}
              />
              <Stat label="Of which dashboards" value={s.adminConnections} />
              <Stat label="Subscriptions" value={s.subscriptions.total} testId="stat-subscriptions" />
              <Stat label="Deliveries / s" value={Math.round(s.deliveriesPerSecond * 10) / 10} hint="last 10 s" />
              <Stat label="Delivered" value={s.deliveredTotal} hint="since the servers started" />
              <Stat label="Slow clients dropped" value={s.droppedClients} />
            </SimpleGrid>
            <SimpleGrid cols={{ base: 1, lg: 3 }} mb="lg">
              <CountTable
                title="Subscriptions by collection"
                head={['Collection', 'Subscriptions']}
                rows={s.subscriptions.byCollection.map((c) => [
                  c.collection === '*' ? '* (admin tails)' : c.collection,
                  c.subscriptions,
                ])}
                empty="No subscriptions"
                testId="by-collection"
              />
              <CountTable
                title="Channels"
                head={['Channel', 'Members']}
                rows={s.channels.map((c) => [c.channel, c.members])}
                empty="No channels with members"
                note={s.channelsTruncated ? 'The 500 largest channels are shown.' : undefined}
                testId="channels"
              />
              <CountTable
                title={`Servers (${s.scope === 'cluster' ? 'cluster' : 'this replica only'})`}
                head={['Replica', 'Connections', 'Deliveries / s']}
                rows={s.replicas.map((r) => [
                  r.replica.slice(0, 8),
                  r.connections,
                  Math.round(r.deliveriesPerSecond * 10) / 10,
                ])}
                empty="No replica answered"
              />
            </SimpleGrid>
            <Text size="xs" c="dimmed" mb="lg">
              Snapshot of {formatDate(s.at)}.
            </Text>
          </>
        )}
      </QueryView>
      <Tail appId={appId} />
    </>
  );
}

function Stat({ label, value, hint, testId }: { label: string; value: number; hint?: string; testId?: string }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      <Text fw={700} size="xl" data-testid={testId}>
        {value.toLocaleString()}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Paper>
  );
}

function CountTable(props: {
  title: string;
  head: string[];
  rows: (string | number)[][];
  empty: string;
  note?: string;
  testId?: string;
}) {
  return (
    <Paper withBorder p="sm">
      <Title order={2} size="h5" mb="xs">
        {props.title}
      </Title>
      {props.rows.length === 0 ? (
        <Text size="sm" c="dimmed">
          {props.empty}
        </Text>
      ) : (
        <Table fz="sm" data-testid={props.testId}>
          <Table.Thead>
            <Table.Tr>
              {props.head.map((h) => (
                <Table.Th key={h}>{h}</Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {props.rows.map((r) => (
              <Table.Tr key={String(r[0])}>
                {r.map((c, i) => (
                  <Table.Td key={i}>{typeof c === 'number' ? c.toLocaleString() : c}</Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {props.note && (
        <Text size="xs" c="dimmed" mt={4}>
          {props.note}
        </Text>
      )}
    </Paper>
  );
}

function Tail({ appId }: { appId: string }) {
  const tail = useEventTail(appId);
  const [open, setOpen] = useState<number | null>(null);
  const paused = tail.state === 'paused';
  return (
    <>
      <Group justify="space-between" mb="sm">
        <Group gap="sm">
          <Title order={2} size="h3">
            Live events
          </Title>
          <Badge color={TAIL_COLOR[tail.state]} variant="light" data-testid="tail-state">
            {tail.state}
          </Badge>
        </Group>
        <Group gap="xs">
          <Button
            variant="default"
            size="xs"
            leftSection={paused ? <IconPlayerPlay size={14} /> : <IconPlayerPause size={14} />}
            onClick={() => tail.setPaused(!paused)}
            disabled={tail.state !== 'live' && !paused}
          >
            {paused ? 'Resume' : 'Pause'}
          </Button>
          <Button variant="default" size="xs" leftSection={<IconTrash size={14} />} onClick={tail.clear}>
            Clear
          </Button>
        </Group>
      </Group>
      {tail.error && (
        <Alert color="red" title="The live tail is not connected" mb="sm" role="alert">
          <Group justify="space-between">
            <span>{tail.error}</span>
            <Button size="xs" variant="light" color="red" onClick={tail.reconnect}>
              Reconnect
            </Button>
          </Group>
        </Alert>
      )}
      <Paper withBorder>
        {tail.events.length === 0 ? (
          <Empty title="Waiting for changes">
            Every document created, changed or deleted in this app appears here (the newest {TAIL_SIZE}), as an admin
            sees it: rules do not apply.
          </Empty>
        ) : (
          <Table verticalSpacing="xs" data-testid="tail">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>At</Table.Th>
                <Table.Th>Collection</Table.Th>
                <Table.Th>Change</Table.Th>
                <Table.Th>Document</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {tail.events.map((e) => (
                <Fragment key={e.seq}>
                  <Table.Tr data-testid="tail-row">
                    <Table.Td>{formatDate(e.at)}</Table.Td>
                    <Table.Td>{e.collection}</Table.Td>
                    <Table.Td>
                      <Badge color={TYPE_COLOR[e.type] ?? 'gray'} variant="light">
                        {e.type}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Button
                        variant="subtle"
                        size="compact-sm"
                        ff="monospace"
                        aria-expanded={open === e.seq}
                        onClick={() => setOpen(open === e.seq ? null : e.seq)}
                      >
                        {String(e.document?.id ?? '(document)')}
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                  {open === e.seq && (
                    <Table.Tr>
                      <Table.Td colSpan={4}>
                        <Code block>{JSON.stringify(e.document, null, 2)}</Code>
                      </Table.Td>
                    </Table.Tr>
                  )}
                </Fragment>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Paper>
    </>
  );
}
