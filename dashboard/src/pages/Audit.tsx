import { Badge, Button, Code, Group, Paper, Select, Table, Text } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api, type AdminUser } from '../api/client';
import { qs } from '../api/queries';
import type { AuditEntry, Page } from '../api/types';
import { formatDate } from '../ui/feedback';
import { QueryView } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';

const ACTIONS = [
  'admin.setup',
  'admin.login',
  'admin.logout',
  'admin.create',
  'admin.delete',
  'app.create',
  'app.update',
  'app.delete',
  'key.create',
  'key.revoke',
  'collection.create',
  'collection.update',
  'collection.delete',
  'auth.settings.update',
  'auth.keys.rotate',
  'user.update',
  'user.delete',
  'user.impersonate',
  'user.session.revoke',
  'user.sessions.revoke',
  'file.delete',
  'files.settings.update',
];

/** Every admin action, newest first, filtered by action and admin (kept in the URL). */
export default function Audit() {
  const [params, setParams] = useSearchParams();
  const action = params.get('action');
  const adminId = params.get('admin');
  const admins = useQuery({
    queryKey: ['admins'],
    queryFn: () => api<Page<AdminUser>>('GET', '/v1/admin/admins?limit=200'),
  });
  const list = useInfiniteQuery({
    queryKey: ['audit', action, adminId],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api<Page<AuditEntry>>('GET', `/v1/admin/audit${qs({ limit: 50, after: pageParam, action, adminId })}`),
    getNextPageParam: (p) => p.next,
  });
  const set = (k: string, v: string | null) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  };
  const email = new Map((admins.data?.items ?? []).map((a) => [a.id, a.email]));
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title="Audit log" description="What admins did, when and from where." />
      <Group mb="md">
        <Select
          label="Action"
          placeholder="Any action"
          data={ACTIONS}
          value={action}
          onChange={(v) => set('action', v)}
          clearable
          searchable
          w={240}
        />
        <Select
          label="Admin"
          placeholder="Any admin"
          data={(admins.data?.items ?? []).map((a) => ({ value: a.id, label: a.email }))}
          value={adminId}
          onChange={(v) => set('admin', v)}
          clearable
          w={240}
        />
      </Group>
      <Paper withBorder>
        <QueryView query={list} empty={{ title: 'Nothing recorded for this filter' }}>
          {() => (
            <Table verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Action</Table.Th>
                  <Table.Th>Admin</Table.Th>
                  <Table.Th>Target</Table.Th>
                  <Table.Th>Details</Table.Th>
                  <Table.Th>IP</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((e) => (
                  <Table.Tr key={e.id}>
                    <Table.Td>{formatDate(e.at)}</Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={/delete|revoke|impersonate/.test(e.action) ? 'red' : 'blue'}>
                        {e.action}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{e.adminId ? (email.get(e.adminId) ?? e.adminId) : '—'}</Table.Td>
                    <Table.Td>{e.target ? `${e.target.type} ${e.target.id}` : '—'}</Table.Td>
                    <Table.Td>
                      {Object.keys(e.details).length ? (
                        <Code>{JSON.stringify(e.details)}</Code>
                      ) : (
                        <Text c="dimmed" size="sm">
                          —
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>{e.ip ?? '—'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
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
