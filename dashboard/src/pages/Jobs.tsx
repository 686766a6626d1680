import {
  Anchor,
  Badge,
  Button,
  Group,
  Paper,
  SegmentedControl,
  SimpleGrid,
  Table,
  Text,
  UnstyledButton,
} from '@mantine/core';
import { IconRefresh } from '@tabler/icons-react';
import { Link, useSearchParams } from 'react-router';
import {
  JOB_PAGE_SIZE,
  JOB_STATES,
  useJobActions,
  useJobs,
  useQueues,
  type AdminJob,
  type JobState,
  type Queue,
} from '../api/jobs';
import { confirmDanger, formatDate, toast } from '../ui/feedback';
import { QueryView } from '../ui/QueryView';
import { DeleteButton, ResourceTable, RowActions } from '../ui/ResourceTable';
import { PageHeader } from '../ui/PageHeader';

export const STATE_COLOR: Record<JobState, string> = {
  waiting: 'blue',
  delayed: 'grape',
  active: 'cyan',
  completed: 'teal',
  failed: 'red',
  paused: 'gray',
};

/** Every job queue with counts by state, then one queue's jobs in one state, paged (all in the URL). */
export default function Jobs() {
  const [params, setParams] = useSearchParams();
  const queues = useQueues();
  const items = queues.data?.items ?? [];
  const queue = params.get('queue') ?? items[0]?.name ?? '';
  const state = (JOB_STATES as readonly string[]).includes(params.get('state') ?? '')
    ? (params.get('state') as JobState)
    : 'failed';
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const set = (next: Record<string, string>) => setParams({ queue, state, ...next }, { replace: true });
  return (
    <>
      <PageHeader
        title="Jobs"
        description="Background work of every app: mail, exports, webhook deliveries, push fan-out, schedules."
      />
      <QueryView
        query={queues}
        empty={{ title: 'No queues yet', description: 'A queue appears when its first job is added.' }}
      >
        {() => (
          <>
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} mb="lg">
              {items.map((q) => (
                <QueueCard
                  key={q.name}
                  q={q}
                  selected={q.name === queue}
                  onSelect={() => set({ queue: q.name, offset: '0' })}
                />
              ))}
            </SimpleGrid>
            <Group justify="space-between" mb="sm" wrap="wrap">
              <SegmentedControl
                aria-label="Job state"
                value={state}
                onChange={(v) => set({ state: v, offset: '0' })}
                data={JOB_STATES.map((s) => ({
                  value: s,
                  label: `${s} (${items.find((q) => q.name === queue)?.counts[s] ?? 0})`,
                }))}
              />
            </Group>
            <JobList queue={queue} state={state} offset={offset} setOffset={(o) => set({ offset: String(o) })} />
          </>
        )}
      </QueryView>
    </>
  );
}

function QueueCard({ q, selected, onSelect }: { q: Queue; selected: boolean; onSelect: () => void }) {
  const busy = JOB_STATES.filter((s) => q.counts[s] > 0);
  return (
    <UnstyledButton onClick={onSelect} aria-pressed={selected}>
      <Paper
        withBorder
        p="sm"
        style={selected ? { borderColor: 'var(--mantine-primary-color-filled)', borderWidth: 2 } : undefined}
      >
        <Text fw={700} ff="monospace">
          {q.name}
        </Text>
        <Group gap={4} mt={6}>
          {busy.length === 0 ? (
            <Text size="xs" c="dimmed">
              empty
            </Text>
          ) : (
            busy.map((s) => (
              <Badge key={s} size="sm" variant="light" color={STATE_COLOR[s]}>
                {s} {q.counts[s].toLocaleString()}
              </Badge>
            ))
          )}
        </Group>
      </Paper>
    </UnstyledButton>
  );
}

function JobList(props: { queue: string; state: JobState; offset: number; setOffset: (o: number) => void }) {
  const { queue, state, offset } = props;
  const list = useJobs(queue, state, offset);
  const actions = useJobActions(queue);
  const retry = (j: AdminJob) =>
    actions.retry.mutate(j.id, {
      onSuccess: () => toast.ok(`Job ${j.id} queued again`),
      onError: (e) => toast.error(e),
    });
  const remove = async (j: AdminJob) => {
    const ok = await confirmDanger({
      title: 'Remove this job?',
      body: `Job ${j.id} (${j.type}) is deleted from the ${queue} queue with its result and error.`,
      confirm: 'Remove job',
    });
    if (ok)
      actions.remove.mutate(j.id, { onSuccess: () => toast.ok(`Job ${j.id} removed`), onError: (e) => toast.error(e) });
  };
  const jobs = list.data?.items ?? [];
  return (
    <>
      <ResourceTable
        query={list}
        empty={{ title: `No ${state} jobs in ${queue}` }}
        columns={['Job', 'Type', 'App', 'Attempts', 'Created', 'Last error']}
        spacing="xs"
        rows={() =>
          jobs.map((j) => (
            <Table.Tr key={j.id} data-testid="job-row">
              <Table.Td>
                <Anchor component={Link} to={`/jobs/${queue}/${encodeURIComponent(j.id)}`} ff="monospace" size="sm">
                  {j.id}
                </Anchor>
              </Table.Td>
              <Table.Td>{j.type}</Table.Td>
              <Table.Td>
                {j.appId ? (
                  <Anchor component={Link} to={`/apps/${j.appId}`} size="sm">
                    {j.appId}
                  </Anchor>
                ) : (
                  '—'
                )}
              </Table.Td>
              <Table.Td>
                {j.attemptsMade} / {j.attempts}
              </Table.Td>
              <Table.Td>{formatDate(j.createdAt)}</Table.Td>
              <Table.Td maw={320}>
                <Text size="sm" c={j.error ? 'red.8' : 'dimmed'} lineClamp={2}>
                  {j.error ?? '—'}
                </Text>
              </Table.Td>
              <RowActions>
                {j.state === 'failed' && (
                  <Button
                    size="compact-sm"
                    variant="light"
                    leftSection={<IconRefresh size={14} />}
                    onClick={() => retry(j)}
                    aria-label={`Retry job ${j.id}`}
                  >
                    Retry
                  </Button>
                )}
                {j.state !== 'active' && (
                  <DeleteButton label={`Remove job ${j.id}`} text="Remove" onClick={() => void remove(j)} />
                )}
              </RowActions>
            </Table.Tr>
          ))
        }
      />
      <Group justify="space-between" mt="sm">
        <Text size="sm" c="dimmed">
          {jobs.length > 0 ? `Jobs ${offset + 1}–${offset + jobs.length}, newest first` : ''}
        </Text>
        <Group gap="xs">
          <Button
            variant="default"
            size="xs"
            disabled={offset === 0}
            onClick={() => props.setOffset(Math.max(0, offset - JOB_PAGE_SIZE))}
          >
            Previous page
          </Button>
          <Button
            variant="default"
            size="xs"
            disabled={list.data?.next == null}
            onClick={() => props.setOffset(list.data?.next ?? offset)}
          >
            Next page
          </Button>
        </Group>
      </Group>
    </>
  );
}
