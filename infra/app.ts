// `npm run synth` / `cdk deploy`: the stack of one environment — infra/environments/<env>.json selected by
// `-c viewguard:env=<env>` (cdk.json names the default), with any `-c viewguard:<key>=<value>` over it.
// Synth needs no AWS account: bundling uses the local esbuild and nothing is looked up.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DiagnosticError } from '../shared/diagnostics/diagnostic.js';
import { createViewguardStack } from './deploy/deploy-plan.js';
import { selectEnvironment } from './deploy/environments.js';

const app = new App();
try {
  createViewguardStack(app, selectEnvironment(app.node.getAllContext() as Record<string, unknown>).config);
} catch (e) {
  if (e instanceof DiagnosticError) {
    console.error(
      `viewguard: invalid deploy configuration\n${e.diagnostics.map((d) => `  - ${d.code} ${d.summary}`).join('\n')}`,
    );
    process.exit(1);
  }
  throw e;
}
// cdk-nag v3 is a policy-validation plugin: a finding that is not acknowledged fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
