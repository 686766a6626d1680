import {
  Alert,
  Badge,
  Button,
  FileButton,
  Group,
  Modal,
  Progress,
  ScrollArea,
  Stack,
  Table,
  Text,
} from '@mantine/core';
import { IconFileImport, IconUpload } from '@tabler/icons-react';
import { useRef, useState } from 'react';
import { api } from '../api/client';
import type { FieldDef } from '../api/types';
import { errorReport, importRows, parseFile, type Parsed, type Progress as ImportProgress } from '../data/import';
import { toast } from '../ui/feedback';

const SHOWN_ERRORS = 100;

function download(name: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Import CSV / JSON / NDJSON into a collection through the batch API, with progress and a per-row error report. */
export function ImportButton(props: { appId: string; collection: string; fields: FieldDef[]; onDone: () => void }) {
  const [opened, setOpened] = useState(false);
  const [file, setFile] = useState<{ name: string; parsed: Parsed } | null>(null);
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const [running, setRunning] = useState(false);
  const [finished, setFinished] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const known = new Set(props.fields.map((f) => f.name));
  const pick = async (f: File | null) => {
    setProgress(null);
    setFinished(false);
    if (!f) return setFile(null);
    setFile({ name: f.name, parsed: parseFile(f.name, await f.text(), props.fields) });
  };
  const start = async () => {
    if (!file) return;
    abort.current = new AbortController();
    setRunning(true);
    setProgress({ done: 0, imported: 0, errors: [] });
    try {
      const result = await importRows({
        collection: props.collection,
        rows: file.parsed.rows,
        signal: abort.current.signal,
        onProgress: setProgress,
        send: (ops, key) =>
          api('POST', `/v1/apps/${props.appId}/batch`, { ops }, { headers: { 'Idempotency-Key': key } }),
      });
      setProgress(result);
      toast.ok(
        `Imported ${result.imported.toLocaleString()} documents${result.errors.length ? `, ${result.errors.length} rows refused` : ''}`,
      );
    } catch (e) {
      toast.error(e, 'Import stopped');
    } finally {
      setRunning(false);
      setFinished(true);
      props.onDone();
    }
  };
  const close = () => {
    if (running) return;
    setOpened(false);
    setFile(null);
    setProgress(null);
    setFinished(false);
  };
  const parsed = file?.parsed;
  const total = parsed?.rows.length ?? 0;
  const errors = [...(parsed?.errors ?? []), ...(progress?.errors ?? [])].sort((a, b) => a.row - b.row);
  const unknown = (parsed?.columns ?? []).filter(
    (c) => c && !known.has(c) && !['id', 'createdAt', 'updatedAt', 'owner', 'version'].includes(c),
  );
  return (
    <>
      <Button variant="default" leftSection={<IconFileImport size={16} />} onClick={() => setOpened(true)}>
        Import
      </Button>
      <Modal
        opened={opened}
        onClose={close}
        title={`Import into ${props.collection}`}
        size="lg"
        closeOnClickOutside={!running}
      >
        <Stack>
          <Text size="sm" c="dimmed">
            CSV with a header row, a JSON array of objects, or NDJSON (one object a line). Columns are matched to fields
            by name; id, createdAt, updatedAt, owner and version are ignored (the server sets them). Rows go in batches
            of 100 through the batch API; a refused row is reported and the rest of its batch still goes in.
          </Text>
          <Group>
            <FileButton
              onChange={(f) => void pick(f)}
              accept=".csv,.json,.ndjson,.jsonl,text/csv,application/json"
              disabled={running}
            >
              {(p) => (
                <Button {...p} variant="default" leftSection={<IconUpload size={16} />}>
                  Choose file…
                </Button>
              )}
            </FileButton>
            <Text size="sm" data-testid="import-file">
              {file
                ? `${file.name}: ${total.toLocaleString()} rows${file.parsed.errors.length ? `, ${file.parsed.errors.length.toLocaleString()} unreadable` : ''}`
                : 'no file chosen'}
            </Text>
          </Group>
          {unknown.length > 0 && (
            <Alert color="yellow" title="Columns without a field">
              {unknown.join(', ')}: the server refuses fields the schema does not define.
            </Alert>
          )}
          {progress && (
            <Stack gap={4}>
              <Progress
                value={total ? (progress.done / total) * 100 : 100}
                animated={running}
                aria-label="Import progress"
              />
              <Group gap="xs">
                <Text size="sm" data-testid="import-progress">
                  {progress.done.toLocaleString()} / {total.toLocaleString()} rows
                </Text>
                <Badge color="teal" variant="light" data-testid="import-imported">
                  {progress.imported.toLocaleString()} imported
                </Badge>
                <Badge color={errors.length ? 'red' : 'gray'} variant="light" data-testid="import-errors">
                  {errors.length.toLocaleString()} refused
                </Badge>
              </Group>
            </Stack>
          )}
          {errors.length > 0 && (
            <Stack gap={4}>
              <Group justify="space-between">
                <Text size="sm" fw={600}>
                  Rows not imported
                </Text>
                <Button
                  size="compact-xs"
                  variant="subtle"
                  onClick={() => download(`${props.collection}-import-errors.csv`, errorReport(errors), 'text/csv')}
                >
                  Download error report
                </Button>
              </Group>
              <ScrollArea.Autosize mah={200}>
                <Table data-testid="import-error-table">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Row</Table.Th>
                      <Table.Th>Why</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {errors.slice(0, SHOWN_ERRORS).map((e) => (
                      <Table.Tr key={`${e.row}-${e.message}`}>
                        <Table.Td>{e.row}</Table.Td>
                        <Table.Td>{e.message}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollArea.Autosize>
              {errors.length > SHOWN_ERRORS && (
                <Text size="xs" c="dimmed">
                  and {errors.length - SHOWN_ERRORS} more in the report
                </Text>
              )}
            </Stack>
          )}
          <Group justify="flex-end">
            {running ? (
              <Button variant="default" onClick={() => abort.current?.abort()}>
                Stop after this batch
              </Button>
            ) : (
              <Button variant="default" onClick={close}>
                {finished ? 'Close' : 'Cancel'}
              </Button>
            )}
            {!finished && (
              <Button onClick={() => void start()} loading={running} disabled={!total}>
                Import {total ? total.toLocaleString() : ''} rows
              </Button>
            )}
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
