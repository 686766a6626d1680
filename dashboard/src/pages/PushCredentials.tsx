import {
  Badge,
  Button,
  Code,
  FileButton,
  Group,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { IconKey, IconRefresh, IconUpload } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { pushApi, pushKeys, useCredentials, type Credential, type CredentialKind } from '../api/push';
import { confirmDanger, formatDate, toast } from '../ui/feedback';
import { FormModal } from '../ui/FormModal';
import { queryFallback } from '../ui/QueryView';

const KINDS: Array<{ kind: CredentialKind; title: string; platform: string }> = [
  { kind: 'fcm', title: 'Firebase Cloud Messaging', platform: 'Android' },
  { kind: 'apns', title: 'Apple Push Notification service', platform: 'iOS' },
  { kind: 'vapid', title: 'Web Push (VAPID)', platform: 'Web' },
];

/** What a stored credential shows besides its fingerprint: only its non-secret parts. */
const DETAILS: Record<CredentialKind, string[]> = {
  fcm: ['projectId', 'clientEmail'],
  apns: ['keyId', 'teamId', 'topic', 'environment'],
  vapid: ['subject', 'publicKey'],
};

/** Provider credentials: uploaded once, never shown again (a fingerprint identifies them), replaced or removed. */
export function PushCredentials({ appId }: { appId: string }) {
  const creds = useCredentials(appId);
  const qc = useQueryClient();
  const [editing, setEditing] = useState<CredentialKind | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: pushKeys.credentials(appId) });
  const remove = async (kind: CredentialKind) => {
    const ok = await confirmDanger({
      title: `Remove the ${kind.toUpperCase()} credential?`,
      body: 'Messages to this platform fail until a new one is uploaded.',
      confirm: 'Remove credential',
    });
    if (!ok) return;
    try {
      await pushApi.removeCredential(appId, kind);
      toast.ok(`${kind.toUpperCase()} credential removed`);
      refresh();
    } catch (e) {
      toast.error(e);
    }
  };
  const rotate = async () => {
    try {
      const r = await pushApi.rotate(appId);
      toast.ok(`Re-encrypted ${r.resealed} credential${r.resealed === 1 ? '' : 's'} under the current server secret`);
      refresh();
    } catch (e) {
      toast.error(e);
    }
  };
  const wait = queryFallback(creds);
  if (wait) return wait;
  const byKind = new Map((creds.data?.items ?? []).map((c) => [c.kind, c]));
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Keys are sealed at rest and never sent back: the fingerprint tells which one is stored.
        </Text>
        <Button variant="default" leftSection={<IconRefresh size={16} />} onClick={() => void rotate()}>
          Re-encrypt under current secret
        </Button>
      </Group>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        {KINDS.map(({ kind, title, platform }) => {
          const c = byKind.get(kind);
          return (
            <Paper withBorder p="md" key={kind} data-testid={`credential-${kind}`}>
              <Stack gap="xs">
                <Group justify="space-between">
                  <Title order={3} size="h5">
                    {title}
                  </Title>
                  <Badge variant="light" color={c ? 'teal' : 'gray'}>
                    {c ? 'configured' : 'not set'}
                  </Badge>
                </Group>
                <Text size="xs" c="dimmed">
                  {platform}
                </Text>
                {c && <CredentialFacts c={c} />}
                <Group gap="xs">
                  <Button size="xs" leftSection={<IconKey size={14} />} onClick={() => setEditing(kind)}>
                    {c ? 'Replace' : kind === 'vapid' ? 'Generate' : 'Upload'}
                  </Button>
                  {c && (
                    <Button size="xs" variant="subtle" color="red" onClick={() => void remove(kind)}>
                      Remove
                    </Button>
                  )}
                </Group>
              </Stack>
            </Paper>
          );
        })}
      </SimpleGrid>
      <CredentialModal
        appId={appId}
        kind={editing}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          refresh();
        }}
      />
    </Stack>
  );
}

function CredentialFacts({ c }: { c: Credential }) {
  return (
    <Stack gap={2}>
      <Text size="xs">
        Fingerprint <Code data-testid={`fingerprint-${c.kind}`}>{c.fingerprint}</Code>
      </Text>
      {DETAILS[c.kind].map((k) =>
        c[k] ? (
          <Text size="xs" key={k} style={{ wordBreak: 'break-all' }}>
            {k}: <Code>{String(c[k])}</Code>
          </Text>
        ) : null,
      )}
      <Text size="xs" c="dimmed">
        Updated {formatDate(c.updatedAt as string)}
      </Text>
    </Stack>
  );
}

function CredentialModal(props: {
  appId: string;
  kind: CredentialKind | null;
  onClose: () => void;
  onSaved: () => void;
}) {
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [form, setForm] = useState({ keyId: '', teamId: '', topic: '', environment: 'production', subject: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof form) => (v: string) => setForm((f) => ({ ...f, [k]: v }));
  const pick = async (f: File | null) => setFile(f ? { name: f.name, text: await f.text() } : null);
  const kind = props.kind;
  const body = () => {
    if (kind === 'fcm') return { serviceAccount: file?.text ?? '' };
    if (kind === 'apns')
      return {
        key: file?.text ?? '',
        keyId: form.keyId,
        teamId: form.teamId,
        topic: form.topic,
        environment: form.environment,
      };
    return { subject: form.subject };
  };
  const save = async () => {
    if (!kind) return;
    setBusy(true);
    setError(null);
    try {
      const saved = await pushApi.putCredential(props.appId, kind, body());
      toast.ok(`${kind.toUpperCase()} credential stored (fingerprint ${saved.fingerprint})`);
      setFile(null);
      props.onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const needsFile = kind === 'fcm' || kind === 'apns';
  const close = () => {
    setError(null);
    props.onClose();
  };
  return (
    <FormModal
      opened={kind !== null}
      onClose={close}
      title={kind ? `Push credential: ${kind.toUpperCase()}` : ''}
      submitLabel={kind === 'vapid' ? 'Generate key pair' : 'Store credential'}
      onSubmit={() => void save()}
      pending={busy}
      error={error}
      submitDisabled={needsFile && !file}
    >
      {needsFile && (
        <Group>
          <FileButton
            onChange={(f) => void pick(f)}
            accept={kind === 'fcm' ? 'application/json,.json' : '.p8,text/plain'}
          >
            {(p) => (
              <Button {...p} variant="default" leftSection={<IconUpload size={16} />}>
                {kind === 'fcm' ? 'Service account JSON…' : 'Auth key (.p8)…'}
              </Button>
            )}
          </FileButton>
          <Text size="sm" c="dimmed" data-testid="credential-file">
            {file?.name ?? 'no file chosen'}
          </Text>
        </Group>
      )}
      {kind === 'apns' && (
        <>
          <TextInput label="Key id" value={form.keyId} onChange={(e) => set('keyId')(e.currentTarget.value)} />
          <TextInput label="Team id" value={form.teamId} onChange={(e) => set('teamId')(e.currentTarget.value)} />
          <TextInput
            label="Bundle id (topic)"
            value={form.topic}
            onChange={(e) => set('topic')(e.currentTarget.value)}
          />
          <Select
            label="Environment"
            data={['production', 'sandbox']}
            value={form.environment}
            onChange={(v) => set('environment')(v ?? 'production')}
            allowDeselect={false}
          />
        </>
      )}
      {kind === 'vapid' && (
        <>
          <Text size="sm">A new key pair is generated on the server; browsers subscribe with its public key.</Text>
          <TextInput
            label="Contact (subject)"
            description="mailto: or https: URL the push services may contact"
            placeholder="mailto:ops@example.com"
            value={form.subject}
            onChange={(e) => set('subject')(e.currentTarget.value)}
          />
        </>
      )}
    </FormModal>
  );
}
