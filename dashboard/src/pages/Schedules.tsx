import { Anchor, Badge, Button, Drawer, Switch, Table, Text } from '@mantine/core';
import { IconHistory, IconPlayerPlay, IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useRuns, useScheduleActions, useSchedules, type Schedule } from '../api/schedules';
import { useWebhooks } from '../api/webhooks';
import { confirmDanger, formatDate, toast } from '../ui/feedback';
import { QueryView } from '../ui/QueryView';
import { AddFirstButton, DeleteButton, EditButton, ResourceTable, RowActions } from '../ui/ResourceTable';
import { PageHeader } from '../ui/PageHeader';
import { ScheduleForm } from './SchedulesForm';

/** An app's schedules: create / edit / delete, enable, run now, and each one's run history (`?runs=<id>`). */
export default function Schedules() {
  const { appId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const list = useSchedules(appId);
  const hooks = useWebhooks(appId);
  const actions = useScheduleActions(appId);
  const [editing, setEditing] = useState<Schedule | 'new' | null>(null);
  /** Opens the form on a fresh start: the last save's error is not shown again. */
  const edit = (target: Schedule | 'new') => {
    actions.create.reset();
    actions.update.reset();
    setEditing(target);
  };
  const runsOf = params.get('runs');
  const items = list.data?.items ?? [];
  const hookUrl = new Map((hooks.data?.items ?? []).map((h) => [h.id, h.url]));
  const remove = async (s: Schedule) => {
    const ok = await confirmDanger({
      title: 'Delete this schedule?',
      body: `${s.name} stops ticking. Its run history stays until the app is deleted.`,
      confirm: 'Delete schedule',
    });
    if (ok)
      actions.remove.mutate(s.id, { onSuccess: () => toast.ok('Schedule deleted'), onError: (e) => toast.error(e) });
  };
  const runNow = (s: Schedule) =>
    actions.run.mutate(s.id, {
      onSuccess: (r) => {
        toast.ok(r.status === 'delivered' ? `${s.name} ran` : `${s.name} skipped: ${r.error ?? 'target unavailable'}`);
        setParams({ runs: s.id }, { replace: true });
      },
      onError: (e) => toast.error(e),
    });
  const toggle = (s: Schedule, enabled: boolean) =>
    actions.update.mutate(
      { id: s.id, enabled },
      { onSuccess: () => toast.ok(enabled ? 'Schedule enabled' : 'Schedule paused'), onError: (e) => toast.error(e) },
    );
  return (
    <>
      <PageHeader
        title="Schedules"
        crumbs={[{ label: 'App', to: `/apps/${appId}` }]}
        description="Cron schedules in a time zone that call one of the app's webhooks or queue a job."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={() => edit('new')}>
            New schedule
          </Button>
        }
      />
      <ResourceTable
        query={list}
        empty={{
          title: 'No schedules yet',
          description: 'A schedule calls a webhook (schedule.fire) or queues a job on a cron.',
          action: <AddFirstButton onClick={() => edit('new')}>Add the first schedule</AddFirstButton>,
        }}
        columns={['Name', 'Cron', 'Calls', 'Next run', 'Last run', 'Enabled']}
        rows={() =>
          items.map((s) => (
            <Table.Tr key={s.id} data-testid="schedule-row">
              <Table.Td>
                <Text fw={600}>{s.name}</Text>
                {s.description && (
                  <Text size="xs" c="dimmed">
                    {s.description}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Text ff="monospace" size="sm">
                  {s.cron}
                </Text>
                <Text size="xs" c="dimmed">
                  {s.timezone}
                </Text>
              </Table.Td>
              <Table.Td maw={260}>
                {s.target.type === 'webhook' ? (
                  <Anchor component={Link} to={`/apps/${appId}/webhooks/${s.target.webhookId}`} size="sm">
                    {hookUrl.get(s.target.webhookId) ?? s.target.webhookId}
                  </Anchor>
                ) : (
                  <Badge variant="light" tt="none">
                    job {s.target.job}
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>{formatDate(s.nextRunAt)}</Table.Td>
              <Table.Td>{formatDate(s.lastRunAt)}</Table.Td>
              <Table.Td>
                <Switch
                  checked={s.enabled}
                  onChange={(e) => toggle(s, e.currentTarget.checked)}
                  aria-label={`Schedule ${s.name} enabled`}
                />
              </Table.Td>
              <RowActions>
                <Button
                  size="compact-sm"
                  variant="light"
                  leftSection={<IconPlayerPlay size={14} />}
                  onClick={() => runNow(s)}
                  aria-label={`Run now: ${s.name}`}
                >
                  Run now
                </Button>
                <Button
                  size="compact-sm"
                  variant="subtle"
                  leftSection={<IconHistory size={14} />}
                  onClick={() => setParams({ runs: s.id }, { replace: true })}
                  aria-label={`Runs of ${s.name}`}
                >
                  Runs
                </Button>
                <EditButton label={`Edit ${s.name}`} onClick={() => edit(s)} />
                <DeleteButton label={`Delete ${s.name}`} onClick={() => void remove(s)} />
              </RowActions>
            </Table.Tr>
          ))
        }
      />
      <ScheduleForm
        opened={editing !== null}
        initial={editing === 'new' ? null : editing}
        webhooks={hooks.data?.items ?? []}
        busy={actions.create.isPending || actions.update.isPending}
        error={editing === 'new' ? actions.create.error : actions.update.error}
        onClose={() => setEditing(null)}
        onSubmit={(input) => {
          const done = (msg: string) => () => {
            setEditing(null);
            toast.ok(msg);
          };
          if (editing === 'new') {
            actions.create.mutate(input, {
              onSuccess: done(`Schedule ${input.name} created`),
            });
          } else if (editing) {
            actions.update.mutate({ id: editing.id, ...input }, { onSuccess: done(`Schedule ${input.name} saved`) });
          }
        }}
      />
      <Runs
        appId={appId}
        schedule={items.find((s) => s.id === runsOf) ?? null}
        onClose={() => setParams({}, { replace: true })}
      />
    </>
  );
}

function Runs({ appId, schedule, onClose }: { appId: string; schedule: Schedule | null; onClose: () => void }) {
  const runs = useRuns(appId, schedule?.id ?? null);
  const items = runs.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Drawer
      opened={schedule !== null}
      onClose={onClose}
      title={`Runs of ${schedule?.name ?? ''}`}
      position="right"
      size="xl"
      closeButtonProps={{ 'aria-label': 'Close runs' }}
    >
      <QueryView
        query={runs}
        empty={{ title: 'No runs yet', description: 'Runs appear at each tick, or when you run the schedule now.' }}
      >
        {() => (
          <Table verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Trigger</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Result</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((r) => (
                <Table.Tr key={r.id} data-testid="run-row">
                  <Table.Td>{formatDate(r.at)}</Table.Td>
                  <Table.Td>{r.trigger}</Table.Td>
                  <Table.Td>
                    <Badge color={r.status === 'delivered' ? 'teal' : 'orange'} variant="light">
                      {r.status}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {r.error ? (
                      <Text size="sm" c="red.8">
                        {r.error}
                      </Text>
                    ) : r.deliveryId && schedule?.target.type === 'webhook' ? (
                      <Anchor component={Link} to={`/apps/${appId}/webhooks/${schedule.target.webhookId}`} size="sm">
                        delivery {r.deliveryId}
                      </Anchor>
                    ) : r.jobId && schedule?.target.type === 'job' ? (
                      <Anchor
                        component={Link}
                        to={`/jobs/${schedule.target.job}/${encodeURIComponent(r.jobId)}`}
                        size="sm"
                      >
                        job {r.jobId}
                      </Anchor>
                    ) : (
                      '—'
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryView>
      {runs.hasNextPage && (
        <Button variant="default" mt="md" onClick={() => void runs.fetchNextPage()}>
          Load more
        </Button>
      )}
    </Drawer>
  );
}
