import { Alert, Button, Center, Code, CopyButton, Group, Loader, Stack, Text, ThemeIcon, Tooltip } from '@mantine/core';
import { modals } from '@mantine/modals';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconCheck, IconCopy, IconInbox } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { ApiError, errorMessage } from '../api/client';

/** Loading, empty and error states, toasts and confirmations: one look everywhere. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Group gap="sm">
        <Loader size="sm" />
        <Text c="dimmed">{label}</Text>
      </Group>
    </Center>
  );
}

/** The contract error (its code and HTTP status, when the server sent one), with a retry. */
export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <Alert color="red" title="Something went wrong" icon={<IconAlertTriangle />} role="alert">
      <Stack gap="xs" align="flex-start">
        <Text size="sm">{errorMessage(error)}</Text>
        {error instanceof ApiError && (
          <Text size="xs" c="dimmed" data-testid="error-code">
            <Code>{error.code}</Code> · HTTP {error.status}
          </Text>
        )}
        {retry && (
          <Button size="xs" variant="light" color="red" onClick={retry}>
            Try again
          </Button>
        )}
      </Stack>
    </Alert>
  );
}

/** An empty list: what it is, why, and (optionally) the action that fills it. */
export function Empty({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <Center py="xl">
      <Stack align="center" gap="xs" maw={420}>
        <ThemeIcon variant="light" size="xl" radius="xl" aria-hidden>
          <IconInbox />
        </ThemeIcon>
        <Text fw={600}>{title}</Text>
        {children && (
          <Text c="dimmed" size="sm" ta="center" component="div">
            {children}
          </Text>
        )}
        {action}
      </Stack>
    </Center>
  );
}

const DISMISS = { 'aria-label': 'Dismiss notification' };

export const toast = {
  ok: (message: string) =>
    notifications.show({ color: 'teal', message, icon: <IconCheck size={18} />, closeButtonProps: DISMISS }),
  error: (e: unknown, title = 'That did not work') =>
    notifications.show({ color: 'red', title, message: errorMessage(e), autoClose: 8000, closeButtonProps: DISMISS }),
};

/** Asks before a destructive action; resolves true when the admin confirmed. */
export function confirmDanger(opts: { title: string; body: ReactNode; confirm: string }): Promise<boolean> {
  return new Promise((resolve) => {
    modals.openConfirmModal({
      title: opts.title,
      children: <Text size="sm">{opts.body}</Text>,
      labels: { confirm: opts.confirm, cancel: 'Cancel' },
      // red.9: white text on it passes WCAG AA (5.5:1); the default red.6 does not (3.3:1).
      confirmProps: { color: 'red.9' },
      onConfirm: () => resolve(true),
      onCancel: () => resolve(false),
      onClose: () => resolve(false),
    });
  });
}

/** A value shown in monospace with a copy button (keys, ids, secrets). */
export function CopyValue({ value, label, testId }: { value: string; label: string; testId?: string }) {
  return (
    <Group gap="xs" wrap="nowrap">
      <Code data-testid={testId} style={{ wordBreak: 'break-all' }}>
        {value}
      </Code>
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? 'Copied' : `Copy ${label}`}>
            <Button
              size="compact-xs"
              variant="subtle"
              onClick={copy}
              aria-label={`Copy ${label}`}
              leftSection={copied ? <IconCheck size={14} /> : <IconCopy size={14} />}
            >
              {copied ? 'Copied' : 'Copy'}
            </Button>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}

export const formatBytes = (n: number): string => {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
};

export const formatDate = (s: string | null | undefined): string => (s ? new Date(s).toLocaleString() : '—');
