import { Alert, Button, Code, Group, List, Modal, Stack, Text, type ModalProps } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import type { FormEvent, ReactNode } from 'react';
import { ApiError } from '../api/client';

/** The server's error inside the form: its message, each bad field (validation_failed), and its code. */
export function FormError({ error }: { error: unknown }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  const fields = api?.details?.fields as Record<string, string> | undefined;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <Alert color="red" title="That did not work" icon={<IconAlertTriangle />} role="alert" data-testid="form-error">
      <Stack gap={4}>
        <Text size="sm">{message}</Text>
        {fields && Object.keys(fields).length > 0 && (
          <List size="sm">
            {Object.entries(fields).map(([field, problem]) => (
              <List.Item key={field}>
                <Code>{field}</Code>: {problem}
              </List.Item>
            ))}
          </List>
        )}
        {api && (
          <Text size="xs" c="dimmed">
            <Code>{api.code}</Code> · HTTP {api.status}
          </Text>
        )}
      </Stack>
    </Alert>
  );
}

/**
 * A modal holding one form: title, fields, the server's error (shown in the form, above the
 * buttons), Cancel and a submit button that shows the pending state. Enter submits (a real
 * <form>). `result`, when set, replaces the form (e.g. a secret shown once after creating).
 */
export function FormModal(props: {
  opened: boolean;
  onClose: () => void;
  title: ReactNode;
  submitLabel: string;
  onSubmit: () => void;
  children: ReactNode;
  pending?: boolean;
  /** The last submit's error (e.g. a mutation's `error`); cleared by the caller on a new attempt. */
  error?: unknown;
  submitDisabled?: boolean;
  /** Set to false for a form with no way back but closing the modal. */
  cancel?: boolean;
  result?: ReactNode;
  size?: ModalProps['size'];
}) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!props.pending && !props.submitDisabled) props.onSubmit();
  };
  return (
    <Modal opened={props.opened} onClose={props.onClose} title={props.title} size={props.size}>
      {props.result ?? (
        <form onSubmit={submit}>
          <Stack>
            {props.children}
            <FormError error={props.error} />
            <Group justify="flex-end">
              {props.cancel !== false && (
                <Button variant="default" onClick={props.onClose}>
                  Cancel
                </Button>
              )}
              <Button type="submit" loading={props.pending} disabled={props.submitDisabled}>
                {props.submitLabel}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
