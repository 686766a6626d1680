import { Tabs } from '@mantine/core';
import { IconBell, IconClock, IconDevices, IconHistory, IconKey } from '@tabler/icons-react';
import { useNavigate, useParams } from 'react-router';
import { PageHeader } from '../ui/PageHeader';
import { PushComposer } from './PushComposer';
import { PushCredentials } from './PushCredentials';
import { PushInstallations } from './PushInstallations';
import { PushMessages } from './PushMessages';

const TABS = ['compose', 'scheduled', 'history', 'installations', 'credentials'] as const;
type Tab = (typeof TABS)[number];

/** Push: compose with an audience preview, scheduled messages, history with stats, devices, credentials. */
export default function Push() {
  const { appId = '', tab = 'compose' } = useParams();
  const navigate = useNavigate();
  const current: Tab = (TABS as readonly string[]).includes(tab) ? (tab as Tab) : 'compose';
  const go = (t: string | null) => navigate(`/apps/${appId}/push/${t ?? 'compose'}`);
  return (
    <>
      <PageHeader
        title="Push"
        crumbs={[{ label: 'App', to: `/apps/${appId}` }]}
        description="Notifications to iOS (APNs), Android (FCM) and browsers (Web Push), fanned out through the job queue."
      />
      <Tabs value={current} onChange={go} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="compose" leftSection={<IconBell size={16} />}>
            Compose
          </Tabs.Tab>
          <Tabs.Tab value="scheduled" leftSection={<IconClock size={16} />}>
            Scheduled
          </Tabs.Tab>
          <Tabs.Tab value="history" leftSection={<IconHistory size={16} />}>
            History
          </Tabs.Tab>
          <Tabs.Tab value="installations" leftSection={<IconDevices size={16} />}>
            Installations
          </Tabs.Tab>
          <Tabs.Tab value="credentials" leftSection={<IconKey size={16} />}>
            Credentials
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="compose">
          <PushComposer appId={appId} onSent={() => go('history')} />
        </Tabs.Panel>
        <Tabs.Panel value="scheduled">
          <PushMessages appId={appId} scheduled />
        </Tabs.Panel>
        <Tabs.Panel value="history">
          <PushMessages appId={appId} />
        </Tabs.Panel>
        <Tabs.Panel value="installations">
          <PushInstallations appId={appId} />
        </Tabs.Panel>
        <Tabs.Panel value="credentials">
          <PushCredentials appId={appId} />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}
