/**
 * A network-path evaluator over synthesized CloudFormation: which security groups an in-VPC
 * SageMaker workload runs in, and whether their rules, with AWS's semantics, let it reach what it
 * needs (the VPC's interface endpoints, S3 through its gateway endpoint or NAT, its distributed
 * peers). Security groups are stateful and evaluated as the union of their rules: a packet leaves
 * when any group of the source allows it out, and enters when any group of the destination lets
 * it in from the source (by group membership or by address). A group without a SecurityGroupEgress
 * property keeps EC2's default allow-all egress; standalone AWS::EC2::SecurityGroupEgress resources
 * do not remove it.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every stack template of an app, by stack name. */
export type Templates = ReadonlyMap<string, Json>;

interface Rule {
  readonly protocol: string;
  readonly from: number;
  readonly to: number;
  readonly cidr?: string;
  readonly group?: string;
  readonly prefixList?: string;
}

interface Group { readonly ingress: Rule[]; readonly egress: Rule[] }

/** A packet: IP protocol number as a string ('6' tcp, '17' udp, '50' esp) and port (ignored for esp). */
export interface Traffic { readonly protocol: '6' | '17' | '50'; readonly port: number; readonly label: string }

export const HTTPS: Traffic = { protocol: '6', port: 443, label: 'TCP 443' };
/** What SageMaker's distributed jobs use between instances: torchrun's rendezvous, SSH for MPI, a high port; IPsec (IKE, ESP) with inter-container encryption. */
export const PEER_TRAFFIC: Traffic[] = [
  { protocol: '6', port: 29500, label: 'TCP 29500 (torchrun)' },
  { protocol: '6', port: 22, label: 'TCP 22 (MPI over SSH)' },
  { protocol: '6', port: 50000, label: 'TCP 50000 (NCCL)' },
];
export const ENCRYPTION_TRAFFIC: Traffic[] = [
  { protocol: '17', port: 500, label: 'UDP 500 (IKE)' },
  { protocol: '50', port: 0, label: 'protocol 50 (ESP)' },
];

/** The services every SageMaker workload in a VPC reaches through its network interface. */
export const WORKLOAD_SERVICES = ['s3', 'ecr.api', 'ecr.dkr', 'logs'] as const;

export interface Workload {
  /** `<stack>/<logical id>` and, for pipeline steps, the step. */
  readonly name: string;
  readonly stack: string;
  /** Group keys (`<stack>/<logical id>`) or literal ids. */
  readonly groups: string[];
  readonly subnets: string[];
  readonly instances: number;
  readonly interContainerEncryption: boolean;
}

export interface PathResult { readonly workload: string; readonly to: string; readonly traffic: string; readonly allowed: boolean; readonly why: string }

const PROTOCOLS: Record<string, string> = { tcp: '6', udp: '17', icmp: '1', esp: '50' };

export class NetworkModel {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly templates: Templates) {
    for (const [stack, t] of templates) {
      for (const [id, r] of Object.entries<Json>(t.Resources ?? {})) {
        if (r.Type !== 'AWS::EC2::SecurityGroup') continue;
        const p = r.Properties ?? {};
        const egress = (p.SecurityGroupEgress ?? []).map((x: Json) => this.rule(stack, x, 'Destination'));
        this.groups.set(`${stack}/${id}`, {
          ingress: (p.SecurityGroupIngress ?? []).map((x: Json) => this.rule(stack, x, 'Source')),
          egress: egress.length > 0 ? egress : [{ protocol: '-1', from: -1, to: -1, cidr: '0.0.0.0/0' }],
        });
      }
    }
    for (const [stack, t] of templates) {
      for (const r of Object.values<Json>(t.Resources ?? {})) {
        if (r.Type !== 'AWS::EC2::SecurityGroupIngress' && r.Type !== 'AWS::EC2::SecurityGroupEgress') continue;
        const ingress = r.Type === 'AWS::EC2::SecurityGroupIngress';
        const group = this.groups.get(this.key(stack, r.Properties.GroupId));
        if (!group) continue; // a rule on a group defined elsewhere: not evaluated
        (ingress ? group.ingress : group.egress).push(this.rule(stack, r.Properties, ingress ? 'Source' : 'Destination'));
      }
    }
  }

  /** Every in-VPC SageMaker workload: endpoint models, monitoring jobs, HyperPod clusters, pipeline steps. */
  public workloads(): Workload[] {
    const out: Workload[] = [];
    for (const [stack, t] of this.templates) {
      for (const [id, r] of Object.entries<Json>(t.Resources ?? {})) {
        const p = r.Properties ?? {};
        const vpc = r.Type === 'AWS::SageMaker::Model' ? p.VpcConfig
          : /JobDefinition$/.test(r.Type) ? p.NetworkConfig?.VpcConfig : undefined;
        if (vpc) out.push(this.workload(stack, `${stack}/${id}`, vpc, 1, p.NetworkConfig?.EnableInterContainerTrafficEncryption === true));
        if (r.Type === 'AWS::SageMaker::Cluster' && p.VpcConfig) {
          const nodes = (p.InstanceGroups ?? []).reduce((n: number, g: Json) => n + (typeof g.InstanceCount === 'number' ? g.InstanceCount : 1), 0);
          out.push(this.workload(stack, `${stack}/${id}`, p.VpcConfig, nodes, false));
        }
        if (r.Type === 'AWS::SageMaker::Pipeline') {
          for (const step of stepsOf(pipelineDefinition(p.PipelineDefinition.PipelineDefinitionBody))) {
            const a = step.Arguments ?? {};
            const jobs: [Json | undefined, number, boolean][] = [
              [a.VpcConfig, a.ResourceConfig?.InstanceCount ?? 1, a.EnableInterContainerTrafficEncryption === true],
              [a.NetworkConfig?.VpcConfig, a.ProcessingResources?.ClusterConfig?.InstanceCount ?? 1, a.NetworkConfig?.EnableInterContainerTrafficEncryption === true],
              [a.TrainingJobDefinition?.VpcConfig, a.TrainingJobDefinition?.ResourceConfig?.InstanceCount ?? 1, a.TrainingJobDefinition?.EnableInterContainerTrafficEncryption === true],
            ];
            for (const [cfg, n, enc] of jobs) if (cfg) out.push(this.workload(stack, `${stack}/${id} step ${step.Name}`, cfg, typeof n === 'number' ? n : 2, enc));
          }
        }
      }
    }
    return out;
  }

  /** Every path a workload needs, evaluated. */
  public evaluate(w: Workload): PathResult[] {
    const results: PathResult[] = [];
    const vpc = this.vpcOf(w);
    const sourceCidrs = w.subnets.map((s) => this.subnetCidr(s)).filter((c): c is string => c !== undefined);
    for (const service of WORKLOAD_SERVICES) {
      const iface = vpc ? this.interfaceEndpoint(vpc, service) : undefined;
      if (iface) {
        const cidrs = iface.subnets.map((s) => this.subnetCidr(s)).filter((c): c is string => c !== undefined);
        results.push(this.path(w, `${service} interface endpoint`, HTTPS, { groups: iface.groups, cidrs }, { groups: w.groups, cidrs: sourceCidrs }));
      } else if (service === 's3' && vpc && this.hasGatewayEndpoint(vpc, 's3')) {
        // The gateway endpoint routes S3's public addresses (its prefix list): a rule to the prefix list or to all addresses covers them.
        results.push(this.path(w, 's3 gateway endpoint (prefix list)', HTTPS, { groups: [], cidrs: ['0.0.0.0/0'], prefixList: true }));
      } else {
        results.push(this.path(w, `${service} public endpoint (through NAT)`, HTTPS, { groups: [], cidrs: ['0.0.0.0/0'] }));
      }
    }
    if (w.instances > 1) {
      for (const traffic of [...PEER_TRAFFIC, ...(w.interContainerEncryption ? ENCRYPTION_TRAFFIC : [])]) {
        results.push(this.path(w, 'its peers (another instance of the same job)', traffic, { groups: w.groups, cidrs: sourceCidrs }, { groups: w.groups, cidrs: sourceCidrs }));
      }
    }
    return results;
  }

  private path(w: Workload, to: string, traffic: Traffic, target: { groups: string[]; cidrs: string[]; prefixList?: boolean }, source?: { groups: string[]; cidrs: string[] }): PathResult {
    const out = w.groups.some((g) => this.groupOf(g).egress.some((r) => covers(r, traffic) && (
      (r.group !== undefined && target.groups.includes(r.group))
      || (r.cidr !== undefined && target.cidrs.length > 0 && target.cidrs.every((c) => cidrContains(r.cidr!, c)))
      || (r.prefixList !== undefined && target.prefixList === true))));
    if (!out) return { workload: w.name, to, traffic: traffic.label, allowed: false, why: 'no egress rule of its security groups allows it' };
    if (source) {
      const into = target.groups.some((g) => this.groupOf(g).ingress.some((r) => covers(r, traffic) && (
        (r.group !== undefined && source.groups.includes(r.group))
        || (r.cidr !== undefined && source.cidrs.length > 0 && source.cidrs.every((c) => cidrContains(r.cidr!, c))))));
      if (!into) return { workload: w.name, to, traffic: traffic.label, allowed: false, why: "no ingress rule of the target's security groups admits it" };
    }
    return { workload: w.name, to, traffic: traffic.label, allowed: true, why: '' };
  }

  private groupOf(key: string): Group {
    const g = this.groups.get(key);
    if (!g) throw new Error(`security group ${key} is not in the synthesized templates: cannot evaluate its rules`);
    return g;
  }

  private workload(stack: string, name: string, vpc: Json, instances: number, interContainerEncryption: boolean): Workload {
    return {
      name, stack, instances, interContainerEncryption,
      groups: (vpc.SecurityGroupIds as unknown[]).map((g) => this.key(stack, g)),
      subnets: (vpc.Subnets as unknown[]).map((s) => this.key(stack, s)),
    };
  }

  /** A reference as `<stack>/<logical id>` (Ref, Fn::GetAtt, Fn::ImportValue followed to its export), or a literal. */
  private key(stack: string, value: unknown): string {
    const v = value as Json;
    if (typeof value === 'string') return value;
    if (v.Ref) return `${stack}/${v.Ref}`;
    if (v['Fn::GetAtt']) return `${stack}/${v['Fn::GetAtt'][0]}`;
    if (v['Fn::ImportValue']) {
      const name = v['Fn::ImportValue'];
      for (const [other, t] of this.templates) {
        for (const o of Object.values<Json>(t.Outputs ?? {})) if (JSON.stringify(o.Export?.Name) === JSON.stringify(name)) return this.key(other, o.Value);
      }
    }
    throw new Error(`cannot follow ${JSON.stringify(value)} in stack ${stack}`);
  }

  private resource(key: string): Json | undefined {
    const i = key.indexOf('/');
    if (i < 0) return undefined;
    return this.templates.get(key.slice(0, i))?.Resources?.[key.slice(i + 1)];
  }

  private cidrOf(stack: string, value: unknown): string | undefined {
    if (typeof value === 'string') return value;
    const v = value as Json;
    if (v['Fn::GetAtt']?.[1] === 'CidrBlock') return this.resource(`${stack}/${v['Fn::GetAtt'][0]}`)?.Properties?.CidrBlock;
    if (v['Fn::ImportValue']) {
      const k = this.key(stack, v);
      return this.resource(k)?.Properties?.CidrBlock;
    }
    return undefined;
  }

  private subnetCidr(subnetKey: string): string | undefined {
    return this.resource(subnetKey)?.Properties?.CidrBlock;
  }

  private vpcOf(w: Workload): string | undefined {
    const subnet = this.resource(w.subnets[0]);
    if (!subnet) return undefined;
    const stack = w.subnets[0].slice(0, w.subnets[0].indexOf('/'));
    return this.key(stack, subnet.Properties.VpcId);
  }

  private endpoints(vpc: string): { stack: string; p: Json }[] {
    const out: { stack: string; p: Json }[] = [];
    for (const [stack, t] of this.templates) {
      for (const r of Object.values<Json>(t.Resources ?? {})) {
        if (r.Type === 'AWS::EC2::VPCEndpoint' && this.key(stack, r.Properties.VpcId) === vpc) out.push({ stack, p: r.Properties });
      }
    }
    return out;
  }

  private interfaceEndpoint(vpc: string, service: string): { groups: string[]; subnets: string[] } | undefined {
    const e = this.endpoints(vpc).find(({ p }) => p.VpcEndpointType === 'Interface' && p.PrivateDnsEnabled === true && serviceName(p.ServiceName).endsWith(`.${service}`));
    return e && { groups: (e.p.SecurityGroupIds ?? []).map((g: unknown) => this.key(e.stack, g)), subnets: (e.p.SubnetIds ?? []).map((s: unknown) => this.key(e.stack, s)) };
  }

  private hasGatewayEndpoint(vpc: string, service: string): boolean {
    return this.endpoints(vpc).some(({ p }) => (p.VpcEndpointType ?? 'Gateway') === 'Gateway' && serviceName(p.ServiceName).endsWith(`.${service}`));
  }

  private rule(stack: string, x: Json, side: 'Source' | 'Destination'): Rule {
    const protocol = PROTOCOLS[String(x.IpProtocol).toLowerCase()] ?? String(x.IpProtocol);
    const group = x[`${side}SecurityGroupId`] ?? (side === 'Source' ? x.SourceSecurityGroupName : undefined);
    return {
      protocol,
      from: x.FromPort ?? -1,
      to: x.ToPort ?? -1,
      cidr: x.CidrIp !== undefined ? this.cidrOf(stack, x.CidrIp) ?? 'unresolved' : undefined,
      group: group !== undefined ? this.key(stack, group) : undefined,
      prefixList: x[`${side}PrefixListId`],
    };
  }
}

function serviceName(v: unknown): string {
  if (typeof v === 'string') return v;
  const join = (v as Json)['Fn::Join'];
  return join ? (join[1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'X')).join(join[0]) : '';
}

function covers(r: Rule, t: Traffic): boolean {
  if (r.protocol === '-1') return true;
  if (r.protocol !== t.protocol) return false;
  if (t.protocol === '50') return true;
  return (r.from === -1 && r.to === -1) || (r.from <= t.port && t.port <= r.to);
}

function range(cidr: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return undefined;
  const ip = ((+m[1] << 24) >>> 0) + (+m[2] << 16) + (+m[3] << 8) + +m[4];
  const size = 2 ** (32 - +m[5]);
  const start = Math.floor(ip / size) * size;
  return [start, start + size - 1];
}

/** Whether `outer` contains every address of `inner`. */
export function cidrContains(outer: string, inner: string): boolean {
  const a = range(outer);
  const b = range(inner);
  return a !== undefined && b !== undefined && a[0] <= b[0] && b[1] <= a[1];
}

/** A PipelineDefinitionBody (a string, or an Fn::Join with deploy-time parts) as an object whose deploy-time values are the intrinsics themselves. */
export function pipelineDefinition(body: unknown): Json {
  if (typeof body === 'string') return JSON.parse(body) as Json;
  const parts = (body as Json)['Fn::Join'][1] as unknown[];
  const tokens: unknown[] = [];
  const text = parts.map((p) => (typeof p === 'string' ? p : `@@TOKEN${tokens.push(p) - 1}@@`)).join('');
  const restore = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const m = /^@@TOKEN(\d+)@@$/.exec(v);
      return m ? tokens[+m[1]] : v;
    }
    if (Array.isArray(v)) return v.map(restore);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, restore(x)]));
    return v;
  };
  return restore(JSON.parse(text)) as Json;
}

function stepsOf(definition: Json): Json[] {
  const out: Json[] = [];
  const visit = (steps: Json[]) => steps.forEach((s) => {
    out.push(s);
    if (s.Type === 'Condition') visit([...(s.Arguments.IfSteps ?? []), ...(s.Arguments.ElseSteps ?? [])]);
  });
  visit(definition.Steps ?? []);
  return out;
}

/** The templates of every stack under an app, by stack name. */
export function templatesOf(stacks: readonly { stackName: string; template: Json }[]): Templates {
  return new Map(stacks.map((s) => [s.stackName, s.template]));
}
