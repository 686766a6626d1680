import { Button, Group, Modal, SegmentedControl, Select, Stack, TextInput, Textarea } from '@mantine/core';
import { useMemo, useState, type FormEvent } from 'react';
import type { Schedule, ScheduleInput } from '../api/schedules';
import type { Webhook } from '../api/webhooks';
import { JsonEditor, parseJson } from '../ui/JsonEditor';

const ZONES: string[] = (() => {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
})();

/** Create or edit a schedule: name, cron and time zone, and what it calls (a webhook, or a job with a payload). */
export function ScheduleForm(props: {
  opened: boolean;
  initial: Schedule | null;
  webhooks: Webhook[];
  busy: boolean;
  onClose: () => void;
  onSubmit: (input: ScheduleInput) => void;
}) {
  return (
    <Modal
      opened={props.opened}
      onClose={props.onClose}
      title={props.initial ? 'Edit schedule' : 'New schedule'}
      size="lg"
    >
      {props.opened && <Form {...props} />}
    </Modal>
  );
}

function Form({ initial, webhooks, busy, onClose, onSubmit }: Parameters<typeof ScheduleForm>[0]) {
  const [name, setName] = useState(initial?.name ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [cron, setCron] = useState(initial?.cron ?? '0 9 * * 1-5');
  const [timezone, setTimezone] = useState<string>(
    initial?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC',
  );
  const [kind, setKind] = useState<'webhook' | 'job'>(initial?.target.type ?? 'webhook');
  const [webhookId, setWebhookId] = useState<string | null>(
    initial?.target.type === 'webhook' ? initial.target.webhookId : (webhooks[0]?.id ?? null),
  );
  const [job, setJob] = useState(initial?.target.type === 'job' ? initial.target.job : '');
  const [payload, setPayload] = useState(
    initial?.target.type === 'job' ? JSON.stringify(initial.target.payload, null, 2) : '{}',
  );
  const parsed = useMemo(() => parseJson(payload), [payload]);
  const fields = cron.trim().split(/\s+/).length;
  const cronError =
    fields === 5 || fields === 6 ? null : 'Five fields (minute hour day month weekday), or six with seconds';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (cronError || !name.trim()) return;
    if (kind === 'webhook' && !webhookId) return;
    if (kind === 'job' && (parsed.error || !job.trim())) return;
    onSubmit({
      name: name.trim(),
      description,
      cron: cron.trim(),
      timezone,
      enabled: initial?.enabled ?? true,
      target:
        kind === 'webhook'
          ? { type: 'webhook', webhookId: webhookId! }
          : { type: 'job', job: job.trim(), payload: parsed.value as Record<string, unknown> },
    });
  };
  return (
    <form onSubmit={submit}>
      <Stack>
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} required data-autofocus />
        <Textarea
          label="Description"
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
          autosize
          minRows={1}
        />
        <Group grow align="flex-start">
          <TextInput
            label="Cron"
            description="minute hour day month weekday, e.g. 0 9 * * 1-5"
            value={cron}
            onChange={(e) => setCron(e.currentTarget.value)}
            error={cronError}
            ff="monospace"
            required
          />
          <Select
            label="Time zone"
            description="The cron is read in this zone (daylight saving included)"
            data={ZONES}
            value={timezone}
            onChange={(v) => v && setTimezone(v)}
            searchable
            allowDeselect={false}
          />
        </Group>
        <SegmentedControl
          aria-label="What it calls"
          value={kind}
          onChange={(v) => setKind(v as 'webhook' | 'job')}
          data={[
            { value: 'webhook', label: 'Call a webhook' },
            { value: 'job', label: 'Queue a job' },
          ]}
        />
        {kind === 'webhook' ? (
          <Select
            label="Webhook"
            description="It receives a schedule.fire delivery on each tick"
            data={webhooks.map((w) => ({ value: w.id, label: w.url }))}
            value={webhookId}
            onChange={setWebhookId}
            error={webhooks.length === 0 ? 'Create a webhook first' : undefined}
            allowDeselect={false}
          />
        ) : (
          <>
            <TextInput
              label="Job type"
              description="A type apps may queue (POST /v1/apps/{app}/jobs), e.g. exports or webhooks.call"
              value={job}
              onChange={(e) => setJob(e.currentTarget.value)}
            />
            <JsonEditor label="Job payload" value={payload} onChange={setPayload} error={parsed.error} />
          </>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            {initial ? 'Save schedule' : 'Create schedule'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
