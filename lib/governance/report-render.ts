/**
 * Renders the audit report for people: report.md (for a pull request or a wiki) and report.html
 * (one self-contained file: inline styles, no script, no font, no image, nothing fetched), written
 * for a reader who does not write code.
 */
import * as fs from 'fs';
import * as path from 'path';
import { htmlModelCards, markdownModelCards } from './model-cards';
import { AuditDataStore, AuditDelivery, AuditExposure, AuditPrincipal, AuditReport } from './report-model';

const LEVEL_TEXT: Record<AuditReport['governance']['level'], string> = {
  baseline: 'Baseline: everything encrypted with keys the account controls, least-privilege roles, checked by four rule packs.',
  strict: 'Strict: in addition, every model runs inside a private network (VPC) with no internet access, isolated from the network, with customer-managed keys everywhere.',
  unknown: 'Unknown: these templates were not made by a cdk-mlops platform.',
};

function principalTitle(p: AuditPrincipal): string {
  return p.constructPath ?? `${p.stack}/${p.logicalId}`;
}

function trustLine(p: AuditPrincipal): string {
  if (p.trustedBy.length === 0) return p.target === 'kubernetes-terraform' ? 'nobody in this output' : 'nobody (no trust policy)';
  return p.trustedBy.map((t) => {
    const root = /^arn:[^:]+:iam::([^:]+):root$/.exec(t.principal);
    const who = t.kind === 'service' ? `the AWS service ${t.principal}`
      : t.kind === 'federated' ? `users signed in through ${t.principal}`
        : t.kind === 'any' ? 'ANYONE'
          : t.kind === 'kubernetes-workload' ? `the workload ${t.principal}`
            : t.kind === 'kubernetes-group' ? `members of the group ${t.principal}`
              : t.kind === 'kubernetes-user' ? `the user ${t.principal}`
                : t.kind === 'kubernetes-service-account' ? `pods running as the ServiceAccount ${t.principal}`
                  : root ? `people and roles of account ${root[1]} whose own IAM permissions allow it (for example single sign-on roles)` : t.principal;
    if (!t.conditions.length) return who;
    return t.kind.startsWith('kubernetes-') ? `${who} (${t.conditions.join('; ')})` : `${who} (when ${t.conditions.join(' and ')})`;
  }).join('; ');
}

const K8S = 'kubernetes-terraform';
const K8S_KIND: Record<string, string> = { 'kubernetes-service-account': 'ServiceAccount', 'kubernetes-role': 'Role', 'kubernetes-cluster-role': 'ClusterRole' };

/** The report's entries split by target: the CloudFormation sections stay as they were, Kubernetes gets its own. */
function byTarget(r: AuditReport) {
  const isK8s = (e: { target: string }) => e.target === K8S;
  const k8s = { principals: r.principals.filter(isK8s), dataStores: r.dataStores.filter(isK8s), exposure: r.exposure.filter(isK8s) };
  return {
    aws: { principals: r.principals.filter((e) => !isK8s(e)), dataStores: r.dataStores.filter((e) => !isK8s(e)), exposure: r.exposure.filter((e) => !isK8s(e)) },
    k8s: { ...k8s, present: r.source.targets.includes(K8S) || k8s.principals.length + k8s.dataStores.length + k8s.exposure.length > 0 },
  };
}

const K8S_STORE_KIND: Record<string, string> = { 'kubernetes-volume': 'disk', 'kubernetes-secret': 'Secret' };
const k8sTitle = (p: AuditPrincipal) => `${K8S_KIND[p.kind] ?? p.kind} ${p.name ?? p.logicalId}`;
const podSecurityText = (e: AuditExposure) => (['enforce', 'audit', 'warn'] as const).map((m) => `${m}: ${e.podSecurity?.[m] ?? 'not set'}`).join('; ');
const storeName = (d: AuditDataStore) => d.notes[0] ?? d.constructPath ?? d.logicalId;

const K8S_INTRO = {
  principals: 'Each ServiceAccount is the identity a workload uses when it calls the Kubernetes API; each Role or ClusterRole is a set of permissions, granted to people, groups or ServiceAccounts by a binding. Verbs are what may be done (get, list, create, ...); resources are the kinds of Kubernetes objects.',
  data: 'Disks (persistent volumes) and Secrets the workloads use. Whether a disk is encrypted is decided by its storage class, and whether Secrets are encrypted by the cluster: the Terraform cannot show either, so the report says which one decides.',
  namespaces: 'A namespace groups the workloads. Pod Security labels make Kubernetes refuse (enforce), log (audit) or warn about pods that are less locked down than the level named; restricted is the strictest. A default deny refuses all traffic that no policy allows.',
  policies: 'Network policies are firewall rules between pods. They add up: a pod accepts the connections that any policy selecting it allows, and nothing else once a default deny selects it.',
  services: 'A Service is the address other programs call. ClusterIP is reachable only inside the cluster; NodePort and LoadBalancer are reachable from outside it.',
};

// ---------------------------------------------------------------- Markdown

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMarkdown(r: AuditReport): string {
  const lines: string[] = [];
  const { aws, k8s } = byTarget(r);
  const open = r.findings.filter((f) => f.status === 'open');
  lines.push('# Audit report', '');
  lines.push(`Generated ${r.generatedAt} from \`${r.source.cloudAssembly}\` (report format ${r.schemaVersion}). It describes what the templates deploy, not what anyone intended.`, '');
  lines.push('## Summary', '');
  lines.push(`- **Governance level:** ${LEVEL_TEXT[r.governance.level]}`);
  lines.push(`- **Permissions boundary on every role:** ${r.governance.permissionsBoundary ?? 'none'}`);
  lines.push(`- **Required tags:** ${r.governance.requiredTags.length ? r.governance.requiredTags.join(', ') : 'none'} (${r.tags.compliant} of ${r.tags.checked} resources carry them)`);
  lines.push(`- **Stacks:** ${r.summary.stacks.map((s) => `${s.name} (${s.resources} resources)`).join(', ')}`);
  if (k8s.present) lines.push(`- **Kubernetes:** read from the Terraform JSON in \`${r.source.cdktfOut ?? 'cdktf.out'}\`: ${k8s.principals.length} service accounts and RBAC roles, ${k8s.dataStores.length} volumes and Secrets, ${k8s.exposure.length} namespaces, network policies and Services`);
  lines.push(`- **Open findings:** ${open.length}; **accepted with a reason:** ${r.summary.acknowledgedFindings}`, '');

  lines.push('## Who can do what (roles and their permissions)', '');
  for (const p of aws.principals) {
    lines.push(`### ${principalTitle(p)}`, '');
    if (p.description) lines.push(p.description, '');
    lines.push(`- **Can be used by:** ${trustLine(p)}`);
    lines.push(`- **Permissions boundary:** ${p.permissionsBoundary ?? 'none'}`, '');
    if (p.statements.length) {
      lines.push('| Allowed or denied | Actions | On | Only when |', '|---|---|---|---|');
      for (const s of p.statements) lines.push(`| ${s.effect === 'Allow' ? 'Allowed' : 'Denied'} | ${mdCell(s.actions.join(', '))} | ${mdCell(s.resources.join(', ') || '-')} | ${mdCell(s.conditions.join('; ') || 'always')} |`);
      lines.push('');
    }
  }

  lines.push('## Where data is kept', '');
  lines.push('| Store | Kind | Encryption | Versioning | Retention | Public access | TLS only |', '|---|---|---|---|---|---|---|');
  for (const d of aws.dataStores) lines.push(`| ${mdCell(d.constructPath ?? d.logicalId)} | ${d.kind} | ${mdCell(d.encryption)} | ${d.versioning} | ${mdCell(d.retention)} | ${d.publicAccess} | ${d.tlsOnly} |`);
  lines.push('');

  lines.push('## What is reachable, and how callers are checked', '');
  lines.push('| What | Kind | Network placement | Isolated | Authentication | Inbound |', '|---|---|---|---|---|---|');
  for (const e of aws.exposure) lines.push(`| ${mdCell(e.name ? `${e.name} (${e.logicalId})` : e.constructPath ?? e.logicalId)} | ${e.kind} | ${mdCell(e.vpcPlacement)} | ${e.networkIsolation} | ${mdCell(e.authentication)} | ${mdCell(e.inbound.join('; ') || '-')} |`);
  lines.push('');

  if (r.delivery) lines.push(...markdownDelivery(r.delivery));
  if (k8s.present) lines.push(...markdownKubernetes(k8s), ...markdownKubernetesGovernance(r));

  lines.push(...markdownModelCards(r));

  lines.push('## Rule checks', '');
  lines.push(`${open.length} open finding(s). Every accepted finding is listed with the reason it was accepted; the same reasons are written into the deployed templates.`, '');
  lines.push('| Status | Pack | Rule | Resource | Reason or problem |', '|---|---|---|---|---|');
  for (const f of r.findings) lines.push(`| ${f.status === 'open' ? `**OPEN ${f.severity}**` : 'accepted'} | ${f.pack} | ${mdCell(f.rule)} | ${mdCell(f.constructPath ?? `${f.stack}/${f.logicalId}`)} | ${mdCell(f.reason ?? f.description)} |`);
  lines.push('');

  lines.push('## Tags', '');
  lines.push(`Required: ${r.tags.requiredTags.join(', ') || 'none'}. ${r.tags.compliant} of ${r.tags.checked} taggable resources carry every required tag.`, '');
  for (const m of r.tags.missing) lines.push(`- ${m.constructPath ?? m.logicalId} (${m.type}) is missing ${m.missing.join(', ')}`);
  for (const e of r.tags.exempt) lines.push(`- ${e.constructPath ?? e.logicalId} (${e.type}) is exempt: ${e.reason}`);
  return `${lines.join('\n')}\n`;
}

const DELIVERY_INTRO = {
  approvers: 'Approving a model version (sagemaker:UpdateModelPackage) is what releases it: with delivery stages, approval starts its deployment.',
  deployers: 'Who can put a version into each stage: the roles that deploy a stage\'s stack, and who can start the delivery state machine that uses them.',
  grants: 'Every resource policy or trust policy that lets another AWS account in, and what it lets that account do.',
};
const groupText = (g: string) => (g === '*' ? 'every model package group' : g);

function markdownDelivery(d: AuditDelivery): string[] {
  const lines = ['## Who can approve, who can deploy, and which other accounts have access', '', DELIVERY_INTRO.approvers, ''];
  lines.push('| Model package group | Who can approve | Allowed by |', '|---|---|---|');
  for (const a of d.approvers) lines.push(`| ${mdCell(groupText(a.group))} | ${mdCell(a.kind === 'account' ? `account ${a.principal}` : a.principal)} | ${mdCell(a.via)} |`);
  if (d.approvers.length === 0) lines.push('| - | nobody in these templates | - |');
  lines.push('', DELIVERY_INTRO.deployers, '', '| Stage | What deploys | Who can use it |', '|---|---|---|');
  for (const x of d.deployers) lines.push(`| ${mdCell(x.stage)} | ${mdCell(x.target)} | ${mdCell(x.trustedBy.join('; ') || 'nobody in these templates')} |`);
  if (d.deployers.length === 0) lines.push('| - | no delivery stages in these templates | - |');
  lines.push('', DELIVERY_INTRO.grants, '', '| Account | Kind | What | Actions | Only when | Region |', '|---|---|---|---|---|---|');
  for (const g of d.crossAccountGrants) lines.push(`| ${g.account} | ${g.resourceKind} | ${mdCell(g.resource)} | ${mdCell(g.actions.join(', '))} | ${mdCell(g.conditions.join('; ') || 'always')} | ${g.region ?? 'the deploying region'} |`);
  if (d.crossAccountGrants.length === 0) lines.push('| - | no other account has access | - | - | - | - |');
  lines.push('');
  return lines;
}

function htmlDelivery(d: AuditDelivery): string {
  return `<section id="delivery"><h2>Who can approve, who can deploy, and which other accounts have access</h2>
<h3>Approving model versions</h3><p class="muted">${h(DELIVERY_INTRO.approvers)}</p>
${d.approvers.length ? table(['Model package group', 'Who can approve', 'Allowed by'], d.approvers.map((a) => [h(groupText(a.group)), h(a.kind === 'account' ? `account ${a.principal}` : a.principal), h(a.via)])) : '<p class="muted">Nobody in these templates.</p>'}
<h3>Deploying to each stage</h3><p class="muted">${h(DELIVERY_INTRO.deployers)}</p>
${d.deployers.length ? table(['Stage', 'What deploys', 'Who can use it'], d.deployers.map((x) => [h(x.stage), h(x.target), h(x.trustedBy.join('; ') || 'nobody in these templates')])) : '<p class="muted">No delivery stages in these templates.</p>'}
<h3>Other AWS accounts</h3><p class="muted">${h(DELIVERY_INTRO.grants)}</p>
${d.crossAccountGrants.length ? table(['Account', 'Kind', 'What', 'Actions', 'Only when', 'Region'], d.crossAccountGrants.map((g) => [h(g.account), h(g.resourceKind), h(g.resource), h(g.actions.join(', ')), h(g.conditions.join('; ') || 'always'), h(g.region ?? 'the deploying region')])) : '<p class="ok">No other account has access.</p>'}</section>`;
}

function markdownKubernetes(k8s: ReturnType<typeof byTarget>['k8s']): string[] {
  const lines: string[] = ['## Kubernetes', ''];
  lines.push('### Who can do what in the cluster', '', K8S_INTRO.principals, '');
  for (const p of k8s.principals) {
    lines.push(`#### ${k8sTitle(p)}`, '');
    if (p.description) lines.push(p.description, '');
    lines.push(`- **${p.kind === 'kubernetes-service-account' ? 'Used by' : 'Granted to'}:** ${trustLine(p)}`);
    if (p.constructPath) lines.push(`- **Made by:** ${p.constructPath}`);
    lines.push('');
    if (p.statements.length) {
      lines.push('| Verbs | On | Only when | Granted by |', '|---|---|---|---|');
      for (const s of p.statements) lines.push(`| ${mdCell(s.actions.join(', '))} | ${mdCell(s.resources.join(', ') || '-')} | ${mdCell(s.conditions.join('; ') || 'always')} | ${mdCell(s.policy)} |`);
      lines.push('');
    } else if (p.kind !== 'kubernetes-service-account') lines.push('No rules.', '');
  }
  lines.push('### Where data is kept in the cluster', '', K8S_INTRO.data, '');
  lines.push('| Store | Kind | Encryption | Retention | Details |', '|---|---|---|---|---|');
  for (const d of k8s.dataStores) lines.push(`| ${mdCell(storeName(d))} | ${d.kind} | ${mdCell(d.encryption)} | ${mdCell(d.retention)} | ${mdCell(d.notes.slice(1).join('; ') || '-')} |`);
  lines.push('');
  lines.push('### Namespaces', '', K8S_INTRO.namespaces, '');
  lines.push('| Namespace | Pod Security | Incoming | Outgoing |', '|---|---|---|---|');
  for (const e of k8s.exposure.filter((x) => x.kind === 'kubernetes-namespace')) lines.push(`| ${mdCell(e.name ?? e.logicalId)} | ${mdCell(podSecurityText(e))} | ${mdCell(e.inbound.join('; '))} | ${mdCell((e.outbound ?? []).join('; '))} |`);
  lines.push('');
  lines.push('### Network policies', '', K8S_INTRO.policies, '');
  lines.push('| Policy | Applies to | Lets in | Lets out |', '|---|---|---|---|');
  for (const e of k8s.exposure.filter((x) => x.kind === 'kubernetes-network-policy')) lines.push(`| ${mdCell(e.name ?? e.logicalId)} | ${mdCell(e.vpcPlacement)} | ${mdCell(e.inbound.join('; '))} | ${mdCell((e.outbound ?? []).join('; '))} |`);
  lines.push('');
  lines.push('### Services', '', K8S_INTRO.services, '');
  lines.push('| Service | Reachable from | Ports and who may connect | How callers are checked |', '|---|---|---|---|');
  for (const e of k8s.exposure.filter((x) => x.kind === 'kubernetes-service')) lines.push(`| ${mdCell(e.name ?? e.logicalId)} | ${mdCell(e.vpcPlacement)} | ${mdCell(e.inbound.join('; '))} | ${mdCell(e.authentication)} |`);
  lines.push('');
  return lines;
}

/** The Kubernetes target's governance as its Terraform JSON records it, and its findings: open, or accepted with the reason. */
function kubernetesGovernance(r: AuditReport) {
  const own = r.governance.targets?.find((t) => t.target === K8S);
  const findings = r.findings.filter((f) => f.target === K8S);
  const tagsMissing = r.tags.missing.filter((m) => m.target === K8S);
  return {
    level: own?.level ?? 'unknown',
    requiredTags: own?.requiredTags ?? [],
    open: findings.filter((f) => f.status === 'open'),
    accepted: findings.filter((f) => f.status === 'acknowledged'),
    tagsMissing,
  };
}

const K8S_GOVERNANCE_INTRO = "The governance level and required tags are read back from the Terraform JSON, where the platform wrote them. A finding is accepted when the platform's spec acknowledges it (governance.acknowledgements) with a reason; the reason is written into the Terraform JSON beside the objects.";

function markdownKubernetesGovernance(r: AuditReport): string[] {
  const g = kubernetesGovernance(r);
  const lines = ['### Kubernetes governance and findings', '', K8S_GOVERNANCE_INTRO, ''];
  lines.push(`- **Governance level (Terraform JSON):** ${LEVEL_TEXT[g.level]}`);
  lines.push(`- **Required tags (namespace annotations):** ${g.requiredTags.join(', ') || 'none'}${g.tagsMissing.length ? `; missing on ${g.tagsMissing.map((m) => `${m.constructPath ?? m.logicalId} (${m.missing.join(', ')})`).join('; ')}` : ''}`);
  lines.push(`- **Open findings:** ${g.open.length}; **accepted with a reason:** ${g.accepted.length}`, '');
  if (g.open.length + g.accepted.length === 0) return [...lines, 'No Kubernetes finding.', ''];
  lines.push('| Status | Rule | Object | Problem | Reason accepted |', '|---|---|---|---|---|');
  for (const f of [...g.open, ...g.accepted]) lines.push(`| ${f.status === 'open' ? `**OPEN ${f.severity}**` : 'accepted'} | ${mdCell(f.rule)} | ${mdCell(f.constructPath ?? `${f.stack}/${f.logicalId}`)} | ${mdCell(f.description)} | ${mdCell(f.reason ?? '-')} |`);
  lines.push('');
  return lines;
}

function htmlKubernetesGovernance(r: AuditReport): string {
  const g = kubernetesGovernance(r);
  const rows = [...g.open, ...g.accepted].map((f) => [
    f.status === 'open' ? `<span class="${f.severity === 'error' ? 'bad' : 'warn'}">OPEN ${h(f.severity)}</span>` : '<span class="ok">accepted</span>',
    `<code>${h(f.rule)}</code>`, h(f.constructPath ?? `${f.stack}/${f.logicalId}`), h(f.description), h(f.reason ?? '-'),
  ]);
  return `<h3 id="kubernetes-governance">Kubernetes governance and findings</h3><p class="muted">${h(K8S_GOVERNANCE_INTRO)}</p>
<div class="card"><b>Governance level (Terraform JSON).</b> ${h(LEVEL_TEXT[g.level])}<br><b>Required tags (namespace annotations):</b> ${h(g.requiredTags.join(', ') || 'none')}${g.tagsMissing.length ? ` ${yes(false, `missing on ${g.tagsMissing.map((m) => `${m.constructPath ?? m.logicalId} (${m.missing.join(', ')})`).join('; ')}`)}` : ''}<br><b>Open findings:</b> <span class="${g.open.length ? 'bad' : 'ok'}">${g.open.length}</span>; <b>accepted with a reason:</b> ${g.accepted.length}</div>
${rows.length ? `<div class="wrap">${table(['Status', 'Rule', 'Object', 'Problem', 'Reason accepted'], rows)}</div>` : '<p>No Kubernetes finding.</p>'}`;
}

// ---------------------------------------------------------------- HTML

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const CSS = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;margin:0;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:28px;margin:0 0 4px}h2{margin-top:36px;border-bottom:2px solid #d8dde6;padding-bottom:4px}h3{margin:0 0 6px;font-size:16px;word-break:break-all}
.muted{color:#5b6575}.card{background:#fff;border:1px solid #d8dde6;border-radius:8px;padding:14px 16px;margin:12px 0}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:12px}.stat{background:#fff;border:1px solid #d8dde6;border-radius:8px;padding:12px}
.stat b{display:block;font-size:26px}table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border:1px solid #d8dde6;padding:6px 8px;text-align:left;vertical-align:top;word-break:break-word}th{background:#eef1f5}
.ok{color:#1a7f37;font-weight:600}.bad{color:#b42318;font-weight:600}.warn{color:#9a6700;font-weight:600}
code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#eef1f5;padding:1px 4px;border-radius:4px}
nav a{margin-right:14px}
td:first-child{white-space:nowrap}
.wrap td:first-child{white-space:normal;min-width:180px}.wrap td:nth-child(2){white-space:nowrap}#kubernetes>h3{margin:28px 0 6px;font-size:18px}`;

const h = escapeHtml;
const table = (head: string[], rows: string[][]) => `<table><thead><tr>${head.map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
const yes = (good: boolean, text: string) => `<span class="${good ? 'ok' : 'bad'}">${h(text)}</span>`;

export function renderHtml(r: AuditReport): string {
  const open = r.findings.filter((f) => f.status === 'open');
  const { aws, k8s } = byTarget(r);
  const parts: string[] = [];
  parts.push(`<header><h1>Audit report</h1><p class="muted">Generated ${h(r.generatedAt)} from <code>${h(r.source.cloudAssembly)}</code> · report format ${h(r.schemaVersion)}. This page describes what the templates deploy, read from the templates themselves.</p>
<nav><a href="#summary">Summary</a><a href="#principals">Who can do what</a><a href="#data">Where data is kept</a><a href="#exposure">What is reachable</a>${r.delivery ? '<a href="#delivery">Approve, deploy, other accounts</a>' : ''}${k8s.present ? '<a href="#kubernetes">Kubernetes</a>' : ''}<a href="#model-cards">Model cards</a><a href="#findings">Rule checks</a><a href="#tags">Tags</a></nav></header>`);

  parts.push(`<section id="summary"><h2>Summary</h2>
<div class="card"><b>Governance level.</b> ${h(LEVEL_TEXT[r.governance.level])}<br><b>Permissions boundary on every role:</b> ${h(r.governance.permissionsBoundary ?? 'none')}<br><b>Required tags:</b> ${h(r.governance.requiredTags.join(', ') || 'none')}</div>
<div class="grid"><div class="stat"><b>${r.summary.principals}</b>roles</div><div class="stat"><b>${r.summary.dataStores}</b>data stores</div><div class="stat"><b>${r.summary.exposures}</b>network-facing items</div>
<div class="stat"><b class="${open.length ? 'bad' : 'ok'}">${open.length}</b>open findings</div><div class="stat"><b>${r.summary.acknowledgedFindings}</b>findings accepted with a reason</div>
<div class="stat"><b class="${r.tags.missing.length ? 'bad' : 'ok'}">${r.tags.compliant}/${r.tags.checked}</b>resources fully tagged</div></div>
${k8s.present ? `<div class="card"><b>Kubernetes.</b> Read from the Terraform JSON in <code>${h(r.source.cdktfOut ?? 'cdktf.out')}</code>: ${k8s.principals.length} service accounts and access roles, ${k8s.dataStores.length} disks and Secrets, ${k8s.exposure.length} namespaces, network policies and Services.</div>` : ''}
${table(['Stack', 'Resources'], r.summary.stacks.map((s) => [h(s.name), String(s.resources)]))}</section>`);

  parts.push('<section id="principals"><h2>Who can do what</h2><p class="muted">Each role below is an identity that a person or an AWS service can take on. "Can be used by" says who; the table lists everything the role may do. Resources are named after the item in the template they point to.</p>');
  for (const p of aws.principals) {
    parts.push(`<div class="card"><h3>${h(principalTitle(p))}</h3>${p.description ? `<p>${h(p.description)}</p>` : ''}
<p><b>Can be used by:</b> ${h(trustLine(p))}<br><b>Permissions boundary:</b> ${p.permissionsBoundary ? h(p.permissionsBoundary) : '<span class="muted">none</span>'}</p>
${p.statements.length ? table(['Allowed or denied', 'Actions', 'On', 'Only when'], p.statements.map((s) => [s.effect === 'Allow' ? 'Allowed' : '<b>Denied</b>', h(s.actions.join(', ')), h(s.resources.join(', ') || '-'), h(s.conditions.join('; ') || 'always')])) : '<p class="muted">No permissions of its own.</p>'}</div>`);
  }
  parts.push('</section>');

  parts.push(`<section id="data"><h2>Where data is kept</h2><p class="muted">Every place data rests: how it is encrypted, whether old versions are kept, what happens when the platform is removed, and whether it can be made public or read without encryption in transit.</p>
${table(['Store', 'Kind', 'Encryption', 'Versions kept', 'Retention', 'Public access', 'Encrypted connections only'], aws.dataStores.map((d) => [h(d.constructPath ?? d.logicalId), h(d.kind), d.customerManagedKey ? yes(true, d.encryption) : h(d.encryption), h(d.versioning), h(d.retention), d.publicAccess === 'possible' ? yes(false, 'possible') : h(d.publicAccess), d.tlsOnly === 'not-enforced' ? yes(false, 'not enforced') : h(d.tlsOnly)]))}</section>`);

  parts.push(`<section id="exposure"><h2>What is reachable, and how callers are checked</h2><p class="muted">Models and jobs, where they run on the network, whether they can reach the network at all, and how anyone calling them proves who they are.</p>
${table(['What', 'Kind', 'Network placement', 'Cut off from the network', 'How callers are checked', 'Inbound'], aws.exposure.map((e) => [h(e.name ? `${e.name} (${e.logicalId})` : e.constructPath ?? e.logicalId), h(e.kind), h(e.vpcPlacement), e.networkIsolation === 'network-access' ? yes(false, 'no') : e.networkIsolation === 'isolated' ? yes(true, 'yes') : 'n/a', h(e.authentication), h(e.inbound.join('; ') || '-')]))}</section>`);

  if (r.delivery) parts.push(htmlDelivery(r.delivery));
  if (k8s.present) parts.push(htmlKubernetes(k8s).replace(/<\/section>$/, `${htmlKubernetesGovernance(r)}</section>`));

  parts.push(htmlModelCards(r, h));
  parts.push(`<section id="findings"><h2>Rule checks</h2><p>Four rule packs check the templates: AWS Solutions, NIST 800-53 rev. 5, HIPAA Security and the MLOps pack.${k8s.present ? ' The Kubernetes checks read the Terraform JSON: a default-deny network policy and Pod Security <i>restricted</i> in every namespace, no LoadBalancer or NodePort Service, no access role with a wildcard, every workload locked down (restricted security context).' : ''} <b class="${open.length ? 'bad' : 'ok'}">${open.length} open finding(s).</b> Each finding that was accepted is listed with the reason given for it; the same reason is written into the deployed template.</p>
${table(['Status', 'Pack', 'Rule', 'Resource', 'Reason (accepted) or problem (open)'], r.findings.map((f) => [f.status === 'open' ? `<span class="${f.severity === 'error' ? 'bad' : 'warn'}">OPEN ${h(f.severity)}</span>` : 'accepted', h(f.pack), `<code>${h(f.rule)}</code>`, h(f.constructPath ?? `${f.stack}/${f.logicalId}`), h(f.reason ?? f.description)]))}</section>`);

  parts.push(`<section id="tags"><h2>Tags</h2><p>Required on every resource: <b>${h(r.tags.requiredTags.join(', ') || 'none')}</b>. ${r.tags.compliant} of ${r.tags.checked} taggable resources carry all of them.</p>
${r.tags.missing.length ? table(['Resource', 'Type', 'Missing'], r.tags.missing.map((m) => [h(m.constructPath ?? m.logicalId), h(m.type), yes(false, m.missing.join(', '))])) : '<p class="ok">No resource is missing a required tag.</p>'}
${r.tags.exempt.length ? `<p>Deliberately untagged:</p>${table(['Resource', 'Type', 'Why'], r.tags.exempt.map((e) => [h(e.constructPath ?? e.logicalId), h(e.type), h(e.reason)]))}` : ''}</section>`);

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Audit report</title><style>${CSS}</style></head>
<body><main>
${parts.join('\n')}
</main></body></html>
`;
}

function htmlKubernetes(k8s: ReturnType<typeof byTarget>['k8s']): string {
  const parts: string[] = ['<section id="kubernetes"><h2>Kubernetes</h2>'];
  parts.push(`<h3>Who can do what in the cluster</h3><p class="muted">${h(K8S_INTRO.principals)}</p>`);
  for (const p of k8s.principals) {
    parts.push(`<div class="card"><h3>${h(k8sTitle(p))}</h3>${p.constructPath ? `<p class="muted">Made by ${h(p.constructPath)}</p>` : ''}${p.description ? `<p>${h(p.description)}</p>` : ''}
<p><b>${p.kind === 'kubernetes-service-account' ? 'Used by' : 'Granted to'}:</b> ${h(trustLine(p))}</p>
${p.statements.length ? table(['May', 'On', 'Only when', 'Granted by'], p.statements.map((s) => [h(s.actions.join(', ')), h(s.resources.join(', ') || '-'), h(s.conditions.join('; ') || 'always'), h(s.policy)])) : p.kind === 'kubernetes-service-account' ? '' : '<p class="muted">No rules.</p>'}</div>`);
  }
  parts.push(`<h3>Where data is kept in the cluster</h3><p class="muted">${h(K8S_INTRO.data)}</p>
<div class="wrap">${table(['Store', 'Kind', 'Encryption', 'What happens on removal', 'Details'], k8s.dataStores.map((d) => [h(storeName(d)), h(K8S_STORE_KIND[d.kind] ?? d.kind), h(d.encryption), /^NOT retained|DELETED|deleted with the Terraform/.test(d.retention) ? yes(false, d.retention) : h(d.retention), h(d.notes.slice(1).join('; ') || '-')]))}</div>`);
  parts.push(`<h3>Namespaces</h3><p class="muted">${h(K8S_INTRO.namespaces)}</p>
${table(['Namespace', 'Pod Security', 'Incoming traffic', 'Outgoing traffic'], k8s.exposure.filter((e) => e.kind === 'kubernetes-namespace').map((e) => [h(e.name ?? e.logicalId), e.podSecurity?.enforce?.startsWith('restricted') ? yes(true, podSecurityText(e)) : yes(false, podSecurityText(e)), e.inbound.some((l) => l.startsWith('NO ')) ? yes(false, e.inbound.join('; ')) : h(e.inbound.join('; ')), (e.outbound ?? []).some((l) => l.startsWith('NO ')) ? yes(false, (e.outbound ?? []).join('; ')) : h((e.outbound ?? []).join('; '))]))}`);
  parts.push(`<h3>Network policies</h3><p class="muted">${h(K8S_INTRO.policies)}</p>
${table(['Policy', 'Applies to', 'Lets in', 'Lets out'], k8s.exposure.filter((e) => e.kind === 'kubernetes-network-policy').map((e) => [h(e.name ?? e.logicalId), h(e.vpcPlacement), h(e.inbound.join('; ')), h((e.outbound ?? []).join('; '))]))}`);
  parts.push(`<h3>Services</h3><p class="muted">${h(K8S_INTRO.services)}</p>
${table(['Service', 'Reachable from', 'Ports and who may connect', 'How callers are checked'], k8s.exposure.filter((e) => e.kind === 'kubernetes-service').map((e) => [h(e.name ?? e.logicalId), /^(LoadBalancer|NodePort)/.test(e.vpcPlacement) ? yes(false, e.vpcPlacement) : h(e.vpcPlacement), h(e.inbound.join('; ')), h(e.authentication)]))}`);
  parts.push('</section>');
  return parts.join('\n');
}

/** Writes report.json, report.md and report.html into `outDir`; returns their paths. */
export function writeAuditReport(report: AuditReport, outDir: string): { json: string; markdown: string; html: string } {
  fs.mkdirSync(outDir, { recursive: true });
  const files = { json: path.join(outDir, 'report.json'), markdown: path.join(outDir, 'report.md'), html: path.join(outDir, 'report.html') };
  fs.writeFileSync(files.json, `${JSON.stringify({ $schema: `https://cdk-mlops.dev/schemas/audit-report-${report.schemaVersion}.json`, ...report }, null, 2)}\n`);
  fs.writeFileSync(files.markdown, renderMarkdown(report));
  fs.writeFileSync(files.html, renderHtml(report));
  return files;
}
