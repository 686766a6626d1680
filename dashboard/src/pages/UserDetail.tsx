import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  TagsInput,
  Text,
  Title,
} from '@mantine/core';
import type { AuthSession, AuthUser } from '@hearth/sdk';
import { IconUserShield } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../api/client';
import type { Page } from '../api/types';
import { confirmDanger, CopyValue, formatDate, toast } from '../ui/feedback';
import { queryFallback, QueryView } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';

interface Impersonation {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** One user: profile, roles, disable, verified, sessions (revoke), impersonate (audited), delete. */
export default function UserDetail() {
  const { appId = '', userId = '' } = useParams();
  const base = `/v1/admin/apps/${appId}/users/${userId}`;
  const qc = useQueryClient();
  const navigate = useNavigate();
  const user = useQuery({ queryKey: ['apps', appId, 'users', userId], queryFn: () => api<AuthUser>('GET', base) });
  const sessions = useQuery({
    queryKey: ['apps', appId, 'users', userId, 'sessions'],
    queryFn: () => api<Page<AuthSession>>('GET', `${base}/sessions`),
  });
  const [roles, setRoles] = useState<string[]>([]);
  const [imp, setImp] = useState<Impersonation | null>(null);
  useEffect(() => setRoles(user.data?.roles ?? []), [user.data]);
  const refresh = () => void qc.invalidateQueries({ queryKey: ['apps', appId, 'users'] });
  const patch = useMutation({
    mutationFn: (body: Partial<AuthUser>) => api<AuthUser>('PATCH', base, body),
    onSuccess: (u) => {
      qc.setQueryData(['apps', appId, 'users', userId], u);
      refresh();
      toast.ok('User saved');
    },
    onError: (e) => toast.error(e),
  });
  const revoke = useMutation({
    mutationFn: (id: string | null) => api('DELETE', id ? `${base}/sessions/${id}` : `${base}/sessions`),
    onSuccess: () => {
      refresh();
      toast.ok('Signed out');
    },
    onError: (e) => toast.error(e),
  });
  const impersonate = useMutation({
    mutationFn: () => api<Impersonation>('POST', `${base}/impersonate`),
    onSuccess: (r) => {
      setImp(r);
      refresh();
    },
    onError: (e) => toast.error(e),
  });
  const remove = useMutation({
    mutationFn: () => api('DELETE', base),
    onSuccess: () => {
      toast.ok('User deleted');
      refresh();
      navigate(`/apps/${appId}/users`);
    },
    onError: (e) => toast.error(e),
  });
  const wait = queryFallback(user);
  if (wait) return wait;
  const u = user.data!;
  return (
    <>
      <PageHeader
        title={u.email ?? `Anonymous user ${u.id}`}
        crumbs={[
          { label: 'App', to: `/apps/${appId}` },
          { label: 'Users', to: `/apps/${appId}/users` },
        ]}
        description={<CopyValue value={u.id} label="user id" />}
        actions={
          <>
            <Button variant="default" component={Link} to={`/apps/${appId}/playground?user=${u.id}`}>
              Open in rules playground
            </Button>
            <Button
              variant="light"
              leftSection={<IconUserShield size={16} />}
              onClick={() => impersonate.mutate()}
              loading={impersonate.isPending}
            >
              Impersonate
            </Button>
          </>
        }
      />
      {imp && (
        <Alert color="yellow" title={`Impersonating ${u.email ?? u.id} — audited`} mb="md" data-testid="impersonation">
          <Stack gap="xs">
            <Text size="sm">
              These tokens act as this user for {Math.round(imp.expiresIn / 60)} minutes; the session is marked as
              impersonated and the audit log records it.
            </Text>
            <CopyValue value={imp.accessToken} label="access token" />
            <Group>
              <Button
                size="xs"
                color="yellow"
                onClick={() => {
                  revoke.mutate(imp.refreshToken.split('.')[0]!);
                  setImp(null);
                }}
              >
                End impersonation
              </Button>
            </Group>
          </Stack>
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }} mb="md">
        <Paper withBorder p="md">
          <Title order={2} size="h5" mb="sm">
            Account
          </Title>
          <Stack gap="xs">
            <Text size="sm">
              Created {formatDate(u.createdAt)} · last sign-in {formatDate(u.lastSignInAt)}
            </Text>
            <Group gap="xs">
              {u.anonymous && <Badge color="gray">anonymous</Badge>}
              {u.mfa.totp && <Badge color="blue">MFA</Badge>}
            </Group>
            <Switch
              label="Email verified"
              checked={u.emailVerified}
              onChange={(e) => patch.mutate({ emailVerified: e.currentTarget.checked })}
            />
            <Switch
              label="Disabled (cannot sign in; sessions end)"
              color="red"
              checked={u.disabled}
              onChange={async (e) => {
                const disabled = e.currentTarget.checked;
                if (
                  !disabled ||
                  (await confirmDanger({
                    title: 'Disable this user?',
                    body: 'They are signed out everywhere and cannot sign in.',
                    confirm: 'Disable',
                  }))
                )
                  patch.mutate({ disabled });
              }}
            />
            <Text size="sm" fw={600} mt="xs">
              Profile
            </Text>
            <Code block>{JSON.stringify(u.profile, null, 2)}</Code>
          </Stack>
        </Paper>
        <Paper withBorder p="md">
          <Title order={2} size="h5" mb="sm">
            Roles
          </Title>
          <TagsInput label="Roles" description="Rules can test @auth.roles." value={roles} onChange={setRoles} />
          <Group justify="flex-end" mt="sm">
            <Button size="xs" onClick={() => patch.mutate({ roles })} loading={patch.isPending}>
              Save roles
            </Button>
          </Group>
        </Paper>
      </SimpleGrid>
      <Paper withBorder p="md" mb="md">
        <Group justify="space-between" mb="sm">
          <Title order={2} size="h5">
            Sessions
          </Title>
          <Button
            size="xs"
            variant="light"
            color="red"
            onClick={() => revoke.mutate(null)}
            disabled={!sessions.data?.items.length}
          >
            Sign out everywhere
          </Button>
        </Group>
        <QueryView query={sessions}>
          {(data) => (
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Started</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th>How</Table.Th>
                  <Table.Th>Client</Table.Th>
                  <Table.Th>
                    <span className="sr-only">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((s) => (
                  <Table.Tr key={s.id}>
                    <Table.Td>{formatDate(s.createdAt)}</Table.Td>
                    <Table.Td>{formatDate(s.lastUsedAt)}</Table.Td>
                    <Table.Td>
                      {s.amr.join(', ')}{' '}
                      {s.impersonatedBy && (
                        <Badge color="yellow" size="sm">
                          impersonated
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>{[s.ip, s.userAgent].filter(Boolean).join(' · ') || '—'}</Table.Td>
                    <Table.Td>
                      <Button size="compact-xs" variant="subtle" color="red" onClick={() => revoke.mutate(s.id)}>
                        Revoke
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
                {data.items.length === 0 && (
                  <Table.Tr>
                    <Table.Td colSpan={5}>
                      <Text c="dimmed" size="sm">
                        No active sessions.
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                )}
              </Table.Tbody>
            </Table>
          )}
        </QueryView>
      </Paper>
      <Button
        color="red"
        variant="light"
        onClick={async () => {
          if (
            await confirmDanger({
              title: 'Delete this user?',
              body: 'The account, its sessions and links are deleted; its documents follow the app setting.',
              confirm: 'Delete user',
            })
          )
            remove.mutate();
        }}
      >
        Delete user
      </Button>
    </>
  );
}
