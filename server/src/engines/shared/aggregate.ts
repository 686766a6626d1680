import { compareValues, getPath } from '../../lib/filter/compare.js';
import { matches } from '../../lib/filter/evaluate.js';
import { where } from '../../lib/filter/build.js';
import type { FilterNode, JsonValue } from '../../lib/filter/types.js';
import type { Accumulator, AggregateStage } from '../../ports/document-store.js';
import { compareForSort } from './documents.js';

/**
 * The in-memory part of an aggregation, the same for every engine: engines push the leading
 * `$match` (and a `$sort`/`$limit` right after it) into their query, then stream the rows through
 * the remaining stages here. `$group` keeps one accumulator state per group, so memory grows with
 * the number of groups, not with the number of documents.
 *
 * Semantics (the port's): group rows are flat `{[byPath]: value, [name]: value}` (a missing
 * group field is null); `sum` and `avg` ignore non-numbers (`avg` of nothing is null); `min` and
 * `max` compare like sort and ignore missing and null values (null when there is nothing).
 */

type Row = Record<string, unknown>;

interface Group {
  key: JsonValue[];
  acc: Record<string, { count: number; sum: number; n: number; best: unknown }>;
}

/** Runs the stages over rows synchronously (the rows may be a lazy iterator). */
export function runStages(rows: Iterable<Row>, stages: AggregateStage[]): Row[] {
  let current: Iterable<Row> = rows;
  for (const stage of stages) {
    switch (stage.stage) {
      case 'group': {
        const state = new GroupState(stage.by, stage.accumulators);
        for (const row of current) state.add(row);
        current = state.rows();
        break;
      }
      case 'match':
        current = [...current].filter((row) => matches(stage.filter, row));
        break;
      case 'sort':
        current = [...current].sort(compareRows(stage.sort));
        break;
      case 'limit':
        current = [...current].slice(0, stage.limit);
        break;
    }
  }
  return [...current];
}

/** The same over an async source (a driver cursor): a leading `$group` streams, anything else collects first. */
export async function runStagesAsync(rows: AsyncIterable<Row>, stages: AggregateStage[]): Promise<Row[]> {
  const first = stages[0];
  if (first?.stage === 'group') {
    const state = new GroupState(first.by, first.accumulators);
    for await (const row of rows) state.add(row);
    return runStages(state.rows(), stages.slice(1));
  }
  const all: Row[] = [];
  for await (const row of rows) all.push(row);
  return runStages(all, stages);
}

/** Sort for rows that may not have ids (group output). */
function compareRows(sort: Extract<AggregateStage, { stage: 'sort' }>['sort']) {
  const withId = compareForSort(sort);
  return (a: Row, b: Row) => (a.id === undefined && b.id === undefined ? sortOnly(sort, a, b) : withId(a, b));
}

function sortOnly(sort: Extract<AggregateStage, { stage: 'sort' }>['sort'], a: Row, b: Row): number {
  for (const { path, dir } of sort) {
    const c = compareValues(getPath(a, path), getPath(b, path));
    if (c !== 0) return c * dir;
  }
  return 0;
}

class GroupState {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly by: string[],
    private readonly accumulators: Record<string, Accumulator>,
  ) {}

  add(row: Row): void {
    const key = this.by.map((path) => {
      const value = getPath(row, path);
      return value === undefined ? null : (value as JsonValue);
    });
    const id = JSON.stringify(key);
    let group = this.groups.get(id);
    if (!group) {
      group = { key, acc: {} };
      for (const name of Object.keys(this.accumulators)) group.acc[name] = { count: 0, sum: 0, n: 0, best: undefined };
      this.groups.set(id, group);
    }
    for (const [name, acc] of Object.entries(this.accumulators)) {
      const s = group.acc[name]!;
      s.count++;
      if (acc.op === 'count') continue;
      const value = getPath(row, acc.path);
      if ((acc.op === 'sum' || acc.op === 'avg') && typeof value === 'number') {
        s.sum += value;
        s.n++;
      } else if ((acc.op === 'min' || acc.op === 'max') && value !== undefined && value !== null) {
        const c = s.best === undefined ? 0 : compareValues(value, s.best);
        if (s.best === undefined || (acc.op === 'min' ? c < 0 : c > 0)) s.best = value;
      }
    }
  }

  rows(): Row[] {
    return [...this.groups.values()].map((group) => {
      const out: Row = {};
      this.by.forEach((path, i) => (out[path] = group.key[i]));
      for (const [name, acc] of Object.entries(this.accumulators)) {
        const s = group.acc[name]!;
        out[name] =
          acc.op === 'count'
            ? s.count
            : acc.op === 'sum'
              ? s.sum
              : acc.op === 'avg'
                ? s.n === 0
                  ? null
                  : s.sum / s.n
                : s.best === undefined
                  ? null
                  : s.best;
      }
      return out;
    });
  }
}

/**
 * What an engine pushes into its query: the leading `$match`es (one filter, or undefined when
 * there are none), then one `$sort` and a `$limit` right after it; `rest` runs in memory.
 */
export function pushdownPrefix(stages: AggregateStage[]): {
  filter: FilterNode | undefined;
  sort: Extract<AggregateStage, { stage: 'sort' }>['sort'] | null;
  limit: number | null;
  rest: AggregateStage[];
} {
  let i = 0;
  const filters: FilterNode[] = [];
  while (i < stages.length && stages[i]!.stage === 'match')
    filters.push((stages[i++] as Extract<AggregateStage, { stage: 'match' }>).filter);
  let sort = null;
  let limit = null;
  if (i < stages.length && stages[i]!.stage === 'sort')
    sort = (stages[i++] as Extract<AggregateStage, { stage: 'sort' }>).sort;
  if (sort && i < stages.length && stages[i]!.stage === 'limit')
    limit = (stages[i++] as Extract<AggregateStage, { stage: 'limit' }>).limit;
  return { filter: filters.length === 0 ? undefined : where.and(...filters), sort, limit, rest: stages.slice(i) };
}
