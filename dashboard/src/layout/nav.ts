import {
  IconApi,
  IconBell,
  IconBolt,
  IconDatabase,
  IconFiles,
  IconGauge,
  IconKey,
  IconList,
  IconMail,
  IconPlayerPlay,
  IconSettings,
  IconShieldLock,
  IconUsers,
  IconWebhook,
  IconApps,
  IconClockPlay,
  IconStack2,
  IconArchive,
} from '@tabler/icons-react';

/** The navbar's sections: per-app pages and server-wide pages. */
export const APP_PAGES = [
  { to: '', label: 'Overview', icon: IconGauge },
  { to: 'collections', label: 'Collections & data', icon: IconDatabase },
  { to: 'playground', label: 'Rules playground', icon: IconPlayerPlay },
  { to: 'users', label: 'Users', icon: IconUsers },
  { to: 'files', label: 'Files', icon: IconFiles },
  { to: 'keys', label: 'API keys', icon: IconKey },
  { to: 'mail', label: 'Mail outbox', icon: IconMail },
  { to: 'push', label: 'Push', icon: IconBell },
  { to: 'webhooks', label: 'Webhooks', icon: IconWebhook },
  { to: 'schedules', label: 'Schedules', icon: IconClockPlay },
  { to: 'realtime', label: 'Realtime', icon: IconBolt },
  { to: 'backups', label: 'Backups', icon: IconArchive },
  { to: 'settings', label: 'Settings', icon: IconSettings },
];

export const SERVER_PAGES = [
  { to: '/apps', label: 'Apps', icon: IconApps },
  { to: '/jobs', label: 'Jobs', icon: IconStack2 },
  { to: '/admins', label: 'Admins', icon: IconShieldLock },
  { to: '/audit', label: 'Audit log', icon: IconList },
  { to: '/api', label: 'API explorer', icon: IconApi },
];
