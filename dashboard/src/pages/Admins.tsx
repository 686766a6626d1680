import { Badge, Button, Group, Modal, Paper, PasswordInput, Stack, Table, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconUserPlus } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, type AdminUser } from '../api/client';
import type { Page } from '../api/types';
import { useSession } from '../layout/RequireAdmin';
import { confirmDanger, ErrorState, formatDate, Loading, toast } from '../ui/feedback';
import { PageHeader } from '../ui/PageHeader';

/** The server's admins: invite one (with an initial password), remove one (not yourself). */
export default function Admins() {
  const me = useSession();
  const qc = useQueryClient();
  const list = useQuery({
    queryKey: ['admins'],
    queryFn: () => api<Page<AdminUser>>('GET', '/v1/admin/admins?limit=200'),
  });
  const [opened, { open, close }] = useDisclosure();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const invite = useMutation({
    mutationFn: () => api<AdminUser>('POST', '/v1/admin/admins', { email, password }),
    onSuccess: (a) => {
      toast.ok(`${a.email} can now sign in`);
      close();
      setEmail('');
      setPassword('');
      void qc.invalidateQueries({ queryKey: ['admins'] });
    },
    onError: (e) => toast.error(e),
  });
  const remove = useMutation({
    mutationFn: (a: AdminUser) => api('DELETE', `/v1/admin/admins/${a.id}`),
    onSuccess: () => {
      toast.ok('Admin removed');
      void qc.invalidateQueries({ queryKey: ['admins'] });
    },
    onError: (e) => toast.error(e),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    invite.mutate();
  };
  return (
    <>
      <PageHeader
        title="Admins"
        description="Admins manage every app on this server."
        actions={
          <Button leftSection={<IconUserPlus size={16} />} onClick={open}>
            Invite admin
          </Button>
        }
      />
      <Paper withBorder>
        {list.isLoading ? (
          <Loading />
        ) : list.error ? (
          <ErrorState error={list.error} retry={() => void list.refetch()} />
        ) : (
          <Table verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Email</Table.Th>
                <Table.Th>Added</Table.Th>
                <Table.Th>
                  <span className="sr-only">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data!.items.map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Td>
                    {a.email} {a.id === me?.user.id && <Badge size="sm">you</Badge>}
                  </Table.Td>
                  <Table.Td>{formatDate(a.createdAt)}</Table.Td>
                  <Table.Td>
                    {a.id !== me?.user.id && (
                      <Button
                        size="compact-sm"
                        variant="subtle"
                        color="red"
                        onClick={async () => {
                          if (
                            await confirmDanger({
                              title: `Remove ${a.email}?`,
                              body: 'They are signed out and can no longer sign in.',
                              confirm: 'Remove admin',
                            })
                          )
                            remove.mutate(a);
                        }}
                      >
                        Remove
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Paper>
      <Modal opened={opened} onClose={close} title="Invite an admin">
        <form onSubmit={submit}>
          <Stack>
            <TextInput
              label="Email"
              type="email"
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
              required
              data-autofocus
            />
            <PasswordInput
              label="Initial password"
              description="At least 10 characters; share it with them privately."
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              required
              minLength={10}
              autoComplete="new-password"
            />
            <Group justify="flex-end">
              <Button type="submit" loading={invite.isPending}>
                Invite
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
