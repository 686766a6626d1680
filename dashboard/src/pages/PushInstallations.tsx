import { Badge, Button, Code, Group, Paper, Select, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { pushApi, pushKeys, type Installation } from '../api/push';
import { formatDate } from '../ui/feedback';
import { QueryView } from '../ui/QueryView';

/** The address of a device, shortened: a token's ends, or a web endpoint's host. */
export function deviceLabel(i: Installation): string {
  if (i.endpoint) {
    try {
      return new URL(i.endpoint).host;
    } catch {
      return i.endpoint.slice(0, 24);
    }
  }
  return i.token ? `${i.token.slice(0, 8)}…${i.token.slice(-6)}` : '—';
}

/** An app's devices: filter by platform, channel or user; cursor pages. */
export function PushInstallations({ appId }: { appId: string }) {
  const [platform, setPlatform] = useState<string | null>(null);
  const [channel, setChannel] = useState('');
  const [userId, setUserId] = useState('');
  const q = { platform, channel: channel.trim() || null, userId: userId.trim() || null };
  const list = useInfiniteQuery({
    queryKey: [...pushKeys.all(appId), 'installations', q],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => pushApi.installations(appId, { ...q, after: pageParam }),
    getNextPageParam: (p) => p.next,
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <Group mb="sm" align="flex-end">
        <Select
          label="Platform"
          placeholder="Any"
          data={['ios', 'android', 'web']}
          value={platform}
          onChange={setPlatform}
          clearable
          w={140}
        />
        <TextInput
          label="Channel"
          placeholder="news"
          value={channel}
          onChange={(e) => setChannel(e.currentTarget.value)}
        />
        <TextInput label="User id" value={userId} onChange={(e) => setUserId(e.currentTarget.value)} />
      </Group>
      <Paper withBorder>
        <QueryView
          query={list}
          empty={{
            title: 'No installations',
            description: 'Devices appear here when an app registers them with the SDK.',
          }}
        >
          {() => <InstallationTable appId={appId} rows={rows} />}
        </QueryView>
      </Paper>
      {list.hasNextPage && (
        <Group justify="center" mt="md">
          <Button variant="default" onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
            Load more
          </Button>
        </Group>
      )}
    </>
  );
}

export function InstallationTable({ appId, rows }: { appId: string; rows: Installation[] }) {
  return (
    <Table verticalSpacing="xs" highlightOnHover data-testid="installations">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Platform</Table.Th>
          <Table.Th>Device</Table.Th>
          <Table.Th>User</Table.Th>
          <Table.Th>Channels</Table.Th>
          <Table.Th>Locale / zone</Table.Th>
          <Table.Th>State</Table.Th>
          <Table.Th>Registered</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((i) => (
          <Table.Tr key={i.id}>
            <Table.Td>
              <Badge variant="light">{i.platform}</Badge>
            </Table.Td>
            <Table.Td>
              <Code>{deviceLabel(i)}</Code>
            </Table.Td>
            <Table.Td>
              {i.userId ? (
                <Text component={Link} to={`/apps/${appId}/users/${i.userId}`} size="sm" c="blue">
                  {i.userId}
                </Text>
              ) : (
                <Text size="sm" c="dimmed">
                  anonymous
                </Text>
              )}
            </Table.Td>
            <Table.Td>{i.channels.join(', ') || '—'}</Table.Td>
            <Table.Td>
              {i.locale ?? '—'} / {i.timeZone ?? '—'}
            </Table.Td>
            <Table.Td>
              {i.active ? (
                <Badge color="teal" variant="light">
                  active
                </Badge>
              ) : (
                <Tooltip label={i.deactivatedReason ?? 'deactivated'}>
                  <Badge color="gray" variant="light">
                    inactive
                  </Badge>
                </Tooltip>
              )}
            </Table.Td>
            <Table.Td>{formatDate(i.createdAt)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
