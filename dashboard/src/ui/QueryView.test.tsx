import { MantineProvider } from '@mantine/core';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { FormError } from './FormModal';
import { queryFallback, QueryView, type QueryState } from './QueryView';

const html = (node: ReactNode) => renderToStaticMarkup(<MantineProvider>{node}</MantineProvider>);
/** The visible text (Mantine's provider style tags left out). */
const text = (node: ReactNode) =>
  html(node)
    .replace(/<style[^>]*>[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
const state = <T,>(s: Partial<QueryState<T>>): QueryState<T> => ({
  data: undefined,
  error: null,
  refetch: () => undefined,
  ...s,
});
const rows = (d: { items: string[] }) => (
  <ul>
    {d.items.map((i) => (
      <li key={i}>{i}</li>
    ))}
  </ul>
);
const notFound = new ApiError(404, 'not_found', 'No such app.');

describe('QueryView', () => {
  it('shows a skeleton announced as loading while there is no data', () => {
    const out = html(<QueryView query={state<{ items: string[] }>({})}>{rows}</QueryView>);
    expect(out).toContain('role="status"');
    expect(out).toContain('Loading…');
    expect(out).toContain('mantine-Skeleton');
    expect(out).not.toContain('<li>');
  });

  it('names what is loading when told', () => {
    expect(
      text(
        <QueryView query={state({})} loadingLabel="Loading documents…">
          {() => null}
        </QueryView>,
      ),
    ).toContain('Loading documents…');
  });

  it('shows the contract error with its code, status and a retry', () => {
    const out = text(<QueryView query={state({ error: notFound })}>{() => 'never'}</QueryView>);
    expect(out).toContain('No such app.');
    expect(out).toContain('not_found');
    expect(out).toContain('HTTP 404');
    expect(out).toContain('Try again');
    expect(out).not.toContain('never');
  });

  it('leaves the retry out when asked, and shows a plain (network) error without a code', () => {
    const out = text(
      <QueryView query={state({ error: new TypeError('Failed to fetch') })} retry={false}>
        {() => null}
      </QueryView>,
    );
    expect(out).toContain('Failed to fetch');
    expect(out).not.toContain('Try again');
    expect(out).not.toContain('HTTP');
  });

  it('shows the empty state with its call to action for an empty list or empty infinite pages', () => {
    const empty = { title: 'No apps yet', description: 'Create one.', action: <button>Create your first app</button> };
    for (const data of [{ items: [] }, { pages: [{ items: [] }, { items: [] }] }]) {
      const out = text(
        <QueryView query={state<unknown>({ data })} empty={empty}>
          {() => 'the table'}
        </QueryView>,
      );
      expect(out).toContain('No apps yet');
      expect(out).toContain('Create one.');
      expect(out).toContain('Create your first app');
      expect(out).not.toContain('the table');
    }
  });

  it('renders the data, and uses isEmpty when given', () => {
    const q = state({ data: { items: ['a', 'b'] } });
    expect(
      html(
        <QueryView query={q} empty={{ title: 'None' }}>
          {rows}
        </QueryView>,
      ),
    ).toContain('<li>b</li>');
    expect(
      text(
        <QueryView query={q} empty={{ title: 'None' }} isEmpty={(d) => d.items.length < 3}>
          {rows}
        </QueryView>,
      ),
    ).toContain('None');
  });

  it('without an empty state, an empty list still goes to children', () => {
    expect(text(<QueryView query={state({ data: { items: [] } })}>{() => 'children'}</QueryView>)).toContain(
      'children',
    );
  });

  it('keeps data on screen under the error when a refetch fails', () => {
    const out = text(<QueryView query={state({ data: { items: ['kept'] }, error: notFound })}>{rows}</QueryView>);
    expect(out).toContain('kept');
    expect(out).toContain('not_found');
  });
});

describe('queryFallback', () => {
  it('is a skeleton while loading, the error when failed (even over stale data), null with data', () => {
    expect(html(<>{queryFallback(state({}))}</>)).toContain('role="status"');
    expect(text(<>{queryFallback(state({ data: 1, error: notFound }))}</>)).toContain('not_found');
    expect(queryFallback(state({ data: 0 }))).toBeNull();
    expect(queryFallback(state({ data: null }))).toBeNull();
  });
});

describe('FormError', () => {
  it('shows nothing without an error', () => {
    expect(text(<FormError error={null} />).trim()).toBe('');
  });

  it('shows the message, each bad field and the code of a validation error', () => {
    const e = new ApiError(400, 'validation_failed', 'The body is not valid.', {
      fields: { email: 'Not an email', password: 'At least 10 characters' },
    });
    const out = text(<FormError error={e} />);
    expect(out).toContain('The body is not valid.');
    expect(out).toContain('email : Not an email');
    expect(out).toContain('password : At least 10 characters');
    expect(out).toContain('validation_failed');
    expect(out).toContain('HTTP 400');
  });

  it('shows a conflict without fields', () => {
    const out = text(<FormError error={new ApiError(409, 'conflict', 'An admin with this email exists.')} />);
    expect(out).toContain('An admin with this email exists.');
    expect(out).toContain('conflict');
  });
});
