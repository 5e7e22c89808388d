/**
 * Security groups of SageMaker workloads in a VPC: what a model, monitoring or training container
 * must reach (S3 for artifacts and data, ECR for images, CloudWatch Logs), and what the instances of
 * one distributed job exchange with each other.
 */
import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/**
 * A workload's own group: HTTPS out to anywhere, nothing in. SageMaker downloads the model
 * artifact and pulls the image through the workload's network interface: S3 answers on its
 * public addresses (through a gateway endpoint's prefix list or NAT), ECR and CloudWatch on
 * interface endpoints or through NAT; which of these a VPC of the user's has is not known here,
 * and all of them are HTTPS.
 */
export function newWorkloadSecurityGroup(scope: Construct, id: string, vpc: ec2.IVpc, description: string): ec2.SecurityGroup {
  const group = new ec2.SecurityGroup(scope, id, { vpc, description, allowAllOutbound: false });
  group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to S3, ECR and CloudWatch (VPC endpoints, the S3 prefix list or NAT)');
  return group;
}

/**
 * Lets the instances of one distributed job reach each other on every port and protocol, as
 * SageMaker requires: collective communication on dynamic TCP ports and, with inter-container
 * encryption, IPsec (UDP 500 and ESP, IP protocol 50). Only members of the group are concerned.
 */
export function allowDistributedPeers(group: ec2.SecurityGroup): void {
  group.addIngressRule(group, ec2.Port.allTraffic(), 'Traffic between instances of a distributed job');
  group.addEgressRule(group, ec2.Port.allTraffic(), 'Traffic between instances of a distributed job');
  const reason = 'The only all-port inbound rule has this group itself as its source: instances of one distributed job exchange gradients on dynamic ports (and IPsec with inter-container encryption). Nothing outside may connect.';
  Validations.of(group).acknowledge(
    { id: 'NIST.800.53.R5-EC2RestrictedCommonPorts', reason },
    { id: 'HIPAA.Security-EC2RestrictedCommonPorts', reason },
  );
}
