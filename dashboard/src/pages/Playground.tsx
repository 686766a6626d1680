import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  Paper,
  Select,
  Stack,
  Table,
  TagsInput,
  Text,
  TextInput,
} from '@mantine/core';
import type { AuthUser } from '@hearth/sdk';
import { IconPlayerPlay } from '@tabler/icons-react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { qs, useCollections } from '../api/queries';
import type { Page, PlaygroundResult } from '../api/types';
import { cellText } from '../data/filters';
import { ruleText } from '../schema/diff';
import { Empty, ErrorState } from '../ui/feedback';
import { queryFallback } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';

/**
 * The rules playground: run a list as a chosen user (or as a caller with no user) and see exactly
 * the documents that caller would get — the server runs the query with the rule inside it.
 */
export default function Playground() {
  const { appId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const cols = useCollections(appId);
  const collection = params.get('collection') ?? cols.data?.items[0]?.name ?? null;
  const [userId, setUserId] = useState<string | null>(params.get('user'));
  const [email, setEmail] = useState('');
  const [roles, setRoles] = useState<string[] | null>(null);
  const [filter, setFilter] = useState('');
  const users = useQuery({
    queryKey: ['apps', appId, 'users', 'search', email],
    queryFn: () =>
      api<Page<AuthUser>>('GET', `/v1/admin/apps/${appId}/users${qs({ limit: 50, email: email || undefined })}`),
  });
  const user = users.data?.items.find((u) => u.id === userId);
  const run = useMutation({
    mutationFn: () =>
      api<PlaygroundResult>('POST', `/v1/admin/apps/${appId}/collections/${collection}/playground`, {
        as: userId ? { id: userId, roles: roles ?? user?.roles ?? [], anonymous: user?.anonymous ?? false } : null,
        limit: 50,
        ...(filter.trim() ? { filter } : {}),
      }),
  });
  const col = cols.data?.items.find((c) => c.name === collection);
  const fieldNames = col?.fields.map((f) => f.name) ?? [];
  const wait = queryFallback(cols);
  if (wait) return wait;
  if (!cols.data!.items.length) return <Empty title="No collections yet">Define a collection with rules first.</Empty>;
  return (
    <>
      <PageHeader
        title="Rules playground"
        crumbs={[{ label: 'App', to: `/apps/${appId}` }]}
        description="See which documents a user would get from a list, and the rule that decided it. Nothing is written."
      />
      <Paper withBorder p="md" mb="md">
        <Stack>
          <Group align="flex-end" wrap="wrap">
            <Select
              label="Collection"
              data={cols.data!.items.map((c) => c.name)}
              value={collection}
              allowDeselect={false}
              onChange={(v) => {
                const next = new URLSearchParams(params);
                if (v) next.set('collection', v);
                setParams(next, { replace: true });
                run.reset();
              }}
              w={200}
            />
            <TextInput
              label="Find user by email"
              placeholder="alice@"
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
              w={200}
            />
            <Select
              label="Act as"
              w={280}
              data={[
                { value: '', label: 'No user (anonymous caller)' },
                ...(users.data?.items ?? []).map((u) => ({
                  value: u.id,
                  label: `${u.email ?? 'anonymous user'} · ${u.id}`,
                })),
              ]}
              value={userId ?? ''}
              allowDeselect={false}
              onChange={(v) => {
                setUserId(v || null);
                setRoles(null);
              }}
              searchable
            />
            {userId && (
              <TagsInput
                label="Roles"
                value={roles ?? user?.roles ?? []}
                onChange={setRoles}
                w={220}
                description="Try other roles"
              />
            )}
          </Group>
          <TextInput
            label="Filter (optional, JSON)"
            placeholder='{"done": false}'
            ff="monospace"
            value={filter}
            onChange={(e) => setFilter(e.currentTarget.value)}
          />
          <Group justify="space-between">
            <Text size="sm">
              List rule of <b>{collection}</b>: <Code>{ruleText(col?.rules.list)}</Code>
            </Text>
            <Button
              leftSection={<IconPlayerPlay size={16} />}
              onClick={() => run.mutate()}
              loading={run.isPending}
              disabled={!collection}
            >
              Run as {userId ? (user?.email ?? userId) : 'anonymous'}
            </Button>
          </Group>
        </Stack>
      </Paper>
      {run.error && <ErrorState error={run.error} />}
      {run.data && (
        <Stack>
          {run.data.denied ? (
            <Alert color="red" title="Denied" data-testid="playground-result">
              The list rule {ruleText(run.data.rule)} refuses this caller: the API answers 403 forbidden.
            </Alert>
          ) : (
            <Alert
              color="teal"
              title={`${run.data.count} document${run.data.count === 1 ? '' : 's'} visible`}
              data-testid="playground-result"
            >
              Why: the server ANDed the list rule <Code>{ruleText(run.data.rule)}</Code> into the query
              {userId ? ` with @auth.id = ${userId}` : ' with no @auth (anonymous)'}
              {filter.trim() ? ' and your filter' : ''}; counts and paging only see these documents.
            </Alert>
          )}
          {run.data.items.length > 0 && (
            <Paper withBorder style={{ overflowX: 'auto' }}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    {['id', 'owner', ...fieldNames].map((f) => (
                      <Table.Th key={f}>{f}</Table.Th>
                    ))}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {run.data.items.map((d) => (
                    <Table.Tr key={d.id}>
                      {['id', 'owner', ...fieldNames].map((f) => (
                        <Table.Td key={f}>
                          {f === 'owner' && d.owner === userId ? <Badge size="sm">you</Badge> : cellText(d[f])}
                        </Table.Td>
                      ))}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          )}
        </Stack>
      )}
    </>
  );
}
