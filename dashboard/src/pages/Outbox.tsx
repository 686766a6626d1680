import { Badge, Button, Code, Group, Paper, Table, Text } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { useParams } from 'react-router';
import { api } from '../api/client';
import { qs } from '../api/queries';
import type { Page } from '../api/types';
import { formatDate } from '../ui/feedback';
import { QueryView } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';

interface OutboxEntry {
  id: string;
  createdAt: string;
  to: string;
  subject: string;
  text: string;
  kind?: string;
}

/** Mail kept by the outbox mail engine (when MAIL_URL is not set): verification, reset, magic links. */
export default function Outbox() {
  const { appId = '' } = useParams();
  const [openId, setOpenId] = useState<string | null>(null);
  const list = useInfiniteQuery({
    queryKey: ['apps', appId, 'outbox'],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api<Page<OutboxEntry>>('GET', `/v1/admin/apps/${appId}/mail/outbox${qs({ limit: 50, after: pageParam })}`),
    getNextPageParam: (p) => p.next,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader
        title="Mail outbox"
        crumbs={[{ label: 'App', to: `/apps/${appId}` }]}
        description="Messages the server would send, newest first."
      />
      <Paper withBorder>
        <QueryView
          query={list}
          empty={{
            title: 'The outbox is empty',
            description: 'Verification, reset and magic-link mail appears here when the outbox engine is used.',
          }}
        >
          {() => (
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>To</Table.Th>
                  <Table.Th>Subject</Table.Th>
                  <Table.Th>Kind</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((m) => (
                  <Fragment key={m.id}>
                    <Table.Tr onClick={() => setOpenId(openId === m.id ? null : m.id)} style={{ cursor: 'pointer' }}>
                      <Table.Td>{formatDate(m.createdAt)}</Table.Td>
                      <Table.Td>{m.to}</Table.Td>
                      <Table.Td>
                        <Button variant="subtle" size="compact-sm" aria-expanded={openId === m.id}>
                          {m.subject}
                        </Button>
                      </Table.Td>
                      <Table.Td>{m.kind && <Badge variant="light">{m.kind}</Badge>}</Table.Td>
                    </Table.Tr>
                    {openId === m.id && (
                      <Table.Tr>
                        <Table.Td colSpan={4}>
                          <Code block>{m.text}</Code>
                        </Table.Td>
                      </Table.Tr>
                    )}
                  </Fragment>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </QueryView>
      </Paper>
      {list.hasNextPage && (
        <Group justify="center" mt="md">
          <Button variant="default" onClick={() => void list.fetchNextPage()}>
            Load more
          </Button>
        </Group>
      )}
      <Text size="xs" c="dimmed" mt="sm">
        With a real mail server configured (MAIL_URL), mail is sent instead and this list stays empty.
      </Text>
    </>
  );
}
