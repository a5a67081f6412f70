// One campaign of the generative differential test: fast-check draws worlds (a few users and a batch of
// cases), every runner (engine + dialects) runs each world, and any disagreement with the reference evaluator
// fails the property; fast-check then shrinks the world to a minimal counterexample. Used by the bounded test
// in `npm test` and by `npm run fuzz`.
import fc from 'fast-check';
import { worldArb, type GenWorld } from './arbitraries.js';
import type { DifferentialRunner, Disagreement } from './differential-runner.js';

export interface CampaignOptions {
  worlds: number;
  casesPerWorld: number;
  /** Every world has exactly casesPerWorld cases (the long campaign counts cases). */
  exact?: boolean;
  seed?: number;
  path?: string;
}

export interface CampaignResult {
  failed: boolean;
  seed: number;
  path?: string;
  /** The shrunk counterexample's disagreements (first runner that disagrees), formatted. */
  report?: string;
  counterexample?: GenWorld;
}

export function formatDisagreements(ds: Disagreement[]): string {
  return ds
    .slice(0, 3)
    .map((d) =>
      [
        `[${d.target}] case ${d.caseIndex}, data source ${JSON.stringify(d.dataSource)}, user ` +
          `${JSON.stringify(d.user)}:`,
        d.problem,
        `input: ${d.input}`,
        `SQL: ${d.sql}`,
      ].join('\n'),
    )
    .join('\n\n');
}

export async function runCampaign(runners: DifferentialRunner[], options: CampaignOptions): Promise<CampaignResult> {
  const property = fc.asyncProperty(worldArb(options.casesPerWorld, options.exact ?? false), async (world) => {
    for (const runner of runners) {
      const found = await runner.run(world);
      if (found.length) throw new Error(formatDisagreements(found));
    }
  });
  const details = await fc.check(property, {
    numRuns: options.worlds,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.path === undefined ? {} : { path: options.path }),
    endOnFailure: false,
  });
  if (!details.failed) return { failed: false, seed: details.seed };
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  return {
    failed: true,
    seed: details.seed,
    path: details.counterexamplePath ?? undefined,
    report: error,
    counterexample: details.counterexample?.[0],
  };
}
