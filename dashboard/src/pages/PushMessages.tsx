import { Badge, Button, Group, Paper, Progress, SegmentedControl, Stack, Table, Text, Tooltip } from '@mantine/core';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { pushApi, pushKeys, type Message, type MessageState } from '../api/push';
import { confirmDanger, formatDate, toast } from '../ui/feedback';
import { QueryView } from '../ui/QueryView';

const STATE_COLOR: Record<MessageState, string> = {
  scheduled: 'blue',
  sending: 'yellow',
  done: 'teal',
  cancelled: 'gray',
  failed: 'red',
};

const PROVIDERS = [
  ['ios', 'APNs (iOS)'],
  ['android', 'FCM (Android)'],
  ['web', 'Web Push'],
] as const;

const targetText = (t: Record<string, unknown>): string =>
  Object.entries(t)
    .map(([k, v]) => (k === 'all' ? 'everyone' : `${k}: ${Array.isArray(v) ? v.join(', ') : JSON.stringify(v)}`))
    .join(' · ');

/** History (with state filter) or the scheduled queue: delivery stats per provider, cancel. */
export function PushMessages({ appId, scheduled }: { appId: string; scheduled?: boolean }) {
  const qc = useQueryClient();
  const [state, setState] = useState<string>(scheduled ? 'scheduled' : 'all');
  const [open, setOpen] = useState<string | null>(null);
  const filterState = scheduled ? 'scheduled' : state === 'all' ? null : state;
  const list = useInfiniteQuery({
    queryKey: pushKeys.messages(appId, filterState ?? undefined),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => pushApi.messages(appId, { after: pageParam, state: filterState }),
    getNextPageParam: (p) => p.next,
    // While something is on its way, its counts move.
    refetchInterval: (q) =>
      q.state.data?.pages.some((p) => p.items.some((m) => m.state === 'sending' || m.state === 'scheduled'))
        ? 2000
        : false,
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const cancel = async (m: Message) => {
    const ok = await confirmDanger({
      title: 'Cancel this message?',
      body: 'Batches not yet delivered are dropped; this cannot be undone.',
      confirm: 'Cancel message',
    });
    if (!ok) return;
    try {
      await pushApi.cancel(appId, m.id);
      toast.ok('Message cancelled');
      void qc.invalidateQueries({ queryKey: pushKeys.all(appId) });
    } catch (e) {
      toast.error(e);
    }
  };
  return (
    <Stack>
      {!scheduled && (
        <SegmentedControl
          aria-label="Message state"
          value={state}
          onChange={setState}
          data={['all', 'sending', 'done', 'cancelled', 'failed']}
          w="fit-content"
        />
      )}
      <Paper withBorder>
        <QueryView
          query={list}
          empty={{
            title: scheduled ? 'Nothing scheduled' : 'No messages yet',
            description: 'Compose one in the Compose tab.',
          }}
        >
          {() => (
            <Table verticalSpacing="xs" data-testid={scheduled ? 'scheduled-messages' : 'message-history'}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Message</Table.Th>
                  <Table.Th>Audience</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>{scheduled ? 'Sends at' : 'Delivered'}</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>
                    <span className="sr-only">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((m) => (
                  <Fragment key={m.id}>
                    <Table.Tr>
                      <Table.Td>
                        <Text size="sm" fw={600}>
                          {m.notification.title || '(no title)'}
                        </Text>
                        <Text size="xs" c="dimmed" lineClamp={1}>
                          {m.notification.body}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{targetText(m.target)}</Text>
                      </Table.Td>
                      <Table.Td>
                        <Badge color={STATE_COLOR[m.state]} variant="light">
                          {m.state}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        {scheduled ? (
                          `${m.sendAt ? formatDate(m.sendAt) : '—'}${m.localTime ? ' (each device’s time)' : ''}`
                        ) : (
                          <Delivered m={m} />
                        )}
                      </Table.Td>
                      <Table.Td>{formatDate(m.createdAt)}</Table.Td>
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          <Button
                            size="compact-xs"
                            variant="subtle"
                            onClick={() => setOpen(open === m.id ? null : m.id)}
                          >
                            {open === m.id ? 'Hide' : 'Stats'}
                          </Button>
                          {(m.state === 'scheduled' || m.state === 'sending') && (
                            <Button size="compact-xs" variant="subtle" color="red" onClick={() => void cancel(m)}>
                              Cancel
                            </Button>
                          )}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                    {open === m.id && (
                      <Table.Tr>
                        <Table.Td colSpan={6}>
                          <ProviderStats appId={appId} m={m} />
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
      {list.hasNextPage && (
        <Group justify="center">
          <Button variant="default" onClick={() => void list.fetchNextPage()}>
            Load more
          </Button>
        </Group>
      )}
    </Stack>
  );
}

function Delivered({ m }: { m: Message }) {
  const { targeted, sent, failed, invalid } = m.counts;
  const done = sent + failed + invalid;
  return (
    <Tooltip label={`${sent} sent · ${failed} failed · ${invalid} invalid tokens of ${targeted} targeted`}>
      <Stack gap={2} w={160}>
        <Text size="xs" data-testid={`delivered-${m.id}`}>
          {sent}/{targeted} sent{failed ? ` · ${failed} failed` : ''}
          {invalid ? ` · ${invalid} invalid` : ''}
        </Text>
        <Progress.Root size="sm">
          <Progress.Section value={targeted ? (sent / targeted) * 100 : 0} color="teal" aria-label="Sent" />
          <Progress.Section
            value={targeted ? ((failed + invalid) / targeted) * 100 : 0}
            color="red"
            aria-label="Failed or invalid"
          />
          <Progress.Section
            value={targeted ? ((targeted - done) / targeted) * 100 : 0}
            color="gray"
            aria-label="Pending"
          />
        </Progress.Root>
      </Stack>
    </Tooltip>
  );
}

/** The per-provider breakdown and the first errors the batches recorded (the message's own view has them). */
function ProviderStats({ appId, m }: { appId: string; m: Message }) {
  const detail = useQuery({
    queryKey: [...pushKeys.all(appId), 'message', m.id, m.counts],
    queryFn: () => pushApi.message(appId, m.id),
  });
  const d = detail.data ?? m;
  return (
    <Stack gap="xs" data-testid={`stats-${m.id}`}>
      <Table withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Provider</Table.Th>
            <Table.Th>Sent</Table.Th>
            <Table.Th>Failed</Table.Th>
            <Table.Th>Invalid tokens</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {PROVIDERS.map(([p, label]) => (
            <Table.Tr key={p} data-testid={`provider-${p}`}>
              <Table.Td>{label}</Table.Td>
              <Table.Td>{d.providers[p].sent}</Table.Td>
              <Table.Td>{d.providers[p].failed}</Table.Td>
              <Table.Td>{d.providers[p].invalid}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Text size="xs" c="dimmed">
        Started {formatDate(d.startedAt)} · finished {formatDate(d.finishedAt)}
      </Text>
      {d.errors.length > 0 && (
        <Stack gap={2}>
          <Text size="sm" fw={600}>
            First errors
          </Text>
          {d.errors.map((e) => (
            <Text size="xs" key={`${e.installationId}-${e.reason}`}>
              {e.platform} · {e.reason} · installation {e.installationId}
            </Text>
          ))}
        </Stack>
      )}
    </Stack>
  );
}
