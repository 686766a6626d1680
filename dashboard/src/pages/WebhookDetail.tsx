import { Alert, Badge, Button, Code, Group, Paper, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { IconKey, IconPlayerPlay, IconRepeat } from '@tabler/icons-react';
import { Fragment, useState } from 'react';
import { useParams, useSearchParams } from 'react-router';
import {
  useDeliveries,
  useWebhook,
  useWebhookActions,
  type Delivery,
  type DeliveryStatus,
  type WebhookWithSecret,
} from '../api/webhooks';
import { confirmDanger, formatDate, toast } from '../ui/feedback';
import { queryFallback, QueryView } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';
import { SecretShown } from './Webhooks';

const STATUS_COLOR: Record<DeliveryStatus, string> = {
  pending: 'blue',
  retrying: 'orange',
  succeeded: 'teal',
  failed: 'red',
};

const last = (d: Delivery) => d.attemptLog[d.attemptLog.length - 1];

/** One webhook: its settings, the automatic-disable notice, the delivery log (filterable) and redelivery. */
export default function WebhookDetail() {
  const { appId = '', webhookId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') ?? '') as DeliveryStatus | '';
  const hook = useWebhook(appId, webhookId);
  const deliveries = useDeliveries(appId, webhookId, status);
  const actions = useWebhookActions(appId);
  const [open, setOpen] = useState<string | null>(null);
  const [secret, setSecret] = useState<WebhookWithSecret | null>(null);
  const crumbs = [
    { label: 'App', to: `/apps/${appId}` },
    { label: 'Webhooks', to: `/apps/${appId}/webhooks` },
  ];
  const wait = queryFallback(hook);
  if (wait) {
    return (
      <>
        <PageHeader title="Webhook" crumbs={crumbs} />
        {wait}
      </>
    );
  }
  const h = hook.data!;
  const items = deliveries.data?.pages.flatMap((p) => p.items) ?? [];
  const redeliver = (d: Delivery) =>
    actions.redeliver.mutate(
      { id: h.id, deliveryId: d.id },
      {
        onSuccess: (n) => {
          toast.ok(`Redelivery ${n.id} queued`);
          void deliveries.refetch();
        },
        onError: (e) => toast.error(e),
      },
    );
  const rotate = async () => {
    const ok = await confirmDanger({
      title: 'Rotate the signing secret?',
      body: 'The next delivery is signed with a new secret; the receiver must use it from then on.',
      confirm: 'Rotate secret',
    });
    if (ok) actions.rotate.mutate(h.id, { onSuccess: setSecret, onError: (e) => toast.error(e) });
  };
  const enable = () =>
    actions.update.mutate(
      { id: h.id, enabled: true },
      { onSuccess: () => toast.ok('Webhook enabled'), onError: (e) => toast.error(e) },
    );
  return (
    <>
      <PageHeader
        title={h.url}
        crumbs={crumbs}
        description={h.description || `Webhook ${h.id}`}
        actions={
          <>
            {!h.enabled && (
              <Button leftSection={<IconPlayerPlay size={16} />} onClick={enable}>
                Enable
              </Button>
            )}
            <Button variant="default" leftSection={<IconKey size={16} />} onClick={() => void rotate()}>
              Rotate secret
            </Button>
          </>
        }
      />
      {h.notice && (
        <Alert color="red" title="Disabled after failing deliveries" mb="md" role="alert">
          {h.notice}
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, md: 3 }} mb="lg">
        <Paper withBorder p="sm">
          <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
            Events
          </Text>
          <Group gap={4} mt={4}>
            {h.events.map((e) => (
              <Badge key={e} variant="light" tt="none">
                {e}
              </Badge>
            ))}
          </Group>
        </Paper>
        <Paper withBorder p="sm">
          <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
            State
          </Text>
          <Badge mt={4} color={h.enabled ? 'teal' : 'gray'}>
            {h.enabled ? 'enabled' : h.disabledReason === 'failing' ? 'disabled (failing)' : 'disabled'}
          </Badge>
        </Paper>
        <Paper withBorder p="sm">
          <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
            Secret
          </Text>
          <Text ff="monospace">…{h.secretHint}</Text>
        </Paper>
      </SimpleGrid>
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h3">
          Deliveries
        </Title>
        <Select
          aria-label="Delivery status"
          placeholder="Any status"
          data={['pending', 'retrying', 'succeeded', 'failed']}
          value={status || null}
          onChange={(v) => setParams(v ? { status: v } : {}, { replace: true })}
          clearable
          w={180}
        />
      </Group>
      <Paper withBorder>
        <QueryView
          query={deliveries}
          empty={{
            title: 'No deliveries yet',
            description: 'Each event this webhook subscribes to becomes a delivery here.',
          }}
        >
          {() => (
            <Table verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Event</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>HTTP</Table.Th>
                  <Table.Th>Duration</Table.Th>
                  <Table.Th>Attempts</Table.Th>
                  <Table.Th aria-label="Actions" />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((d) => (
                  <Fragment key={d.id}>
                    <Table.Tr data-testid="delivery-row">
                      <Table.Td>{formatDate(d.createdAt)}</Table.Td>
                      <Table.Td>
                        <Button
                          variant="subtle"
                          size="compact-sm"
                          aria-expanded={open === d.id}
                          onClick={() => setOpen(open === d.id ? null : d.id)}
                        >
                          {d.event}
                        </Button>
                        {d.redeliveryOf && (
                          <Badge size="xs" variant="outline" ml={4}>
                            redelivery
                          </Badge>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Badge color={STATUS_COLOR[d.status]} variant="light">
                          {d.status}
                        </Badge>
                      </Table.Td>
                      <Table.Td>{d.response?.statusCode ?? last(d)?.statusCode ?? '—'}</Table.Td>
                      <Table.Td>{last(d) ? `${last(d)!.durationMs} ms` : '—'}</Table.Td>
                      <Table.Td>{d.attempts}</Table.Td>
                      <Table.Td>
                        <Button
                          size="compact-sm"
                          variant="light"
                          leftSection={<IconRepeat size={14} />}
                          onClick={() => redeliver(d)}
                          disabled={!h.enabled}
                          aria-label={`Redeliver ${d.event} of ${formatDate(d.createdAt)}`}
                        >
                          Redeliver
                        </Button>
                      </Table.Td>
                    </Table.Tr>
                    {open === d.id && (
                      <Table.Tr>
                        <Table.Td colSpan={7}>
                          <DeliveryDetail d={d} />
                        </Table.Td>
                      </Table.Tr>
                    )}
                  </Fragment>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </QueryView>
      </Paper>
      {deliveries.hasNextPage && (
        <Group justify="center" mt="md">
          <Button variant="default" onClick={() => void deliveries.fetchNextPage()}>
            Load more
          </Button>
        </Group>
      )}
      <SecretShown hook={secret} onClose={() => setSecret(null)} />
    </>
  );
}

/** A JSON body indented for reading (an excerpt cut short stays as it is). */
const readable = (body: string) => {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
};

const headers = (h: Record<string, string>) =>
  Object.entries(h)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');

function DeliveryDetail({ d }: { d: Delivery }) {
  return (
    <Stack gap="sm" data-testid="delivery-detail">
      <Table withTableBorder fz="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Attempt</Table.Th>
            <Table.Th>At</Table.Th>
            <Table.Th>Outcome</Table.Th>
            <Table.Th>HTTP</Table.Th>
            <Table.Th>Duration</Table.Th>
            <Table.Th>Error</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {d.attemptLog.map((a) => (
            <Table.Tr key={a.attempt + a.at}>
              <Table.Td>{a.attempt}</Table.Td>
              <Table.Td>{formatDate(a.at)}</Table.Td>
              <Table.Td>{a.outcome}</Table.Td>
              <Table.Td>{a.statusCode ?? '—'}</Table.Td>
              <Table.Td>{a.durationMs} ms</Table.Td>
              <Table.Td>{a.error ?? '—'}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {d.nextAttemptAt && <Text size="sm">Next attempt {formatDate(d.nextAttemptAt)}</Text>}
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <div>
          <Text size="sm" fw={600} mb={4}>
            Request{d.request.truncated && ' (excerpt)'}
          </Text>
          <Code block data-testid="delivery-request" tabIndex={0} style={{ maxHeight: 280, overflow: 'auto' }}>
            {`${headers(d.request.headers)}\n\n${readable(d.request.body)}`}
          </Code>
        </div>
        <div>
          <Text size="sm" fw={600} mb={4}>
            Response{d.response?.truncated && ' (excerpt)'}
          </Text>
          <Code block data-testid="delivery-response" tabIndex={0} style={{ maxHeight: 280, overflow: 'auto' }}>
            {d.response
              ? `HTTP ${d.response.statusCode}\n${headers(d.response.headers)}\n\n${readable(d.response.body)}`
              : 'No response (yet).'}
          </Code>
        </div>
      </SimpleGrid>
    </Stack>
  );
}
