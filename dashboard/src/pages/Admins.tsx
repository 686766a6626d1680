import { Badge, Button, Paper, PasswordInput, Table, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconUserPlus } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type AdminUser } from '../api/client';
import type { Page } from '../api/types';
import { useSession } from '../layout/RequireAdmin';
import { confirmDanger, formatDate, toast } from '../ui/feedback';
import { FormModal } from '../ui/FormModal';
import { QueryView } from '../ui/QueryView';
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
      closeInvite();
      setEmail('');
      setPassword('');
      void qc.invalidateQueries({ queryKey: ['admins'] });
    },
  });
  const closeInvite = () => {
    invite.reset();
    close();
  };
  const remove = useMutation({
    mutationFn: (a: AdminUser) => api('DELETE', `/v1/admin/admins/${a.id}`),
    onSuccess: () => {
      toast.ok('Admin removed');
      void qc.invalidateQueries({ queryKey: ['admins'] });
    },
    onError: (e) => toast.error(e),
  });
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
        <QueryView query={list}>
          {(data) => (
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
                {data.items.map((a) => (
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
        </QueryView>
      </Paper>
      <FormModal
        opened={opened}
        onClose={closeInvite}
        title="Invite an admin"
        submitLabel="Invite"
        onSubmit={() => invite.mutate()}
        pending={invite.isPending}
        error={invite.error}
      >
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
      </FormModal>
    </>
  );
}
