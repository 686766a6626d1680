import { Alert, Badge, Button, Code, Group, List, Modal, Paper, Stack, Switch, Tabs, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconTable } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, ApiError } from '../api/client';
import { keys, useCollection, useCollections } from '../api/queries';
import type { Collection } from '../api/types';
import { createBody, diffCollection, draftOf, type Draft } from '../schema/diff';
import { FieldsEditor, IndexesEditor } from '../schema/FieldsEditor';
import { RulesEditor } from '../schema/RulesEditor';
import { confirmDanger, toast } from '../ui/feedback';
import { queryFallback } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';

const NEW_RULES = {
  create: 'authenticated',
  list: { owner: '@auth.id' },
  get: { owner: '@auth.id' },
  update: { owner: '@auth.id' },
  delete: { owner: '@auth.id' },
} as const;

/** The schema editor: fields, indexes, strictness and rules, saved as one online change after a preview. */
export default function CollectionEditor() {
  const { appId = '', name = '' } = useParams();
  const [params] = useSearchParams();
  const isNew = params.get('new') === '1';
  const col = useCollection(appId, name);
  if (isNew) return <Editor appId={appId} base={null} name={name} />;
  const wait = queryFallback(col);
  if (wait) return wait;
  return <Editor key={col.data!.version} appId={appId} base={col.data!} name={name} />;
}

function Editor({ appId, base, name }: { appId: string; base: Collection | null; name: string }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const all = useCollections(appId);
  const [draft, setDraft] = useState<Draft>(() =>
    base ? draftOf(base) : { ...draftOf(null, name), rules: { ...NEW_RULES } },
  );
  const [review, { open, close }] = useDisclosure();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string> | null>(null);
  useEffect(() => setFieldErrors(null), [draft]);
  const diff = useMemo(() => (base ? diffCollection(base, draft) : null), [base, draft]);
  const save = useMutation({
    mutationFn: () =>
      base
        ? api<Collection>('PATCH', `/v1/admin/apps/${appId}/collections/${name}`, diff!.body, {
            headers: { 'If-Match': `"${base.version}"` },
          })
        : api<Collection>('POST', `/v1/admin/apps/${appId}/collections`, createBody(draft)),
    onSuccess: (c) => {
      close();
      toast.ok(base ? `Collection ${c.name} changed (version ${c.version})` : `Collection ${c.name} created`);
      void qc.invalidateQueries({ queryKey: keys.collections(appId) });
      qc.setQueryData(keys.collection(appId, c.name), c);
      if (!base) navigate(`/apps/${appId}/collections/${c.name}`, { replace: true });
    },
    onError: (e) => {
      close();
      if (e instanceof ApiError && e.details?.fields) setFieldErrors(e.details.fields as Record<string, string>);
      toast.error(e, e instanceof ApiError && e.status === 409 ? 'Changed elsewhere or clashing data' : 'Not saved');
    },
  });
  const remove = useMutation({
    mutationFn: () => api('DELETE', `/v1/admin/apps/${appId}/collections/${name}`),
    onSuccess: () => {
      toast.ok(`Collection ${name} deleted`);
      void qc.invalidateQueries({ queryKey: keys.collections(appId) });
      navigate(`/apps/${appId}/collections`);
    },
    onError: (e) => toast.error(e),
  });
  const unchanged = diff !== null && diff.changes.length === 0;
  return (
    <>
      <PageHeader
        title={base ? `Schema: ${name}` : `New collection: ${name}`}
        crumbs={[
          { label: 'App', to: `/apps/${appId}` },
          { label: 'Collections', to: `/apps/${appId}/collections` },
        ]}
        description={base && <Badge variant="light">version {base.version}</Badge>}
        actions={
          <>
            {base && (
              <Button
                component={Link}
                to={`/apps/${appId}/collections/${name}/data`}
                variant="default"
                leftSection={<IconTable size={16} />}
              >
                Browse data
              </Button>
            )}
            <Button onClick={base ? open : () => save.mutate()} disabled={unchanged} loading={save.isPending}>
              {base ? 'Review changes' : 'Create collection'}
            </Button>
          </>
        }
      />
      {fieldErrors && (
        <Alert color="red" title="The server refused this definition" mb="md" role="alert">
          <List size="sm">
            {Object.entries(fieldErrors).map(([k, v]) => (
              <List.Item key={k}>
                <Code>{k}</Code> {v}
              </List.Item>
            ))}
          </List>
        </Alert>
      )}
      <Paper withBorder p="md">
        <Tabs defaultValue="fields" keepMounted={false}>
          <Tabs.List mb="md">
            <Tabs.Tab value="fields">Fields ({draft.fields.length})</Tabs.Tab>
            <Tabs.Tab value="indexes">Indexes ({draft.indexes.length})</Tabs.Tab>
            <Tabs.Tab value="rules">Rules</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="fields">
            <Stack>
              <Switch
                label="Strict: refuse fields the schema does not name"
                checked={draft.strict}
                onChange={(e) => setDraft({ ...draft, strict: e.currentTarget.checked })}
              />
              <div style={{ overflowX: 'auto' }}>
                <FieldsEditor
                  fields={draft.fields}
                  onChange={(fields) => setDraft({ ...draft, fields })}
                  collections={(all.data?.items ?? []).map((c) => c.name)}
                />
              </div>
            </Stack>
          </Tabs.Panel>
          <Tabs.Panel value="indexes">
            <IndexesEditor
              indexes={draft.indexes}
              onChange={(indexes) => setDraft({ ...draft, indexes })}
              fieldNames={draft.fields.map((f) => f.def.name).filter(Boolean)}
            />
          </Tabs.Panel>
          <Tabs.Panel value="rules">
            <RulesEditor rules={draft.rules} onChange={(rules) => setDraft({ ...draft, rules })} />
          </Tabs.Panel>
        </Tabs>
      </Paper>
      {base && (
        <Paper withBorder p="md" mt="lg">
          <Title order={2} size="h5" mb="xs">
            Danger zone
          </Title>
          <Button
            color="red"
            variant="light"
            onClick={async () => {
              if (
                await confirmDanger({
                  title: `Delete ${name}?`,
                  body: 'The collection and all its documents are deleted.',
                  confirm: 'Delete collection',
                })
              )
                remove.mutate();
            }}
          >
            Delete collection
          </Button>
        </Paper>
      )}
      <Modal opened={review} onClose={close} title="What this change will do" size="xl">
        {diff && (
          <Stack>
            <List spacing="xs" size="sm">
              {diff.changes.map((c, i) => (
                <List.Item
                  key={i}
                  icon={
                    <Badge size="sm" color={c.kind === 'add' ? 'teal' : c.kind === 'remove' ? 'red' : 'blue'}>
                      {c.kind}
                    </Badge>
                  }
                >
                  {c.text}
                  {c.effect && (
                    <Text span c="dimmed" size="xs">
                      {' '}
                      — {c.effect}
                    </Text>
                  )}
                </List.Item>
              ))}
            </List>
            <Text size="xs" c="dimmed">
              Request: PATCH /v1/admin/apps/{appId}/collections/{name} with If-Match &quot;{base!.version}&quot;
            </Text>
            <Code block data-testid="schema-patch">
              {JSON.stringify(diff.body, null, 2)}
            </Code>
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Keep editing
              </Button>
              <Button onClick={() => save.mutate()} loading={save.isPending}>
                Apply change
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </>
  );
}
