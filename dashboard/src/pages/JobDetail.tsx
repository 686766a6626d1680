import {
  Alert,
  Anchor,
  Badge,
  Button,
  Code,
  Group,
  Paper,
  Progress,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { IconRefresh, IconTrash } from '@tabler/icons-react';
import { Link, useNavigate, useParams } from 'react-router';
import { useJob, useJobActions } from '../api/jobs';
import { confirmDanger, formatDate, toast } from '../ui/feedback';
import { queryFallback } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';
import { STATE_COLOR } from './Jobs';

const pretty = (v: unknown) => JSON.stringify(v, null, 2) ?? 'null';

/** A progress value a handler reported: a number 0–100 becomes a bar, anything else is shown as JSON. */
function ProgressView({ value, active }: { value: unknown; active: boolean }) {
  if (value === 0 && !active) {
    return (
      <Text size="sm" c="dimmed">
        none reported
      </Text>
    );
  }
  if (typeof value === 'number') {
    return (
      <Group gap="sm">
        <Progress value={Math.min(100, Math.max(0, value))} w={200} aria-label="Job progress" />
        <Text size="sm">{value}%</Text>
      </Group>
    );
  }
  return <Code>{pretty(value)}</Code>;
}

/** One job: its data, attempts, progress, result and last error; retry (failed) or remove. */
export default function JobDetail() {
  const { queue = '', jobId = '' } = useParams();
  const navigate = useNavigate();
  const job = useJob(queue, jobId);
  const actions = useJobActions(queue);
  const crumbs = [
    { label: 'Jobs', to: `/jobs?queue=${queue}` },
    { label: queue, to: `/jobs?queue=${queue}&state=${job.data?.state ?? 'failed'}` },
  ];
  const wait = queryFallback(job);
  if (wait) {
    return (
      <>
        <PageHeader title={`Job ${jobId}`} crumbs={crumbs} />
        {wait}
      </>
    );
  }
  const j = job.data!;
  const remove = async () => {
    const ok = await confirmDanger({
      title: 'Remove this job?',
      body: `Job ${j.id} (${j.type}) is deleted from the ${queue} queue with its result and error.`,
      confirm: 'Remove job',
    });
    if (!ok) return;
    actions.remove.mutate(j.id, {
      onSuccess: () => {
        toast.ok(`Job ${j.id} removed`);
        void navigate(`/jobs?queue=${queue}&state=${j.state}`);
      },
      onError: (e) => toast.error(e),
    });
  };
  return (
    <>
      <PageHeader
        title={`Job ${j.id}`}
        crumbs={crumbs}
        description={
          <Group gap="xs">
            <Badge color={STATE_COLOR[j.state]} variant="light">
              {j.state}
            </Badge>
            <span>
              {j.type} in queue {j.queue}
              {j.appId && (
                <>
                  {' '}
                  for app{' '}
                  <Anchor component={Link} to={`/apps/${j.appId}`} size="sm">
                    {j.appId}
                  </Anchor>
                </>
              )}
            </span>
          </Group>
        }
        actions={
          <>
            {j.state === 'failed' && (
              <Button
                leftSection={<IconRefresh size={16} />}
                loading={actions.retry.isPending}
                onClick={() =>
                  actions.retry.mutate(j.id, {
                    onSuccess: () => toast.ok(`Job ${j.id} queued again`),
                    onError: (e) => toast.error(e),
                  })
                }
              >
                Retry job
              </Button>
            )}
            {j.state !== 'active' && (
              <Button color="red" variant="light" leftSection={<IconTrash size={16} />} onClick={() => void remove()}>
                Remove job
              </Button>
            )}
          </>
        }
      />
      <SimpleGrid cols={{ base: 2, md: 4 }} mb="md">
        <Fact label="Attempts" value={`${j.attemptsMade} of ${j.attempts}`} />
        <Fact label="Created" value={formatDate(j.createdAt)} />
        <Fact label="Finished" value={formatDate(j.finishedAt)} />
        <Paper withBorder p="sm">
          <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
            Progress
          </Text>
          <ProgressView value={j.progress} active={j.state === 'active'} />
        </Paper>
      </SimpleGrid>
      <Stack gap="md">
        {j.error && (
          <Alert color="red" title="Last error" role="alert">
            <Code block data-testid="job-error">
              {j.error}
            </Code>
            <Text size="xs" mt="xs">
              Hearth keeps the last error message of a job, never a stack trace (which could carry paths or provider
              text); the server log has the full error.
            </Text>
          </Alert>
        )}
        <Section title="Data" value={j.data} testId="job-data" />
        <Section title="Result" value={j.result} testId="job-result" />
      </Stack>
    </>
  );
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      <Text fw={600}>{value}</Text>
    </Paper>
  );
}

function Section({ title, value, testId }: { title: string; value: unknown; testId: string }) {
  return (
    <Paper withBorder p="md">
      <Title order={2} size="h4" mb="xs">
        {title}
      </Title>
      <Code block data-testid={testId} tabIndex={0} style={{ maxHeight: 360, overflow: 'auto' }}>
        {pretty(value)}
      </Code>
    </Paper>
  );
}
