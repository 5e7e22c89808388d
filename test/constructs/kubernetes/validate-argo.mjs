// Validates Argo Workflows objects with @kubernetes-models/argo-workflows, which is ESM only and
// declares Node >= 22: jest (CommonJS) cannot import it, so tests run this file in a child `node`.
// stdin: a JSON array of objects; stdout: a JSON array with, per object, null (valid) or the error.
import { CronWorkflow } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/CronWorkflow';
import { Workflow } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Workflow';
import { WorkflowTemplate } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/WorkflowTemplate';

const MODELS = { CronWorkflow, Workflow, WorkflowTemplate };
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const objects = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const results = objects.map((o) => {
  const Model = MODELS[o.kind];
  if (!Model || o.apiVersion !== 'argoproj.io/v1alpha1') return `no Argo Workflows model for ${o.apiVersion} ${o.kind}`;
  try {
    new Model(o).validate();
    return null;
  } catch (e) {
    return e.message;
  }
});
process.stdout.write(JSON.stringify(results));
