import { Alert, Anchor, Button, Group, Paper, Stack, Table, Text, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import { keys, useApps } from '../api/queries';
import type { CreatedApp } from '../api/types';
import { CopyValue, formatDate, toast } from '../ui/feedback';
import { FormModal } from '../ui/FormModal';
import { QueryView } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';

/** Every app on this server; create one (its secret key is shown once). */
export default function Apps() {
  const apps = useApps();
  const [opened, { open, close }] = useDisclosure();
  return (
    <>
      <PageHeader
        title="Apps"
        description="Each app has its own collections, users, files and keys."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={open}>
            Create app
          </Button>
        }
      />
      <Paper withBorder>
        <QueryView
          query={apps}
          empty={{
            title: 'No apps yet',
            description: 'Create your first app to get its keys.',
            action: (
              <Button variant="light" leftSection={<IconPlus size={16} />} onClick={open}>
                Create your first app
              </Button>
            ),
          }}
        >
          {(data) => (
            <Table highlightOnHover verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>App id</Table.Th>
                  <Table.Th>Created</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((a) => (
                  <Table.Tr key={a.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/apps/${a.id}`} fw={600}>
                        {a.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      <Text ff="monospace" size="sm">
                        {a.id}
                      </Text>
                    </Table.Td>
                    <Table.Td>{formatDate(a.createdAt)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </QueryView>
      </Paper>
      <CreateAppModal opened={opened} onClose={close} />
    </>
  );
}

function CreateAppModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: (n: string) => api<CreatedApp>('POST', '/v1/admin/apps', { name: n }),
    onSuccess: (app) => {
      toast.ok(`App ${app.name} created`);
      void qc.invalidateQueries({ queryKey: keys.apps });
    },
  });
  const done = () => {
    create.reset();
    setName('');
    onClose();
  };
  const created = create.data;
  return (
    <FormModal
      opened={opened}
      onClose={done}
      title={created ? `${created.name} is ready` : 'Create an app'}
      size="lg"
      submitLabel="Create app"
      onSubmit={() => create.mutate(name.trim())}
      pending={create.isPending}
      error={create.error}
      result={
        created && (
          <Stack>
            <Alert color="yellow" title="Copy the secret key now">
              It is shown only once. The secret key bypasses rules: keep it on servers, never in an app.
            </Alert>
            <Text size="sm" fw={600}>
              App id
            </Text>
            <CopyValue value={created.id} label="app id" testId="app-id" />
            <Text size="sm" fw={600}>
              Public key (for apps)
            </Text>
            <CopyValue value={created.keys.public} label="public key" testId="public-key" />
            <Text size="sm" fw={600}>
              Secret key (for servers)
            </Text>
            <CopyValue value={created.keys.secret} label="secret key" testId="secret-key" />
            <Group justify="flex-end">
              <Button component={Link} to={`/apps/${created.id}`} onClick={done}>
                Open the app
              </Button>
            </Group>
          </Stack>
        )
      }
    >
      <TextInput
        label="Name"
        name="appName"
        value={name}
        onChange={(e) => setName(e.currentTarget.value)}
        required
        maxLength={100}
        data-autofocus
      />
    </FormModal>
  );
}
