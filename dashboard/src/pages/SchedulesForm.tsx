import { Group, SegmentedControl, Select, TextInput, Textarea } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import type { Schedule, ScheduleInput } from '../api/schedules';
import type { Webhook } from '../api/webhooks';
import { FormModal } from '../ui/FormModal';
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
  /** The server's answer to the last save. */
  error: unknown;
  onClose: () => void;
  onSubmit: (input: ScheduleInput) => void;
}) {
  const { opened, initial, webhooks, onSubmit } = props;
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [cron, setCron] = useState('');
  const [timezone, setTimezone] = useState('UTC');
  const [kind, setKind] = useState<'webhook' | 'job'>('webhook');
  const [webhookId, setWebhookId] = useState<string | null>(null);
  const [job, setJob] = useState('');
  const [payload, setPayload] = useState('{}');
  // Each opening starts from the schedule being edited (or a new one's defaults).
  useEffect(() => {
    if (!opened) return;
    const t = initial?.target;
    setName(initial?.name ?? '');
    setDescription(initial?.description ?? '');
    setCron(initial?.cron ?? '0 9 * * 1-5');
    setTimezone(initial?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC');
    setKind(t?.type ?? 'webhook');
    setWebhookId(t?.type === 'webhook' ? t.webhookId : (webhooks[0]?.id ?? null));
    setJob(t?.type === 'job' ? t.job : '');
    setPayload(t?.type === 'job' ? JSON.stringify(t.payload, null, 2) : '{}');
    // webhooks is read at opening only: a refetch while the form is open must not reset it.
  }, [opened, initial]);
  const parsed = useMemo(() => parseJson(payload), [payload]);
  const fields = cron.trim().split(/\s+/).length;
  const cronError =
    fields === 5 || fields === 6 ? null : 'Five fields (minute hour day month weekday), or six with seconds';
  const submit = () => {
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
    <FormModal
      opened={opened}
      onClose={props.onClose}
      title={initial ? 'Edit schedule' : 'New schedule'}
      size="lg"
      submitLabel={initial ? 'Save schedule' : 'Create schedule'}
      onSubmit={submit}
      pending={props.busy}
      error={props.error}
    >
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
    </FormModal>
  );
}
