import {
  ActionIcon,
  AppShell,
  Badge,
  Burger,
  Group,
  Menu,
  NavLink,
  ScrollArea,
  Select,
  Text,
  Tooltip,
  UnstyledButton,
  useComputedColorScheme,
  useMantineColorScheme,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconChevronDown, IconFlame, IconLogout, IconMoon, IconSun } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { Link, Outlet, useLocation, useMatch, useNavigate } from 'react-router';
import { session } from '../api/client';
import { useApps } from '../api/queries';
import { APP_PAGES, SERVER_PAGES } from './nav';
import { useSession } from './RequireAdmin';

/** The app shell: header (brand, app switcher, engine status, theme, account), navbar, page. */
export function Shell() {
  const [opened, { toggle, close }] = useDisclosure();
  const loc = useLocation();
  const appMatch = useMatch('/apps/:appId/*');
  const appId = appMatch?.params.appId;
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 248, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="lg"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Text component={Link} to="/apps" fw={800} size="lg" td="none" c="inherit">
              <IconFlame
                size={22}
                aria-hidden
                style={{ verticalAlign: -4, color: 'var(--mantine-primary-color-filled)' }}
              />{' '}
              Hearth
            </Text>
            <AppSwitcher appId={appId} />
          </Group>
          <Group gap="sm" wrap="nowrap">
            <EngineStatus />
            <ThemeToggle />
            <AccountMenu />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        <AppShell.Section grow component={ScrollArea}>
          {appId && (
            <>
              <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="xs" pb={4}>
                This app
              </Text>
              {APP_PAGES.map((p) => {
                const to = `/apps/${appId}${p.to ? `/${p.to}` : ''}`;
                const active = p.to ? loc.pathname.startsWith(to) : loc.pathname === to;
                return (
                  <NavLink
                    key={p.label}
                    component={Link}
                    to={to}
                    label={p.label}
                    leftSection={<p.icon size={18} aria-hidden />}
                    active={active}
                    onClick={close}
                  />
                );
              })}
            </>
          )}
          <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="md" pb={4}>
            Server
          </Text>
          {SERVER_PAGES.map((p) => (
            <NavLink
              key={p.label}
              component={Link}
              to={p.to}
              label={p.label}
              leftSection={<p.icon size={18} aria-hidden />}
              active={loc.pathname === p.to}
              onClick={close}
            />
          ))}
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}

function AppSwitcher({ appId }: { appId: string | undefined }) {
  const apps = useApps();
  const navigate = useNavigate();
  const loc = useLocation();
  const data = (apps.data?.items ?? []).map((a) => ({ value: a.id, label: a.name }));
  return (
    <Select
      aria-label="Switch app"
      placeholder={apps.isLoading ? 'Loading apps…' : 'Choose an app'}
      data={data}
      value={appId ?? null}
      searchable
      w={220}
      visibleFrom="xs"
      nothingFoundMessage="No app by that name"
      onChange={(id) => {
        if (!id) return;
        // Keep the section (users, files…) when switching apps; collection names differ per app.
        const section = appId ? loc.pathname.split('/')[3] : undefined;
        navigate(`/apps/${id}${section ? `/${section}` : ''}`);
      }}
    />
  );
}

function EngineStatus() {
  const ready = useQuery({
    queryKey: ['readyz'],
    queryFn: async () => (await fetch('/readyz')).ok,
    refetchInterval: 30_000,
    retry: false,
  });
  const ok = ready.data === true;
  return (
    <Tooltip label={ok ? 'Every engine is reachable (/readyz)' : 'An engine is unavailable (/readyz)'}>
      <Badge color={ready.isLoading ? 'gray' : ok ? 'teal' : 'red'} variant="light" visibleFrom="md">
        {ready.isLoading ? 'checking…' : ok ? 'all engines ready' : 'engine down'}
      </Badge>
    </Tooltip>
  );
}

function ThemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme('light');
  const next = scheme === 'dark' ? 'light' : 'dark';
  return (
    <Tooltip label={`Switch to ${next} theme`}>
      <ActionIcon
        variant="default"
        size="lg"
        onClick={() => setColorScheme(next)}
        aria-label={`Switch to ${next} theme`}
      >
        {scheme === 'dark' ? <IconSun size={18} /> : <IconMoon size={18} />}
      </ActionIcon>
    </Tooltip>
  );
}

function AccountMenu() {
  const s = useSession();
  return (
    <Menu position="bottom-end">
      <Menu.Target>
        <UnstyledButton aria-label={`${s?.user.email ?? ''} account menu`}>
          <Group gap={4} wrap="nowrap">
            <Text size="sm" visibleFrom="sm">
              {s?.user.email}
            </Text>
            <IconChevronDown size={14} />
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{s?.user.email}</Menu.Label>
        <Menu.Item leftSection={<IconLogout size={16} />} onClick={() => session.signOut()}>
          Sign out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
