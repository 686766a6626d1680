import { Alert, List } from '@mantine/core';
import { useParams } from 'react-router';
import { PENDING_PAGES } from '../layout/nav';
import { PageHeader } from '../ui/PageHeader';
import NotFound from './NotFound';

const WHAT: Record<string, string[]> = {
  jobs: ['queues with counts, jobs by state, detail with attempts and errors, retry and remove', 'schedules with runs'],
  webhooks: ['webhooks with the delivery log', 'redelivery'],
  push: ['credentials (upload, fingerprint)', 'installations', 'a composer with audience preview', 'history'],
  realtime: ['connections and subscriptions', 'a live event tail'],
};

/** Placeholders for pages whose server part is still being built on other branches. */
export default function Pending() {
  const { pending = '' } = useParams();
  const page = PENDING_PAGES.find((p) => p.to === pending);
  if (!page) return <NotFound />;
  return (
    <>
      <PageHeader title={page.label} />
      <Alert color="blue" title="Coming with its server">
        This server does not offer the {page.label.toLowerCase()} admin API yet. When it does, this page will show:
        <List size="sm" mt="xs">
          {(WHAT[pending] ?? []).map((w) => (
            <List.Item key={w}>{w}</List.Item>
          ))}
        </List>
      </Alert>
    </>
  );
}
