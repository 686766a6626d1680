import { Anchor, Button, Group, Paper, Table, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useCollections } from '../api/queries';
import { ruleText } from '../schema/diff';
import { formatDate } from '../ui/feedback';
import { FormModal } from '../ui/FormModal';
import { QueryView } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';

/** An app's collections, each with links to its schema and its data. */
export default function Collections() {
  const { appId = '' } = useParams();
  const cols = useCollections(appId);
  const [opened, { open, close }] = useDisclosure();
  const [name, setName] = useState('');
  const navigate = useNavigate();
  const submit = () => {
    close();
    navigate(`/apps/${appId}/collections/${name}?new=1`);
  };
  return (
    <>
      <PageHeader
        title="Collections"
        crumbs={[{ label: 'App', to: `/apps/${appId}` }]}
        description="Schemas, indexes and rules; open a collection's data to browse and edit documents."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={open}>
            New collection
          </Button>
        }
      />
      <Paper withBorder>
        <QueryView
          query={cols}
          empty={{
            title: 'No collections yet',
            description: 'Define a collection: its fields, indexes and who may read and write it.',
            action: (
              <Button variant="light" leftSection={<IconPlus size={16} />} onClick={open}>
                Define the first collection
              </Button>
            ),
          }}
        >
          {(data) => (
            <Table verticalSpacing="sm" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Fields</Table.Th>
                  <Table.Th>List rule</Table.Th>
                  <Table.Th>Version</Table.Th>
                  <Table.Th>Changed</Table.Th>
                  <Table.Th>
                    <span className="sr-only">Links</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((c) => (
                  <Table.Tr key={c.name}>
                    <Table.Td>
                      <Anchor component={Link} to={`/apps/${appId}/collections/${c.name}`} fw={600}>
                        {c.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{c.fields.map((f) => f.name).join(', ') || '—'}</Table.Td>
                    <Table.Td ff="monospace" fz="xs">
                      {ruleText(c.rules.list)}
                    </Table.Td>
                    <Table.Td>{c.version}</Table.Td>
                    <Table.Td>{formatDate(c.updatedAt)}</Table.Td>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
                        <Button
                          size="compact-sm"
                          variant="default"
                          component={Link}
                          to={`/apps/${appId}/collections/${c.name}`}
                        >
                          Schema
                        </Button>
                        <Button
                          size="compact-sm"
                          variant="light"
                          component={Link}
                          to={`/apps/${appId}/collections/${c.name}/data`}
                        >
                          Data
                        </Button>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </QueryView>
      </Paper>
      <FormModal opened={opened} onClose={close} title="New collection" submitLabel="Define fields" onSubmit={submit}>
        <TextInput
          label="Name"
          description="A letter, then letters, digits or _."
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          pattern="[A-Za-z][A-Za-z0-9_]{0,62}"
          required
          data-autofocus
        />
      </FormModal>
    </>
  );
}
