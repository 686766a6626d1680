import { Switch, TagsInput, TextInput, Textarea } from '@mantine/core';
import { useEffect, useState } from 'react';
import { EVENT_PATTERN, WEBHOOK_EVENTS, type Webhook, type WebhookInput } from '../api/webhooks';
import { FormModal } from '../ui/FormModal';

/** Create or edit a webhook: URL, events (picked or typed, e.g. documents.create:todos), description, enabled. */
export function WebhookForm(props: {
  opened: boolean;
  initial: Webhook | null;
  busy: boolean;
  /** The server's answer to the last save. */
  error: unknown;
  onClose: () => void;
  onSubmit: (input: WebhookInput) => void;
}) {
  const { opened, initial, onSubmit } = props;
  const [url, setUrl] = useState('https://');
  const [events, setEvents] = useState<string[]>([]);
  const [description, setDescription] = useState('');
  const [enabled, setEnabled] = useState(true);
  // Each opening starts from the webhook being edited (or a new one's defaults).
  useEffect(() => {
    if (!opened) return;
    setUrl(initial?.url ?? 'https://');
    setEvents(initial?.events ?? ['documents.*']);
    setDescription(initial?.description ?? '');
    setEnabled(initial?.enabled ?? true);
  }, [opened, initial]);
  const bad = events.filter((e) => !EVENT_PATTERN.test(e));
  const urlError = /^https?:\/\/[^/\s]+/.test(url) ? null : 'An http(s) URL';
  const submit = () => {
    if (bad.length || urlError || events.length === 0) return;
    onSubmit({ url: url.trim(), events, description, enabled });
  };
  return (
    <FormModal
      opened={opened}
      onClose={props.onClose}
      title={initial ? 'Edit webhook' : 'New webhook'}
      size="lg"
      submitLabel={initial ? 'Save webhook' : 'Create webhook'}
      onSubmit={submit}
      pending={props.busy}
      error={props.error}
    >
      <TextInput
        label="URL"
        description="Hearth POSTs each event here, signed with the webhook's secret (Hearth-Signature)."
        value={url}
        onChange={(e) => setUrl(e.currentTarget.value)}
        error={url !== 'https://' && urlError}
        required
        data-autofocus
      />
      <TagsInput
        label="Events"
        description="Pick or type: documents.create, documents.*:todos (one collection), users.*, files.delete, * for all."
        data={WEBHOOK_EVENTS}
        value={events}
        onChange={setEvents}
        error={bad.length ? `Not an event: ${bad.join(', ')}` : events.length === 0 ? 'At least one event' : undefined}
        clearable
        acceptValueOnBlur
      />
      <Textarea
        label="Description"
        value={description}
        onChange={(e) => setDescription(e.currentTarget.value)}
        autosize
        minRows={1}
      />
      <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
    </FormModal>
  );
}
