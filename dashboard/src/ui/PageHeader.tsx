import { Anchor, Breadcrumbs, Group, Stack, Text, Title } from '@mantine/core';
import { useEffect, type ReactNode } from 'react';
import { Link } from 'react-router';

/** Every page's title row: breadcrumbs, title (also the document title), description, actions. */
export function PageHeader(props: {
  title: string;
  description?: ReactNode;
  crumbs?: { label: string; to: string }[];
  actions?: ReactNode;
}) {
  useEffect(() => {
    document.title = `${props.title} · Hearth`;
  }, [props.title]);
  return (
    <Stack gap={4} mb="lg">
      {props.crumbs && props.crumbs.length > 0 && (
        <Breadcrumbs aria-label="Breadcrumbs">
          {props.crumbs.map((c) => (
            <Anchor key={c.to} component={Link} to={c.to} size="sm">
              {c.label}
            </Anchor>
          ))}
        </Breadcrumbs>
      )}
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <div>
          <Title order={1} size="h2">
            {props.title}
          </Title>
          {props.description && (
            <Text c="dimmed" size="sm" mt={4} component="div">
              {props.description}
            </Text>
          )}
        </div>
        {props.actions && <Group gap="sm">{props.actions}</Group>}
      </Group>
    </Stack>
  );
}
