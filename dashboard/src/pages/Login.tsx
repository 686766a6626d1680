import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconFlame } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import { api, errorMessage, signInWith } from '../api/client';
import { useSession } from '../layout/RequireAdmin';
import { Loading } from '../ui/feedback';

/** First-run setup (while the server has no admin) or sign-in. */
export default function Login() {
  const s = useSession();
  const [params] = useSearchParams();
  const next = params.get('next');
  const setup = useQuery({
    queryKey: ['setup'],
    queryFn: () => api<{ needed: boolean }>('GET', '/v1/admin/setup'),
  });
  const needed = setup.data?.needed === true;
  useEffect(() => {
    document.title = `${needed ? 'Set up' : 'Sign in'} · Hearth`;
  }, [needed]);
  if (s) return <Navigate to={next && next.startsWith('/') && !next.startsWith('//') ? next : '/apps'} replace />;
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w={400} maw="100%">
        <Text fw={800} size="xl" mb="md">
          <IconFlame
            size={22}
            aria-hidden
            style={{ verticalAlign: -4, color: 'var(--mantine-primary-color-filled)' }}
          />{' '}
          Hearth
        </Text>
        {setup.isLoading ? (
          <Loading label="Checking the server…" />
        ) : needed ? (
          <CredentialsForm
            title="Create the first admin"
            intro="This server has no admin yet. The account you create here can create apps and invite other admins."
            submit="Create admin"
            path="/v1/admin/setup"
          />
        ) : (
          <CredentialsForm title="Sign in" submit="Sign in" path="/v1/admin/login" />
        )}
      </Paper>
    </Center>
  );
}

function CredentialsForm(props: {
  title: string;
  intro?: string;
  submit: string;
  path: '/v1/admin/setup' | '/v1/admin/login';
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signInWith(props.path, { email, password });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={onSubmit}>
      <Stack>
        <Title order={1} size="h3">
          {props.title}
        </Title>
        {props.intro && (
          <Text size="sm" c="dimmed">
            {props.intro}
          </Text>
        )}
        <TextInput
          label="Email"
          name="email"
          type="email"
          autoComplete="username"
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
          required
          autoFocus
        />
        <PasswordInput
          label="Password"
          name="password"
          autoComplete={props.path === '/v1/admin/setup' ? 'new-password' : 'current-password'}
          description={props.path === '/v1/admin/setup' ? 'At least 10 characters.' : undefined}
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          required
        />
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Button type="submit" loading={busy}>
          {props.submit}
        </Button>
      </Stack>
    </form>
  );
}
