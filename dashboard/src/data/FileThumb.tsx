import type { FileInfo } from '@hearth/sdk';
import { Anchor, Group, Image, Modal, Text } from '@mantine/core';
import { IconFile } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import { formatBytes } from '../ui/feedback';

/**
 * Thumbnails from the server's `?thumb=WxH` variants (WebP, made once and kept), through signed
 * URLs so an <img> needs no Authorization header. The size is the smallest of the app's
 * thumbnailSizes that covers the box at the screen's pixel density; an app offering none gets
 * the original. A file that is not an image, or whose thumbnail the server refuses, shows an icon.
 */
const area = (s: string) => {
  const [w, h] = s.split('x').map(Number);
  return { w: w ?? 0, h: h ?? 0 };
};

export function pickSize(sizes: readonly string[], box: number, dpr = 1): string | null {
  const want = box * dpr;
  const sorted = [...sizes].sort((a, b) => area(a).w * area(a).h - area(b).w * area(b).h);
  return sorted.find((s) => area(s).w >= want && area(s).h >= want) ?? sorted.at(-1) ?? null;
}

const useThumbSizes = (appId: string) =>
  useQuery({
    queryKey: ['apps', appId, 'files', 'settings'],
    queryFn: () => api<{ thumbnailSizes: string[] }>('GET', `/v1/admin/apps/${appId}/files/settings`),
    staleTime: 60_000,
  });

export const signedUrl = (appId: string, id: string, thumb?: string | null) =>
  api<{ url: string }>('POST', `/v1/apps/${appId}/files/${id}/url`, {
    expiresIn: 600,
    ...(thumb ? { thumb, fit: 'cover' } : {}),
  }).then((r) => r.url);

export const isImage = (type: string) => type.startsWith('image/');

export function FileThumb({ appId, file, box = 40 }: { appId: string; file: FileInfo; box?: number }) {
  const sizes = useThumbSizes(appId);
  const [broken, setBroken] = useState(false);
  const size = sizes.data ? pickSize(sizes.data.thumbnailSizes, box, window.devicePixelRatio || 1) : undefined;
  const url = useQuery({
    queryKey: ['apps', appId, 'files', file.id, 'url', size ?? 'original'],
    queryFn: () => signedUrl(appId, file.id, size),
    staleTime: 500_000,
    enabled: isImage(file.type) && size !== undefined && !broken,
  });
  if (!isImage(file.type) || broken || url.error)
    return <IconFile size={box * 0.7} opacity={0.35} aria-hidden style={{ width: box }} />;
  return url.data ? (
    <Image
      src={url.data}
      alt={`Thumbnail of ${file.name}`}
      w={box}
      h={box}
      fit="cover"
      radius="sm"
      onError={() => setBroken(true)}
      data-testid="file-thumb"
    />
  ) : (
    <div style={{ width: box, height: box }} />
  );
}

/** A file field's value in the data browser: its thumbnail and name; click for a larger preview. */
export function FileCell({ appId, id }: { appId: string; id: string }) {
  const [open, setOpen] = useState(false);
  const meta = useQuery({
    queryKey: ['apps', appId, 'files', id, 'meta'],
    queryFn: () => api<FileInfo>('GET', `/v1/apps/${appId}/files/${id}`),
    staleTime: 60_000,
    retry: false,
  });
  if (!meta.data)
    return (
      <Anchor component={Link} size="sm" to={`/apps/${appId}/files?id=${id}`}>
        {meta.error ? `missing file ${id}` : `file ${id}`}
      </Anchor>
    );
  const f = meta.data;
  return (
    <>
      <Group gap={6} wrap="nowrap">
        <FileThumb appId={appId} file={f} box={24} />
        <Anchor component="button" size="sm" onClick={() => setOpen(true)} aria-label={`Preview ${f.name}`}>
          {f.name}
        </Anchor>
      </Group>
      <Modal opened={open} onClose={() => setOpen(false)} title={f.name} size="lg">
        <Preview appId={appId} file={f} />
        <Text size="xs" c="dimmed" mt="sm">
          {f.type} · {formatBytes(f.size)} ·{' '}
          <Anchor component={Link} to={`/apps/${appId}/files?id=${f.id}`}>
            in Files
          </Anchor>
        </Text>
      </Modal>
    </>
  );
}

/** A large preview: the biggest offered thumbnail for images (the original if none), else the original. */
export function Preview({ appId, file }: { appId: string; file: FileInfo }) {
  const sizes = useThumbSizes(appId);
  const image = isImage(file.type);
  const size = image && sizes.data ? pickSize(sizes.data.thumbnailSizes, 1024) : null;
  const url = useQuery({
    queryKey: ['apps', appId, 'files', file.id, 'url', size ?? 'original'],
    queryFn: () => signedUrl(appId, file.id, size),
    enabled: !image || sizes.data !== undefined,
    staleTime: 500_000,
  });
  if (!url.data) return <div style={{ height: 240 }} />;
  if (image) return <Image src={url.data} alt={file.name} fit="contain" mah={560} data-testid="file-preview" />;
  if (file.type.startsWith('video/')) return <video src={url.data} controls style={{ width: '100%' }} />;
  if (file.type.startsWith('audio/')) return <audio src={url.data} controls />;
  return <iframe src={url.data} title={file.name} style={{ width: '100%', height: 480, border: 0 }} sandbox="" />;
}
