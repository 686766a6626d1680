import { Button, Group, Modal, Stack, Switch, TagsInput, TextInput, Textarea } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { EVENT_PATTERN, WEBHOOK_EVENTS, type Webhook, type WebhookInput } from '../api/webhooks';

/** Create or edit a webhook: URL, events (picked or typed, e.g. documents.create:todos), description, enabled. */
export function WebhookForm(props: {
  opened: boolean;
  initial: Webhook | null;
  busy: boolean;
  onClose: () => void;
  onSubmit: (input: WebhookInput) => void;
}) {
  return (
    <Modal
      opened={props.opened}
      onClose={props.onClose}
      title={props.initial ? 'Edit webhook' : 'New webhook'}
      size="lg"
    >
      {props.opened && <Form {...props} />}
    </Modal>
  );
}

function Form({ initial, busy, onClose, onSubmit }: Parameters<typeof WebhookForm>[0]) {
  const [url, setUrl] = useState(initial?.url ?? 'https://');
  const [events, setEvents] = useState<string[]>(initial?.events ?? ['documents.*']);
  const [description, setDescription] = useState(initial?.description ?? '');
  const [enabled, setEnabled] = useState(initial?.enabled ?? true);
  const bad = events.filter((e) => !EVENT_PATTERN.test(e));
  const urlError = /^https?:\/\/[^/\s]+/.test(url) ? null : 'An http(s) URL';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (bad.length || urlError || events.length === 0) return;
    onSubmit({ url: url.trim(), events, description, enabled });
  };
  return (
    <form onSubmit={submit}>
      <Stack>
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
          error={
            bad.length ? `Not an event: ${bad.join(', ')}` : events.length === 0 ? 'At least one event' : undefined
          }
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
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            {initial ? 'Save webhook' : 'Create webhook'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
