// `npm run synth` / `cdk deploy`: one env-agnostic stack configured from context (cdk.json, `-c viewguard:key=value`).
// Synth needs no AWS account: bundling uses the local esbuild and nothing is looked up.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DiagnosticError } from '../shared/diagnostics/diagnostic.js';
import { contextFields, parseDeployConfig } from './stack/deploy-config.js';
import { ViewguardStack } from './stack/viewguard-stack.js';

const app = new App();
const stackName = (app.node.tryGetContext('viewguard:stackName') as string | undefined) ?? 'Viewguard';
try {
  const { stackName: _name, ...fields } = contextFields(app.node.getAllContext() as Record<string, unknown>);
  const config = parseDeployConfig(fields);
  new ViewguardStack(app, stackName, { config, description: 'viewguard: policy-push secure views for Amazon Redshift' });
} catch (e) {
  if (e instanceof DiagnosticError) {
    console.error(`viewguard: invalid deploy configuration\n${e.diagnostics.map((d) => `  - ${d.summary}`).join('\n')}`);
    process.exit(1);
  }
  throw e;
}
// cdk-nag v3 is a policy-validation plugin: a finding that is not acknowledged fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
