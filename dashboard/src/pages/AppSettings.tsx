import {
  Button,
  Divider,
  Group,
  NumberInput,
  Paper,
  SimpleGrid,
  Stack,
  Switch,
  TagsInput,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api } from '../api/client';
import { keys, useApp } from '../api/queries';
import type { AppRow } from '../api/types';
import { confirmDanger, toast } from '../ui/feedback';
import { JsonEditor, parseJson } from '../ui/JsonEditor';
import { queryFallback } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';

type AuthSettings = Record<string, unknown> & {
  passwordPolicy?: Record<string, unknown>;
  oauth?: Record<string, unknown>;
};
interface FileSettings {
  maxFileSize: number;
  allowedTypes: string[];
  quotaBytes: number | null;
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Paper withBorder p="lg">
      <Title order={2} size="h4" mb="md">
        {title}
      </Title>
      {children}
    </Paper>
  );
}

/** App settings: name and CORS, sign-in and password policy, limits, OAuth providers, files; delete. */
export default function AppSettings() {
  const { appId = '' } = useParams();
  const app = useApp(appId);
  const auth = useQuery({
    queryKey: ['apps', appId, 'auth-settings'],
    queryFn: () => api<AuthSettings>('GET', `/v1/admin/apps/${appId}/auth/settings`),
  });
  const files = useQuery({
    queryKey: ['apps', appId, 'files-settings'],
    queryFn: () => api<FileSettings>('GET', `/v1/admin/apps/${appId}/files/settings`),
  });
  const wait = queryFallback(app) ?? queryFallback(auth) ?? queryFallback(files);
  if (wait) return wait;
  return (
    <>
      <PageHeader
        title="Settings"
        crumbs={[
          { label: 'Apps', to: '/apps' },
          { label: app.data!.name, to: `/apps/${appId}` },
        ]}
      />
      <Stack gap="lg" maw={900}>
        <GeneralSettings app={app.data!} />
        <AuthSettingsForm appId={appId} settings={auth.data!} />
        <FileSettingsForm appId={appId} settings={files.data!} />
        <DangerZone app={app.data!} />
      </Stack>
    </>
  );
}

function GeneralSettings({ app }: { app: AppRow }) {
  const qc = useQueryClient();
  const [name, setName] = useState(app.name);
  const [origins, setOrigins] = useState(app.settings?.corsOrigins ?? ['*']);
  const save = useMutation({
    mutationFn: () => api<AppRow>('PATCH', `/v1/admin/apps/${app.id}`, { name, settings: { corsOrigins: origins } }),
    onSuccess: () => {
      toast.ok('App saved');
      void qc.invalidateQueries({ queryKey: keys.apps });
    },
    onError: (e) => toast.error(e),
  });
  return (
    <Section title="App">
      <Stack>
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} maxLength={100} />
        <TagsInput
          label="CORS origins"
          description='Browser origins allowed to call this app, e.g. https://app.example.com; "*" allows any.'
          value={origins}
          onChange={setOrigins}
        />
        <Group justify="flex-end">
          <Button onClick={() => save.mutate()} loading={save.isPending}>
            Save app
          </Button>
        </Group>
      </Stack>
    </Section>
  );
}

const NUMBERS: [string, string][] = [
  ['accessTokenTtl', 'Access token lifetime (s)'],
  ['refreshTokenTtl', 'Refresh token lifetime (s)'],
  ['maxFailedLogins', 'Failed sign-ins before lockout'],
  ['lockoutSeconds', 'Lockout (s)'],
  ['ipRequestsPer15Min', 'Sign-in requests per IP per 15 min'],
  ['verifyTokenTtl', 'Verification link lifetime (s)'],
];
const POLICY_FLAGS: [string, string][] = [
  ['requireLowercase', 'Require a lowercase letter'],
  ['requireUppercase', 'Require an uppercase letter'],
  ['requireDigit', 'Require a digit'],
  ['requireSymbol', 'Require a symbol'],
  ['refuseObvious', 'Refuse common passwords'],
];

function AuthSettingsForm({ appId, settings }: { appId: string; settings: AuthSettings }) {
  const qc = useQueryClient();
  const [s, setS] = useState<AuthSettings>(settings);
  const [oauth, setOauth] = useState(JSON.stringify(settings.oauth ?? {}, null, 2));
  useEffect(() => setS(settings), [settings]);
  const policy = s.passwordPolicy ?? {};
  const setPolicy = (k: string, v: unknown) => setS({ ...s, passwordPolicy: { ...policy, [k]: v } });
  const oauthParsed = parseJson(oauth);
  const save = useMutation({
    mutationFn: () => {
      const body: Record<string, unknown> = {
        allowSignup: s.allowSignup,
        allowAnonymous: s.allowAnonymous,
        requireVerifiedEmail: s.requireVerifiedEmail,
        passwordPolicy: s.passwordPolicy,
        ...Object.fromEntries(NUMBERS.map(([k]) => [k, s[k]])),
      };
      // Masked secrets are sent back as they came: the server keeps the stored ones.
      if (JSON.stringify(oauthParsed.value) !== JSON.stringify(settings.oauth ?? {})) body.oauth = oauthParsed.value;
      return api<AuthSettings>('PATCH', `/v1/admin/apps/${appId}/auth/settings`, body);
    },
    onSuccess: () => {
      toast.ok('Sign-in settings saved');
      void qc.invalidateQueries({ queryKey: ['apps', appId, 'auth-settings'] });
    },
    onError: (e) => toast.error(e),
  });
  return (
    <Section title="Sign-in, verification and password policy">
      <Stack>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <Switch
            label="Open sign-up"
            checked={Boolean(s.allowSignup)}
            onChange={(e) => setS({ ...s, allowSignup: e.currentTarget.checked })}
          />
          <Switch
            label="Anonymous users"
            checked={Boolean(s.allowAnonymous)}
            onChange={(e) => setS({ ...s, allowAnonymous: e.currentTarget.checked })}
          />
          <Switch
            label="Require a verified email"
            checked={Boolean(s.requireVerifiedEmail)}
            onChange={(e) => setS({ ...s, requireVerifiedEmail: e.currentTarget.checked })}
          />
        </SimpleGrid>
        <Divider label="Password policy" labelPosition="left" />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <NumberInput
            label="Minimum length"
            min={8}
            max={256}
            value={Number(policy.minLength ?? 10)}
            onChange={(v) => setPolicy('minLength', Number(v))}
          />
          <NumberInput
            label="Maximum length"
            min={16}
            max={1024}
            value={Number(policy.maxLength ?? 256)}
            onChange={(v) => setPolicy('maxLength', Number(v))}
          />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          {POLICY_FLAGS.map(([k, label]) => (
            <Switch
              key={k}
              label={label}
              checked={Boolean(policy[k])}
              onChange={(e) => setPolicy(k, e.currentTarget.checked)}
            />
          ))}
        </SimpleGrid>
        <Divider label="Limits and lifetimes" labelPosition="left" />
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          {NUMBERS.map(([k, label]) => (
            <NumberInput
              key={k}
              label={label}
              value={Number(s[k] ?? 0)}
              onChange={(v) => setS({ ...s, [k]: Number(v) })}
            />
          ))}
        </SimpleGrid>
        <Divider label="Auth providers (OAuth / OpenID Connect)" labelPosition="left" />
        <JsonEditor
          label="Providers"
          description='{"google": {"issuer": "https://accounts.google.com", "clientId": "…", "clientSecret": "…"}} — secrets are masked; leave them as shown to keep them.'
          value={oauth}
          onChange={setOauth}
          error={oauthParsed.error}
        />
        <Group justify="flex-end">
          <Button onClick={() => save.mutate()} loading={save.isPending} disabled={!!oauthParsed.error}>
            Save sign-in settings
          </Button>
        </Group>
      </Stack>
    </Section>
  );
}

function FileSettingsForm({ appId, settings }: { appId: string; settings: FileSettings }) {
  const [s, setS] = useState(settings);
  const save = useMutation({
    mutationFn: () => api('PATCH', `/v1/admin/apps/${appId}/files/settings`, s),
    onSuccess: () => toast.ok('File settings saved'),
    onError: (e) => toast.error(e),
  });
  return (
    <Section title="Files">
      <Stack>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <NumberInput
            label="Largest file (MB)"
            min={1}
            value={s.maxFileSize / 1048576}
            onChange={(v) => setS({ ...s, maxFileSize: Math.round(Number(v) * 1048576) })}
          />
          <NumberInput
            label="Quota (MB, empty = none)"
            min={0}
            value={s.quotaBytes === null ? '' : s.quotaBytes / 1048576}
            onChange={(v) => setS({ ...s, quotaBytes: v === '' ? null : Math.round(Number(v) * 1048576) })}
          />
        </SimpleGrid>
        <TagsInput label="Allowed types" value={s.allowedTypes} onChange={(v) => setS({ ...s, allowedTypes: v })} />
        <Group justify="flex-end">
          <Button onClick={() => save.mutate()} loading={save.isPending}>
            Save file settings
          </Button>
        </Group>
      </Stack>
    </Section>
  );
}

function DangerZone({ app }: { app: AppRow }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const remove = useMutation({
    mutationFn: () => api('DELETE', `/v1/admin/apps/${app.id}`),
    onSuccess: () => {
      toast.ok(`App ${app.name} deleted`);
      void qc.invalidateQueries({ queryKey: keys.apps });
      navigate('/apps');
    },
    onError: (e) => toast.error(e),
  });
  return (
    <Section title="Danger zone">
      <Button
        color="red"
        variant="light"
        loading={remove.isPending}
        onClick={async () => {
          if (
            await confirmDanger({
              title: `Delete ${app.name}?`,
              body: 'Its collections, documents, users, files and keys are deleted. This cannot be undone.',
              confirm: 'Delete app',
            })
          )
            remove.mutate();
        }}
      >
        Delete this app
      </Button>
    </Section>
  );
}
