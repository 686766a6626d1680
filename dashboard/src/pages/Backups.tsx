import {
  Anchor,
  Badge,
  Button,
  Group,
  NumberInput,
  Paper,
  Progress,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { IconDatabaseExport, IconDownload } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError, freshToken } from '../api/client';
import { qs } from '../api/queries';
import { confirmDanger, formatBytes, formatDate, toast } from '../ui/feedback';
import { FormModal } from '../ui/FormModal';
import { DeleteButton, ResourceTable, RowActions } from '../ui/ResourceTable';
import { PageHeader } from '../ui/PageHeader';

interface Progressed {
  phase: string;
  done: number;
  total?: number;
}
interface Backup {
  id: string;
  appId: string;
  trigger: 'manual' | 'scheduled';
  status: 'queued' | 'running' | 'completed' | 'failed';
  createdAt: string;
  finishedAt: string | null;
  size: number | null;
  counts: { files: { count: number }; collections: Array<{ documents: number }> } | null;
  progress: Progressed | null;
  error: string | null;
}
interface Restore {
  id: string;
  status: Backup['status'];
  appId: string | null;
  progress: Progressed | null;
  result: { unreadableSecrets: { pushCredentials: string[]; webhooks: string[] } } | null;
  error: { message: string } | null;
}
interface Schedule {
  cron: string;
  timezone: string;
  keep: number;
  nextRunAt: string;
}

const running = (s: Backup['status']) => s === 'queued' || s === 'running';
const STATUS_COLOR = { queued: 'gray', running: 'blue', completed: 'teal', failed: 'red' } as const;

function JobProgress({ progress, label }: { progress: Progressed | null; label: string }) {
  const pct = progress?.total ? Math.min(100, (progress.done / Math.max(1, progress.total)) * 100) : 100;
  return (
    <Stack gap={2}>
      <Progress value={pct} animated aria-label={label} />
      <Text size="xs" c="dimmed">
        {progress ? `${progress.phase}: ${progress.done}${progress.total ? ` of ${progress.total}` : ''}` : 'waiting…'}
      </Text>
    </Stack>
  );
}

/** The archive carries the admin token, so it is fetched and handed to the browser as a blob. */
async function download(b: Backup) {
  const token = await freshToken();
  const res = await fetch(`/v1/admin/backups/${b.id}/archive`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  if (!res.ok) throw new Error(`Download failed (${res.status})`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `hearth-${b.appId}-${b.id}.tar.gz`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function RestoreModal({ backup, onClose }: { backup: Backup | null; onClose: () => void }) {
  const [name, setName] = useState('');
  const [restoreId, setRestoreId] = useState<string | null>(null);
  const restore = useQuery({
    queryKey: ['restores', restoreId],
    queryFn: () => api<Restore>('GET', `/v1/admin/restores/${restoreId}`),
    enabled: restoreId !== null,
    refetchInterval: (q) => (q.state.data && !running(q.state.data.status) ? false : 1000),
  });
  const close = () => {
    setRestoreId(null);
    setName('');
    start.reset();
    onClose();
  };
  const start = useMutation({
    mutationFn: (b: Backup) => api<Restore>('POST', `/v1/admin/backups/${b.id}/restore`, name ? { name } : {}),
    onSuccess: (r) => setRestoreId(r.id),
  });
  const r = restore.data;
  const unreadable = r?.result
    ? [...r.result.unreadableSecrets.pushCredentials, ...r.result.unreadableSecrets.webhooks]
    : [];
  const progress =
    restoreId === null ? null : !r || running(r.status) ? (
      <JobProgress progress={r?.progress ?? null} label="Restore progress" />
    ) : r.status === 'completed' ? (
      <Stack data-testid="restore-done">
        <Text>
          Restored into{' '}
          <Anchor component={Link} to={`/apps/${r.appId}`} onClick={close}>
            the new app {r.appId}
          </Anchor>
          .
        </Text>
        {unreadable.length > 0 && (
          <Text size="sm" c="orange.9">
            This server&apos;s secret does not open {unreadable.join(', ')}: set those push credentials and webhook
            secrets again.
          </Text>
        )}
      </Stack>
    ) : (
      <Text c="red.8">The restore failed: {r.error?.message}</Text>
    );
  return (
    <FormModal
      opened={backup !== null}
      onClose={close}
      title="Restore into a new app"
      submitLabel="Restore"
      onSubmit={() => backup && start.mutate(backup)}
      pending={start.isPending}
      error={start.error}
      result={progress}
    >
      <Text size="sm">
        The backup becomes a new app (this app stays as it is). Users sign in again; create a secret key for the new app
        on its Keys page.
      </Text>
      <TextInput
        label="New app name"
        placeholder="Same as the backed-up app"
        value={name}
        onChange={(e) => setName(e.currentTarget.value)}
      />
    </FormModal>
  );
}

function ScheduleForm({ appId }: { appId: string }) {
  const qc = useQueryClient();
  const schedule = useQuery({
    queryKey: ['apps', appId, 'backup-schedule'],
    queryFn: () =>
      api<Schedule>('GET', `/v1/admin/apps/${appId}/backup-schedule`).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }),
  });
  const [form, setForm] = useState<{ cron: string; timezone: string; keep: number } | null>(null);
  const current = form ?? {
    cron: schedule.data?.cron ?? '0 3 * * *',
    timezone: schedule.data?.timezone ?? 'UTC',
    keep: schedule.data?.keep ?? 7,
  };
  const save = async () => {
    try {
      await api('PUT', `/v1/admin/apps/${appId}/backup-schedule`, current);
      toast.ok('Backup schedule saved');
      setForm(null);
      void qc.invalidateQueries({ queryKey: ['apps', appId, 'backup-schedule'] });
    } catch (e) {
      toast.error(e, 'Could not save the schedule');
    }
  };
  const stop = async () => {
    await api('DELETE', `/v1/admin/apps/${appId}/backup-schedule`).catch((e: unknown) => toast.error(e));
    void qc.invalidateQueries({ queryKey: ['apps', appId, 'backup-schedule'] });
  };
  return (
    <Paper withBorder p="md" mb="md">
      <Title order={2} size="h4" mb="xs">
        Scheduled backups
      </Title>
      <Text size="sm" mb="sm">
        {schedule.data
          ? `Next run ${formatDate(schedule.data.nextRunAt)}; the newest ${schedule.data.keep} scheduled backups are kept.`
          : 'Off. Set a cron (at most every 15 minutes) and how many scheduled backups to keep.'}
      </Text>
      <Group align="flex-end">
        <TextInput
          label="Cron"
          value={current.cron}
          onChange={(e) => setForm({ ...current, cron: e.currentTarget.value })}
        />
        <TextInput
          label="Time zone"
          value={current.timezone}
          onChange={(e) => setForm({ ...current, timezone: e.currentTarget.value })}
        />
        <NumberInput
          label="Keep"
          min={1}
          max={365}
          value={current.keep}
          onChange={(v) => setForm({ ...current, keep: Number(v) || 1 })}
          w={100}
        />
        <Button onClick={() => void save()}>Save schedule</Button>
        {schedule.data && (
          <Button variant="default" onClick={() => void stop()}>
            Turn off
          </Button>
        )}
      </Group>
    </Paper>
  );
}

/** An app's backups: make one (with progress), download, restore into a new app, delete; the schedule. */
export default function Backups() {
  const { appId = '' } = useParams();
  const qc = useQueryClient();
  const [restoring, setRestoring] = useState<Backup | null>(null);
  const list = useQuery({
    queryKey: ['apps', appId, 'backups'],
    queryFn: () => api<{ items: Backup[] }>('GET', `/v1/admin/backups${qs({ appId, limit: 100 })}`),
    refetchInterval: (q) => (q.state.data?.items.some((b) => running(b.status)) ? 1000 : false),
  });
  const refresh = () => void qc.invalidateQueries({ queryKey: ['apps', appId, 'backups'] });
  const create = async () => {
    try {
      await api('POST', `/v1/admin/apps/${appId}/backups`);
      toast.ok('Backup started');
      refresh();
    } catch (e) {
      toast.error(e, 'Could not start a backup');
    }
  };
  const remove = async (b: Backup) => {
    if (
      !(await confirmDanger({
        title: 'Delete this backup?',
        body: `The backup of ${formatDate(b.createdAt)} and its archive are deleted. This cannot be undone.`,
        confirm: 'Delete backup',
      }))
    )
      return;
    try {
      await api('DELETE', `/v1/admin/backups/${b.id}`);
      toast.ok('Backup deleted');
      refresh();
    } catch (e) {
      toast.error(e);
    }
  };
  const items = list.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Backups"
        crumbs={[{ label: 'App', to: `/apps/${appId}` }]}
        actions={
          <Button leftSection={<IconDatabaseExport size={16} />} onClick={() => void create()}>
            Back up now
          </Button>
        }
      />
      <ScheduleForm appId={appId} />
      <ResourceTable
        query={list}
        empty={{ title: 'No backups yet', description: 'Back up now, or set a schedule above.' }}
        columns={['Started', 'Status', 'Contents', 'Size']}
        spacing="xs"
        rows={() =>
          items.map((b) => (
            <Table.Tr key={b.id} data-testid="backup-row">
              <Table.Td>
                {formatDate(b.createdAt)}{' '}
                {b.trigger === 'scheduled' && (
                  <Badge size="xs" variant="light">
                    scheduled
                  </Badge>
                )}
              </Table.Td>
              <Table.Td miw={160}>
                {running(b.status) ? (
                  <JobProgress progress={b.progress} label="Backup progress" />
                ) : (
                  <Badge color={STATUS_COLOR[b.status]}>{b.status}</Badge>
                )}
                {b.error && (
                  <Text size="xs" c="red.8">
                    {b.error}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                {b.counts
                  ? `${b.counts.collections.reduce((n, c) => n + c.documents, 0)} records · ${b.counts.files.count} files`
                  : '—'}
              </Table.Td>
              <Table.Td>{b.size !== null ? formatBytes(b.size) : '—'}</Table.Td>
              <RowActions>
                <Button
                  size="compact-xs"
                  variant="subtle"
                  leftSection={<IconDownload size={14} />}
                  disabled={b.status !== 'completed'}
                  onClick={() => void download(b).catch((e: unknown) => toast.error(e))}
                >
                  Download
                </Button>
                <Button
                  size="compact-xs"
                  variant="subtle"
                  disabled={b.status !== 'completed'}
                  onClick={() => setRestoring(b)}
                >
                  Restore…
                </Button>
                <DeleteButton
                  size="compact-xs"
                  label={`Delete the backup of ${formatDate(b.createdAt)}`}
                  disabled={b.status === 'running'}
                  onClick={() => void remove(b)}
                />
              </RowActions>
            </Table.Tr>
          ))
        }
      />
      <RestoreModal backup={restoring} onClose={() => setRestoring(null)} />
    </>
  );
}
