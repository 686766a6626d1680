import { Alert, Badge, Button, Group, Paper, SegmentedControl, Table, TagsInput, Text, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams } from 'react-router';
import { api } from '../api/client';
import { keys } from '../api/queries';
import type { ApiKey, Page } from '../api/types';
import { confirmDanger, CopyValue, formatDate, toast } from '../ui/feedback';
import { FormModal } from '../ui/FormModal';
import { QueryView } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';

const SCOPES = [
  'documents:read',
  'documents:write',
  'documents:*',
  'files:read',
  'files:write',
  'users:read',
  'users:write',
];

const status = (k: ApiKey) =>
  k.revokedAt ? (
    <Badge color="gray">revoked</Badge>
  ) : k.expiresAt && Date.parse(k.expiresAt) < Date.now() ? (
    <Badge color="orange">expired</Badge>
  ) : (
    <Badge color="teal">active</Badge>
  );

/** An app's API keys: create (with scopes and expiry, the key shown once), rotate, revoke. */
export default function Keys() {
  const { appId = '' } = useParams();
  const qc = useQueryClient();
  const list = useQuery({
    queryKey: keys.keys(appId),
    queryFn: () => api<Page<ApiKey>>('GET', `/v1/admin/apps/${appId}/keys`),
  });
  const [shown, setShown] = useState<ApiKey | null>(null);
  const [opened, { open, close }] = useDisclosure();
  const refresh = () => void qc.invalidateQueries({ queryKey: keys.keys(appId) });
  const rotate = useMutation({
    mutationFn: (k: ApiKey) => api<ApiKey>('POST', `/v1/admin/apps/${appId}/keys/${k.id}/rotate`, { graceSeconds: 0 }),
    onSuccess: (k) => {
      setShown(k);
      refresh();
      toast.ok('Key rotated: the old one no longer works');
    },
    onError: (e) => toast.error(e),
  });
  const revoke = useMutation({
    mutationFn: (k: ApiKey) => api('DELETE', `/v1/admin/apps/${appId}/keys/${k.id}`),
    onSuccess: () => {
      refresh();
      toast.ok('Key revoked');
    },
    onError: (e) => toast.error(e),
  });
  return (
    <>
      <PageHeader
        title="API keys"
        crumbs={[
          { label: 'Apps', to: '/apps' },
          { label: 'App', to: `/apps/${appId}` },
        ]}
        description="Public keys go in apps (rules apply); secret keys stay on servers (rules are bypassed)."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={open}>
            Create key
          </Button>
        }
      />
      {shown?.key && (
        <Alert
          color="yellow"
          title={`New key “${shown.name}”: copy it now, it is shown only once`}
          mb="md"
          withCloseButton
          onClose={() => setShown(null)}
        >
          <CopyValue value={shown.key} label="key" testId="new-key" />
        </Alert>
      )}
      <Paper withBorder>
        <QueryView query={list} empty={{ title: 'No keys' }}>
          {(data) => (
            <Table verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>Prefix</Table.Th>
                  <Table.Th>Scopes</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>
                    <span className="sr-only">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((k) => (
                  <Table.Tr key={k.id}>
                    <Table.Td>{k.name}</Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={k.kind === 'secret' ? 'red' : 'blue'}>
                        {k.kind}
                      </Badge>
                    </Table.Td>
                    <Table.Td ff="monospace">{k.prefix}…</Table.Td>
                    <Table.Td>
                      {k.scopes.length ? (
                        k.scopes.join(', ')
                      ) : (
                        <Text c="dimmed" size="sm">
                          all
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>{k.expiresAt ? formatDate(k.expiresAt) : 'never'}</Table.Td>
                    <Table.Td>{formatDate(k.lastUsedAt)}</Table.Td>
                    <Table.Td>{status(k)}</Table.Td>
                    <Table.Td>
                      {!k.revokedAt && (
                        <Group gap="xs" wrap="nowrap">
                          <Button
                            size="compact-sm"
                            variant="default"
                            onClick={async () => {
                              if (
                                await confirmDanger({
                                  title: 'Rotate this key?',
                                  body: `“${k.name}” stops working now; a new key replaces it.`,
                                  confirm: 'Rotate',
                                })
                              )
                                rotate.mutate(k);
                            }}
                          >
                            Rotate
                          </Button>
                          <Button
                            size="compact-sm"
                            color="red"
                            variant="light"
                            onClick={async () => {
                              if (
                                await confirmDanger({
                                  title: 'Revoke this key?',
                                  body: `Every client using “${k.name}” is refused from now on.`,
                                  confirm: 'Revoke',
                                })
                              )
                                revoke.mutate(k);
                            }}
                          >
                            Revoke
                          </Button>
                        </Group>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </QueryView>
      </Paper>
      <CreateKeyModal
        appId={appId}
        opened={opened}
        onClose={close}
        onCreated={(k) => {
          setShown(k);
          refresh();
        }}
      />
    </>
  );
}

function CreateKeyModal(props: {
  appId: string;
  opened: boolean;
  onClose: () => void;
  onCreated: (k: ApiKey) => void;
}) {
  const [kind, setKind] = useState<'public' | 'secret'>('public');
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [expires, setExpires] = useState('');
  const create = useMutation({
    mutationFn: () =>
      api<ApiKey>('POST', `/v1/admin/apps/${props.appId}/keys`, {
        kind,
        ...(name ? { name } : {}),
        scopes,
        expiresAt: expires ? new Date(expires).toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
      }),
    onSuccess: (k) => {
      props.onCreated(k);
      props.onClose();
      setName('');
      setScopes([]);
      setExpires('');
      toast.ok('Key created');
    },
  });
  const close = () => {
    create.reset();
    props.onClose();
  };
  return (
    <FormModal
      opened={props.opened}
      onClose={close}
      title="Create an API key"
      submitLabel="Create key"
      onSubmit={() => create.mutate()}
      pending={create.isPending}
      error={create.error}
    >
      <SegmentedControl
        aria-label="Kind"
        value={kind}
        onChange={(v) => setKind(v as 'public' | 'secret')}
        data={[
          { value: 'public', label: 'Public' },
          { value: 'secret', label: 'Secret' },
        ]}
      />
      <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} maxLength={100} />
      <TagsInput
        label="Scopes"
        description="Empty = everything this kind of key may do."
        data={SCOPES}
        value={scopes}
        onChange={setScopes}
      />
      <TextInput
        label="Expires"
        type="datetime-local"
        description="Empty = never."
        value={expires}
        onChange={(e) => setExpires(e.currentTarget.value)}
      />
    </FormModal>
  );
}
