import { Alert, Anchor, Badge, Button, Group, Modal, Stack, Switch, Table, Text } from '@mantine/core';
import { IconAlertTriangle, IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useWebhookActions, useWebhooks, type Webhook, type WebhookWithSecret } from '../api/webhooks';
import { confirmDanger, CopyValue, toast } from '../ui/feedback';
import { AddFirstButton, DeleteButton, EditButton, ResourceTable, RowActions } from '../ui/ResourceTable';
import { PageHeader } from '../ui/PageHeader';
import { WebhookForm } from './WebhooksForm';

/** An app's webhooks: create / edit / delete, enable, and the way to each one's delivery log. */
export default function Webhooks() {
  const { appId = '' } = useParams();
  const list = useWebhooks(appId);
  const actions = useWebhookActions(appId);
  const [editing, setEditing] = useState<Webhook | 'new' | null>(null);
  /** Opens the form on a fresh start: the last save's error is not shown again. */
  const edit = (target: Webhook | 'new') => {
    actions.create.reset();
    actions.update.reset();
    setEditing(target);
  };
  const [secret, setSecret] = useState<WebhookWithSecret | null>(null);
  const hooks = list.data?.items ?? [];
  const remove = async (h: Webhook) => {
    const ok = await confirmDanger({
      title: 'Delete this webhook?',
      body: `${h.url} stops receiving events; deliveries still queued to it are dropped.`,
      confirm: 'Delete webhook',
    });
    if (ok)
      actions.remove.mutate(h.id, { onSuccess: () => toast.ok('Webhook deleted'), onError: (e) => toast.error(e) });
  };
  const toggle = (h: Webhook, enabled: boolean) =>
    actions.update.mutate(
      { id: h.id, enabled },
      { onSuccess: () => toast.ok(enabled ? 'Webhook enabled' : 'Webhook disabled'), onError: (e) => toast.error(e) },
    );
  return (
    <>
      <PageHeader
        title="Webhooks"
        crumbs={[{ label: 'App', to: `/apps/${appId}` }]}
        description="Signed HTTP calls on the app's document, user and file events, with a delivery log."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={() => edit('new')}>
            New webhook
          </Button>
        }
      />
      <ResourceTable
        query={list}
        empty={{
          title: 'No webhooks yet',
          description: 'A webhook sends the events you choose to a URL of yours.',
          action: <AddFirstButton onClick={() => edit('new')}>Add the first webhook</AddFirstButton>,
        }}
        columns={['URL', 'Events', 'Secret', 'Enabled']}
        rows={() =>
          hooks.map((h) => (
            <Table.Tr key={h.id} data-testid="webhook-row">
              <Table.Td maw={360}>
                <Anchor component={Link} to={`/apps/${appId}/webhooks/${h.id}`} style={{ wordBreak: 'break-all' }}>
                  {h.url}
                </Anchor>
                {h.description && (
                  <Text size="xs" c="dimmed">
                    {h.description}
                  </Text>
                )}
                {h.notice && (
                  <Text size="xs" c="red.8" mt={4}>
                    <IconAlertTriangle size={12} aria-hidden /> {h.notice}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {h.events.map((e) => (
                    <Badge key={e} variant="light" tt="none">
                      {e}
                    </Badge>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td>
                <Text ff="monospace" size="sm">
                  …{h.secretHint}
                </Text>
              </Table.Td>
              <Table.Td>
                <Switch
                  checked={h.enabled}
                  onChange={(e) => toggle(h, e.currentTarget.checked)}
                  aria-label={`Webhook ${h.url} enabled`}
                />
              </Table.Td>
              <RowActions>
                <EditButton label={`Edit webhook ${h.url}`} onClick={() => edit(h)} />
                <DeleteButton label={`Delete webhook ${h.url}`} onClick={() => void remove(h)} />
              </RowActions>
            </Table.Tr>
          ))
        }
      />
      <WebhookForm
        opened={editing !== null}
        initial={editing === 'new' ? null : editing}
        busy={actions.create.isPending || actions.update.isPending}
        error={editing === 'new' ? actions.create.error : actions.update.error}
        onClose={() => setEditing(null)}
        onSubmit={(input) => {
          if (editing === 'new') {
            actions.create.mutate(input, {
              onSuccess: (h) => {
                setEditing(null);
                setSecret(h);
              },
            });
          } else if (editing) {
            actions.update.mutate(
              { id: editing.id, ...input },
              {
                onSuccess: () => {
                  setEditing(null);
                  toast.ok('Webhook saved');
                },
              },
            );
          }
        }}
      />
      <SecretShown hook={secret} onClose={() => setSecret(null)} />
    </>
  );
}

/** The signing secret, shown once (after create or rotate). */
export function SecretShown({ hook, onClose }: { hook: WebhookWithSecret | null; onClose: () => void }) {
  return (
    <Modal opened={hook !== null} onClose={onClose} title="The webhook's signing secret" size="lg">
      {hook && (
        <Stack>
          <Alert color="yellow" title="Copy the secret now">
            It is shown only this once. Your receiver checks each call's Hearth-Signature with it.
          </Alert>
          <CopyValue value={hook.secret} label="signing secret" testId="webhook-secret" />
          <Group justify="flex-end">
            <Button onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
