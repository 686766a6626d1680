import {
  Anchor,
  Badge,
  Button,
  FileButton,
  Group,
  Modal,
  Paper,
  Progress,
  Stack,
  Switch,
  Table,
  Text,
} from '@mantine/core';
import type { FileInfo } from '@hearth/sdk';
import { IconUpload } from '@tabler/icons-react';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { api, freshToken } from '../api/client';
import { qs } from '../api/queries';
import type { Page } from '../api/types';
import { confirmDanger, formatBytes, formatDate, toast } from '../ui/feedback';
import { QueryView } from '../ui/QueryView';
import { PageHeader } from '../ui/PageHeader';
import { FileThumb, Preview, signedUrl } from '../data/FileThumb';

/** Upload with progress over XHR (fetch cannot report upload progress). */
function upload(appId: string, file: File, isPublic: boolean, onProgress: (pct: number) => void): Promise<FileInfo> {
  return freshToken().then(
    (token) =>
      new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', `/v1/apps/${appId}/files${isPublic ? '?public=true' : ''}`);
        if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
        xhr.upload.onprogress = (e) => e.lengthComputable && onProgress((e.loaded / e.total) * 100);
        xhr.onload = () => {
          const body = JSON.parse(xhr.responseText || '{}') as FileInfo & { error?: { message: string } };
          if (xhr.status === 201) resolve(body);
          else reject(new Error(body.error?.message ?? `Upload failed (${xhr.status})`));
        };
        xhr.onerror = () => reject(new Error('Upload failed: network error'));
        const form = new FormData();
        form.append('file', file);
        xhr.send(form);
      }),
  );
}

/** An app's files: usage against the quota, thumbnails, preview, upload with progress, delete. */
export default function Files() {
  const { appId = '' } = useParams();
  const [params] = useSearchParams();
  const qc = useQueryClient();
  const [progress, setProgress] = useState<{ name: string; pct: number } | null>(null);
  const [isPublic, setPublic] = useState(false);
  const [preview, setPreview] = useState<{ file: FileInfo; url: string } | null>(null);
  const usage = useQuery({
    queryKey: ['apps', appId, 'files', 'usage'],
    queryFn: () =>
      api<{ files: number; bytes: number; quotaBytes: number | null }>('GET', `/v1/admin/apps/${appId}/files/usage`),
  });
  const list = useInfiniteQuery({
    queryKey: ['apps', appId, 'files', 'list'],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api<Page<FileInfo>>('GET', `/v1/admin/apps/${appId}/files${qs({ limit: 50, after: pageParam })}`),
    getNextPageParam: (p) => p.next,
  });
  const files = list.data?.pages.flatMap((p) => p.items) ?? [];
  const highlight = params.get('id');
  const refresh = () => void qc.invalidateQueries({ queryKey: ['apps', appId, 'files'] });
  const onUpload = async (picked: File[]) => {
    for (const f of picked) {
      setProgress({ name: f.name, pct: 0 });
      try {
        const saved = await upload(appId, f, isPublic, (pct) => setProgress({ name: f.name, pct }));
        toast.ok(`Uploaded ${saved.name} (${formatBytes(saved.size)})`);
      } catch (e) {
        toast.error(e, `Could not upload ${f.name}`);
      }
    }
    setProgress(null);
    refresh();
  };
  const remove = async (f: FileInfo) => {
    if (
      !(await confirmDanger({
        title: `Delete ${f.name}?`,
        body: 'The file and its bytes are deleted.',
        confirm: 'Delete file',
      }))
    )
      return;
    try {
      await api('DELETE', `/v1/admin/apps/${appId}/files/${f.id}`);
      toast.ok('File deleted');
      refresh();
    } catch (e) {
      toast.error(e);
    }
  };
  return (
    <>
      <PageHeader
        title="Files"
        crumbs={[{ label: 'App', to: `/apps/${appId}` }]}
        actions={
          <Group>
            <Switch label="Public" checked={isPublic} onChange={(e) => setPublic(e.currentTarget.checked)} />
            <FileButton onChange={(f) => void onUpload(f)} multiple>
              {(props) => (
                <Button {...props} leftSection={<IconUpload size={16} />} loading={progress !== null}>
                  Upload files
                </Button>
              )}
            </FileButton>
          </Group>
        }
      />
      <Paper withBorder p="md" mb="md">
        <QueryView query={usage} skeletonRows={1}>
          {(u) => (
            <Stack gap={6}>
              <Text size="sm" data-testid="usage">
                {u.files} files · {formatBytes(u.bytes)} stored
                {u.quotaBytes !== null ? ` of ${formatBytes(u.quotaBytes)} quota` : ' · no quota'}
              </Text>
              {u.quotaBytes !== null && (
                <Progress value={Math.min(100, (u.bytes / Math.max(1, u.quotaBytes)) * 100)} aria-label="Quota used" />
              )}
            </Stack>
          )}
        </QueryView>
        {progress && (
          <Stack gap={4} mt="sm">
            <Text size="xs">Uploading {progress.name}…</Text>
            <Progress value={progress.pct} animated aria-label="Upload progress" />
          </Stack>
        )}
      </Paper>
      <Paper withBorder>
        <QueryView
          query={list}
          empty={{ title: 'No files yet', description: 'Upload one here, or from an app with the SDK.' }}
        >
          {() => (
            <Table verticalSpacing="xs" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>
                    <span className="sr-only">Thumbnail</span>
                  </Table.Th>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Type</Table.Th>
                  <Table.Th>Size</Table.Th>
                  <Table.Th>Owner</Table.Th>
                  <Table.Th>Uploaded</Table.Th>
                  <Table.Th>
                    <span className="sr-only">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {files.map((f) => (
                  <Table.Tr key={f.id} bg={f.id === highlight ? 'var(--mantine-primary-color-light)' : undefined}>
                    <Table.Td>
                      <FileThumb appId={appId} file={f} />
                    </Table.Td>
                    <Table.Td>
                      <Anchor
                        component="button"
                        onClick={async () => setPreview({ file: f, url: await signedUrl(appId, f.id) })}
                      >
                        {f.name}
                      </Anchor>{' '}
                      {f.public && <Badge size="xs">public</Badge>}
                    </Table.Td>
                    <Table.Td>{f.type}</Table.Td>
                    <Table.Td>{formatBytes(f.size)}</Table.Td>
                    <Table.Td>{f.owner ?? '—'}</Table.Td>
                    <Table.Td>{formatDate(f.createdAt)}</Table.Td>
                    <Table.Td>
                      <Button
                        size="compact-xs"
                        variant="subtle"
                        color="red"
                        onClick={() => void remove(f)}
                        aria-label={`Delete ${f.name}`}
                      >
                        Delete
                      </Button>
                    </Table.Td>
                  </Table.Tr>
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
      <Modal opened={preview !== null} onClose={() => setPreview(null)} title={preview?.file.name} size="xl">
        {preview && <Preview appId={appId} file={preview.file} />}
        {preview && (
          <Text size="xs" c="dimmed" mt="sm">
            {preview.file.type} · {formatBytes(preview.file.size)} · sha256 {preview.file.sha256.slice(0, 16)}… ·{' '}
            <Anchor href={preview.url} target="_blank" rel="noreferrer">
              open
            </Anchor>
          </Text>
        )}
      </Modal>
    </>
  );
}
