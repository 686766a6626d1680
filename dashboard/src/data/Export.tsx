import { Button, Group, Menu, Progress, Text } from '@mantine/core';
import { IconDownload } from '@tabler/icons-react';
import { useRef, useState } from 'react';
import { api } from '../api/client';
import { qs } from '../api/queries';
import type { Doc, Page } from '../api/types';
import { toast } from '../ui/feedback';
import { csvRow } from './filters';

/** Export every document matching the current filter and sort, page by page (cursor), with progress. */
export function ExportButton(props: {
  appId: string;
  collection: string;
  filter: string | null;
  sort: string;
  total: number | undefined;
  columns: string[];
}) {
  const [done, setDone] = useState<number | null>(null);
  const abort = useRef(false);
  const run = async (format: 'csv' | 'json') => {
    abort.current = false;
    setDone(0);
    const chunks: string[] = format === 'csv' ? [`${csvRow(props.columns)}\n`] : ['['];
    let after: string | null = null;
    let n = 0;
    try {
      do {
        const page: Page<Doc> = await api<Page<Doc>>(
          'GET',
          `/v1/apps/${props.appId}/collections/${props.collection}/documents${qs({ limit: 1000, filter: props.filter, sort: props.sort, after })}`,
        );
        for (const d of page.items) {
          if (format === 'csv') chunks.push(`${csvRow(props.columns.map((c) => d[c]))}\n`);
          else chunks.push(`${n > 0 ? ',' : ''}\n${JSON.stringify(d)}`);
          n++;
        }
        setDone(n);
        after = page.next;
      } while (after && !abort.current);
      if (abort.current) {
        toast.ok(`Export stopped after ${n} documents`);
        return;
      }
      if (format === 'json') chunks.push('\n]\n');
      const url = URL.createObjectURL(new Blob(chunks, { type: format === 'csv' ? 'text/csv' : 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${props.collection}.${format}`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      toast.ok(`Exported ${n} documents`);
    } catch (e) {
      toast.error(e, 'Export failed');
    } finally {
      setDone(null);
    }
  };
  if (done !== null) {
    const pct = props.total ? Math.min(100, (done / props.total) * 100) : undefined;
    return (
      <Group gap="xs" wrap="nowrap" w={260}>
        <Progress value={pct ?? 100} animated={pct === undefined} style={{ flex: 1 }} aria-label="Export progress" />
        <Text size="xs" data-testid="export-progress">
          {done.toLocaleString()}
          {props.total ? ` / ${props.total.toLocaleString()}` : ''}
        </Text>
        <Button size="compact-xs" variant="default" onClick={() => (abort.current = true)}>
          Stop
        </Button>
      </Group>
    );
  }
  return (
    <Menu>
      <Menu.Target>
        <Button variant="default" leftSection={<IconDownload size={16} />}>
          Export
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item onClick={() => void run('csv')}>CSV (visible columns)</Menu.Item>
        <Menu.Item onClick={() => void run('json')}>JSON (whole documents)</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
