import { where } from '../../lib/filter/build.js';
import type { DocumentStore } from '../../ports/document-store.js';
import { PUSH_PLATFORMS, type PushPlatform } from '../../ports/push-provider.js';
import type { InstallationsService } from './installations.service.js';
import { INSTALLATIONS, installationView } from './installations.service.js';
import { targetFilter } from './messages.service.js';
import type { InstallationView, Target } from './push.schema.js';

/**
 * Who a target reaches, before sending: the active installations it matches (the same filter the
 * fan-out plans with), counted exactly, per platform, with the first few as a sample. A target the
 * fan-out would refuse (a filter on a field installations do not have) is refused here the same way.
 */
export interface Audience {
  count: number;
  platforms: Record<PushPlatform, number>;
  sample: InstallationView[];
}

export const SAMPLE_SIZE = 10;

export async function previewAudience(
  deps: { store: DocumentStore; installations: InstallationsService },
  appId: string,
  target: Target,
): Promise<Audience> {
  const filter = targetFilter(target);
  await deps.installations.ensure(appId);
  const store = deps.store.forApp(appId);
  const [counts, page] = await Promise.all([
    Promise.all(
      PUSH_PLATFORMS.map((p) => store.count(INSTALLATIONS, { filter: where.and(filter, where.eq('platform', p)) })),
    ),
    store.find(INSTALLATIONS, { filter, limit: SAMPLE_SIZE }),
  ]);
  const platforms = Object.fromEntries(PUSH_PLATFORMS.map((p, i) => [p, counts[i]!])) as Record<PushPlatform, number>;
  return {
    count: counts.reduce((n, c) => n + c, 0),
    platforms,
    sample: page.items.map(installationView),
  };
}
