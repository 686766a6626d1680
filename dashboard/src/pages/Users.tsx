import type { AuthUser } from '@hearth/sdk';
import { Anchor, Badge, Button, Group, Paper, Select, Table, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { qs } from '../api/queries';
import type { Page } from '../api/types';
import { formatDate } from '../ui/feedback';
import { QueryView } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';

/** An app's users: search by email prefix, role, anonymous; open one for details. */
export default function Users() {
  const { appId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const email = params.get('email') ?? '';
  const role = params.get('role') ?? '';
  const kind = params.get('kind') ?? '';
  const [debounced] = useDebouncedValue(email, 250);
  const list = useInfiniteQuery({
    queryKey: ['apps', appId, 'users', debounced, role, kind],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api<Page<AuthUser>>(
        'GET',
        `/v1/admin/apps/${appId}/users${qs({ limit: 50, after: pageParam, email: debounced, role, anonymous: kind === '' ? undefined : kind === 'anonymous' })}`,
      ),
    getNextPageParam: (p) => p.next,
  });
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  };
  const users = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title="Users" crumbs={[{ label: 'App', to: `/apps/${appId}` }]} />
      <Group mb="md" align="flex-end">
        <TextInput
          label="Email starts with"
          value={email}
          onChange={(e) => set('email', e.currentTarget.value)}
          w={240}
        />
        <TextInput label="Role" value={role} onChange={(e) => set('role', e.currentTarget.value)} w={160} />
        <Select
          label="Kind"
          data={[
            { value: '', label: 'Everyone' },
            { value: 'registered', label: 'With an account' },
            { value: 'anonymous', label: 'Anonymous' },
          ]}
          value={kind}
          onChange={(v) => set('kind', v ?? '')}
          allowDeselect={false}
          w={180}
        />
      </Group>
      <Paper withBorder>
        <QueryView
          query={list}
          empty={{ title: 'No users found', description: 'Users appear here when they sign up through the app.' }}
        >
          {() => (
            <Table highlightOnHover verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Roles</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Last sign-in</Table.Th>
                  <Table.Th>Created</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {users.map((u) => (
                  <Table.Tr key={u.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/apps/${appId}/users/${u.id}`}>
                        {u.email ?? `anonymous ${u.id}`}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      {u.roles.map((r) => (
                        <Badge key={r} size="sm" variant="light" mr={4}>
                          {r}
                        </Badge>
                      ))}
                    </Table.Td>
                    <Table.Td>
                      {u.disabled ? (
                        <Badge color="red">disabled</Badge>
                      ) : u.emailVerified ? (
                        <Badge color="teal">verified</Badge>
                      ) : (
                        <Badge color="gray">unverified</Badge>
                      )}
                    </Table.Td>
                    <Table.Td>{formatDate(u.lastSignInAt)}</Table.Td>
                    <Table.Td>{formatDate(u.createdAt)}</Table.Td>
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
