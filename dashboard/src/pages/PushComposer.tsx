import {
  Alert,
  Code,
  Table,
  Badge,
  Button,
  Group,
  Paper,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconSend, IconUsers } from '@tabler/icons-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { errorMessage } from '../api/client';
import { pushApi, pushKeys, type Target } from '../api/push';
import { toast } from '../ui/feedback';
import { JsonEditor } from '../ui/JsonEditor';
import { deviceLabel } from './PushInstallations';

type Audience = 'all' | 'channels' | 'users' | 'filter';
const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** The target the form describes, or an error to show instead of a preview. */
export function buildTarget(kind: Audience, text: string, filter: string): Target | string {
  if (kind === 'all') return { all: true };
  if (kind === 'filter') {
    try {
      const f = JSON.parse(filter || '{}') as unknown;
      if (!f || typeof f !== 'object' || Array.isArray(f)) return 'The filter is a JSON object.';
      return { filter: f as Record<string, unknown> };
    } catch {
      return 'The filter is not valid JSON.';
    }
  }
  const items = list(text);
  if (items.length === 0) return kind === 'channels' ? 'Name at least one channel.' : 'Name at least one user id.';
  return kind === 'channels' ? { channels: items } : { users: items };
}

/** Write a push, see who it reaches (count per platform and a sample) before sending, send now or later. */
export function PushComposer({ appId, onSent }: { appId: string; onSent: () => void }) {
  const qc = useQueryClient();
  const [kind, setKind] = useState<Audience>('all');
  const [who, setWho] = useState('');
  const [filter, setFilter] = useState('{\n  "platform": "web"\n}');
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [later, setLater] = useState(false);
  const [sendAt, setSendAt] = useState('');
  const [busy, setBusy] = useState(false);
  const target = useMemo(() => buildTarget(kind, who, filter), [kind, who, filter]);
  const [debounced] = useDebouncedValue(target, 300);
  const preview = useQuery({
    queryKey: [...pushKeys.all(appId), 'audience', debounced],
    enabled: typeof debounced !== 'string',
    queryFn: () => pushApi.audience(appId, debounced as Target),
    // Devices register all the time: the count is fetched again whenever the composer opens.
    staleTime: 0,
    retry: false,
  });
  const send = async () => {
    if (typeof target === 'string') return;
    setBusy(true);
    try {
      const at = later && sendAt ? new Date(sendAt).toISOString() : undefined;
      const r = await pushApi.send(appId, { target, notification: { title, body }, ...(at ? { sendAt: at } : {}) });
      toast.ok(r.state === 'scheduled' ? `Message scheduled (${r.id})` : `Message sending (${r.id})`);
      void qc.invalidateQueries({ queryKey: pushKeys.all(appId) });
      onSent();
    } catch (e) {
      toast.error(e, 'Not sent');
    } finally {
      setBusy(false);
    }
  };
  const a = preview.data;
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg">
      <Stack>
        <Title order={3} size="h5">
          Audience
        </Title>
        <SegmentedControl
          value={kind}
          onChange={(v) => setKind(v as Audience)}
          data={[
            { value: 'all', label: 'Everyone' },
            { value: 'channels', label: 'Channels' },
            { value: 'users', label: 'Users' },
            { value: 'filter', label: 'Filter' },
          ]}
          aria-label="Audience"
        />
        {(kind === 'channels' || kind === 'users') && (
          <TextInput
            label={kind === 'channels' ? 'Channels (comma separated)' : 'User ids (comma separated)'}
            value={who}
            onChange={(e) => setWho(e.currentTarget.value)}
          />
        )}
        {kind === 'filter' && (
          <JsonEditor
            label="Installation filter"
            description="On platform, channels, locale, timeZone, appVersion, badge, owner"
            value={filter}
            onChange={setFilter}
            minHeight="100px"
          />
        )}
        <Title order={3} size="h5" mt="sm">
          Notification
        </Title>
        <TextInput label="Title" value={title} onChange={(e) => setTitle(e.currentTarget.value)} maxLength={500} />
        <Textarea
          label="Body"
          value={body}
          onChange={(e) => setBody(e.currentTarget.value)}
          autosize
          minRows={2}
          maxLength={2000}
        />
        <Switch label="Schedule for later" checked={later} onChange={(e) => setLater(e.currentTarget.checked)} />
        {later && (
          <TextInput
            type="datetime-local"
            label="Send at (your local time)"
            value={sendAt}
            onChange={(e) => setSendAt(e.currentTarget.value)}
          />
        )}
        <Group>
          <Button
            leftSection={<IconSend size={16} />}
            onClick={() => void send()}
            loading={busy}
            disabled={typeof target === 'string' || (!title && !body) || (later && !sendAt) || a?.count === 0}
          >
            {later
              ? 'Schedule message'
              : `Send to ${a ? a.count.toLocaleString() : '…'} device${a?.count === 1 ? '' : 's'}`}
          </Button>
        </Group>
      </Stack>
      <Stack>
        <Title order={3} size="h5">
          Preview
        </Title>
        <Paper withBorder p="md">
          {typeof target === 'string' ? (
            <Text c="dimmed" size="sm">
              {target}
            </Text>
          ) : preview.error ? (
            <Alert color="red" title="This audience is refused">
              {errorMessage(preview.error)}
            </Alert>
          ) : !a ? (
            <Text c="dimmed" size="sm">
              Counting…
            </Text>
          ) : (
            <Stack gap="xs">
              <Group gap="xs">
                <IconUsers size={18} aria-hidden />
                <Text fw={700} data-testid="audience-count">
                  {a.count.toLocaleString()} active device{a.count === 1 ? '' : 's'}
                </Text>
              </Group>
              <Group gap="xs">
                {(['ios', 'android', 'web'] as const).map((p) => (
                  <Badge key={p} variant="light">
                    {p}: {a.platforms[p]}
                  </Badge>
                ))}
              </Group>
              {a.sample.length > 0 && (
                <Table data-testid="audience-sample">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Platform</Table.Th>
                      <Table.Th>Device</Table.Th>
                      <Table.Th>User</Table.Th>
                      <Table.Th>Channels</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {a.sample.map((i) => (
                      <Table.Tr key={i.id}>
                        <Table.Td>{i.platform}</Table.Td>
                        <Table.Td>
                          <Code>{deviceLabel(i)}</Code>
                        </Table.Td>
                        <Table.Td>{i.userId ?? 'anonymous'}</Table.Td>
                        <Table.Td>{i.channels.join(', ') || '—'}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
              {a.count > a.sample.length && (
                <Text size="xs" c="dimmed">
                  The first {a.sample.length} of {a.count.toLocaleString()}.
                </Text>
              )}
            </Stack>
          )}
        </Paper>
        <Paper withBorder p="md" aria-label="How it looks">
          <Text size="xs" c="dimmed">
            How it looks
          </Text>
          <Text fw={600}>{title || 'Title'}</Text>
          <Text size="sm">{body || 'Body text'}</Text>
        </Paper>
      </Stack>
    </SimpleGrid>
  );
}
