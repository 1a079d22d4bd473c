#!/usr/bin/env python3
"""Seed a moto server with an AWS Organization for sgaudit's integration tests.

    python tests/moto/seed_org.py --endpoint http://127.0.0.1:PORT [--scenario textbook|bulk]
        [--accounts N] [--groups M] [--regions eu-west-1,us-east-1] [--seed N] [--reset] [--jobs J]

Prints ONE JSON object on stdout naming everything it created (ids, ARNs), so
that a test can compare sgaudit's snapshot with it; progress goes to stderr.

Scenarios:
  textbook  the organization of samples/make_sample_org.py, as far as moto can
            emulate it: shop-prod (the guidance's ALB -> web -> DB tiers),
            data-platform (internal patterns, a prefix list, a cross-account
            reference, an unused group), legacy-dev (SSH/RDP/MySQL open to the
            world, a default group in use), sandbox-ml (empty), and edge-lab
            (reachability: an ACL that denies SSH in a public subnet, an
            internet-facing NLB without groups in front of a private instance,
            a publicly accessible database in private subnets, an IPv6 VPC), and
            precision-lab (the textbook tiers built by hand, without IaC tags:
            the false alarms a reviewer would dismiss, beside real findings).
  bulk      N accounts x regions x M groups of generated rules, for benchmarks.

The same --seed on a fresh moto gives the same ids (moto's random generator is
seeded through /moto-api/seed) and the same generated rules; with --jobs above
1 (bulk only, faster) the rules stay the same but the ids change from run to
run. See README.md in this folder for moto's limitations, how the Rust tests
use this script and how to start moto so that bulk seeding is faster.
"""

import argparse
import json
import random
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

MANAGEMENT_ACCOUNT = "123456789012"  # moto's default account: any unknown access key acts in it
DEFAULT_REGIONS = ["eu-west-1", "us-east-1"]
# Two AMIs from moto's bundled list (moto/ec2/resources/amis.json.gz), present in every region.
LINUX_AMI = "ami-760aaa0f"  # amzn-ami-hvm-2017.09: Platform absent, as for Linux in AWS
WINDOWS_AMI = "ami-b7e93bce"  # Windows_Server-2016-English-Full-Base: Platform "windows"
CLIENT_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10, read_timeout=120)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def nested(d, *keys):
    """d[k1][k2]... creating the dicts on the way."""
    for k in keys:
        d = d.setdefault(k, {})
    return d


def tags(name):
    return [{"Key": "Name", "Value": name}]


def rule(protocol, ports, *sources, description=None):
    """One IpPermission. ports: a port, a (from, to) pair, or None (every port).
    A source is a CIDR (IPv4 or IPv6), a prefix list id "pl-...", a group id
    "sg-..." of the same account, or a (group id, account id) pair."""
    perm = {"IpProtocol": protocol}
    if ports is not None:
        lo, hi = ports if isinstance(ports, tuple) else (ports, ports)
        perm["FromPort"], perm["ToPort"] = lo, hi
    desc = {"Description": description} if description else {}
    for source in sources:
        if isinstance(source, tuple):
            perm.setdefault("UserIdGroupPairs", []).append({"GroupId": source[0], "UserId": source[1], **desc})
        elif source.startswith("sg-"):
            perm.setdefault("UserIdGroupPairs", []).append({"GroupId": source, **desc})
        elif source.startswith("pl-"):
            perm.setdefault("PrefixListIds", []).append({"PrefixListId": source, **desc})
        elif ":" in source:
            perm.setdefault("Ipv6Ranges", []).append({"CidrIpv6": source, **desc})
        else:
            perm.setdefault("IpRanges", []).append({"CidrIp": source, **desc})
    return perm


class Seeder:
    """Holds the one boto3 session (its clients share the loaded service models,
    which makes creating a client cheap), counts API calls, and collects the
    JSON result. Clients are thread-safe; the session is not, hence the lock."""

    def __init__(self, endpoint, regions):
        self.endpoint = endpoint.rstrip("/")
        self.regions = regions
        self.calls = 0
        self.lock = threading.Lock()
        self.session = boto3.Session()
        # Registered before any client is made: clients copy the session's handlers.
        self.session.events.register("before-call", self._count_call)
        self.management = Account(self, "management", MANAGEMENT_ACCOUNT, {
            "aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
        self.result = {
            "management_account": MANAGEMENT_ACCOUNT,
            "organization_id": None,
            "ous": {},
            "accounts": {},
            "regions": list(regions),
            "vpcs": {},
            "groups": {},
            "load_balancers": {},
            "instances": {},
            "db_instances": {},
            "prefix_lists": {},
            "network_acls": {},
            "flow_logs": {},
        }
        self.root_id = None

    def _count_call(self, **_):
        with self.lock:
            self.calls += 1

    def moto_api(self, path):
        """POST to moto's own control API (not an AWS call)."""
        self._count_call()
        req = urllib.request.Request(f"{self.endpoint}/moto-api/{path}", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()

    def client(self, service, region, credentials):
        with self.lock:
            return self.session.client(service, region_name=region, endpoint_url=self.endpoint,
                                       config=CLIENT_CONFIG, **credentials)

    # --------------------------------------------------------- organization
    def create_organization(self):
        org = self.management.client("organizations", "us-east-1")
        self.result["organization_id"] = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
        self.root_id = org.list_roots()["Roots"][0]["Id"]

    def create_ou(self, name, parent=None):
        org = self.management.client("organizations", "us-east-1")
        ou = org.create_organizational_unit(ParentId=parent or self.root_id, Name=name)["OrganizationalUnit"]
        self.result["ous"][name] = ou["Id"]
        return ou["Id"]

    def create_account(self, name, ou_id):
        """A member account in the OU, and a handle acting inside it through
        OrganizationAccountAccessRole (which moto's create_account creates)."""
        org = self.management.client("organizations", "us-east-1")
        status = org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
        account_id = status["AccountId"]  # moto completes the creation at once (State SUCCEEDED)
        org.move_account(AccountId=account_id, SourceParentId=self.root_id, DestinationParentId=ou_id)
        sts = self.management.client("sts", "us-east-1")
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
                                RoleSessionName="seed")["Credentials"]
        with self.lock:
            self.result["accounts"][name] = account_id
        return Account(self, name, account_id, {
            "aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"]})

    def order_accounts(self, names):
        """Puts the accounts in this order in every part of the result (accounts
        seeded in parallel finish in any order)."""
        rank = {name: i for i, name in enumerate(names)}
        for key, value in self.result.items():
            if isinstance(value, dict) and value and all(k in rank for k in value):
                self.result[key] = dict(sorted(value.items(), key=lambda kv: rank[kv[0]]))

    def output(self, started):
        self.result["api_calls"] = self.calls
        self.result["seconds"] = round(time.monotonic() - started, 2)
        return self.result


class Account:
    def __init__(self, seeder, name, account_id, credentials):
        self.seeder, self.name, self.id, self.credentials = seeder, name, account_id, credentials
        self._clients = {}
        self.buckets = set()

    def client(self, service, region):
        # Not locked: a member account is seeded by one thread, and the management
        # account's clients are all made before the threads start.
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.seeder.client(service, region, self.credentials)
        return self._clients[key]

    def region(self, region):
        return Region(self, region)


class Region:
    """Creates resources in one account-region and records them in the result."""

    def __init__(self, account, region):
        self.account, self.name = account, region
        self.ec2 = account.client("ec2", region)
        self.result = account.seeder.result

    def record(self, kind, name, value):
        with self.account.seeder.lock:
            nested(self.result[kind], self.account.name, self.name)[name] = value

    # -------------------------------------------------------------- network
    def vpc(self, name, cidr, igw=True):
        """A VPC, optionally with an attached internet gateway. Returns a dict
        with its id, CIDR, igw id and main route table id."""
        vpc_id = self.ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[
            {"ResourceType": "vpc", "Tags": tags(name)}])["Vpc"]["VpcId"]
        self.record("vpcs", name, vpc_id)
        igw_id = None
        if igw:
            igw_id = self.ec2.create_internet_gateway(TagSpecifications=[
                {"ResourceType": "internet-gateway", "Tags": tags(name)}])["InternetGateway"]["InternetGatewayId"]
            self.ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
        return {"id": vpc_id, "name": name, "cidr": cidr, "igw": igw_id}

    def subnet(self, vpc, name, cidr, az, public_ip_on_launch=False):
        subnet_id = self.ec2.create_subnet(VpcId=vpc["id"], CidrBlock=cidr, AvailabilityZone=self.name + az,
                                           TagSpecifications=[{"ResourceType": "subnet", "Tags": tags(name)}]
                                           )["Subnet"]["SubnetId"]
        if public_ip_on_launch:
            self.ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
        return subnet_id

    def route_table(self, vpc, name, subnets, to_igw):
        """A route table of its own, explicitly associated with the subnets;
        with 0.0.0.0/0 -> the VPC's internet gateway when to_igw (otherwise
        only the implicit local route)."""
        rtb_id = self.ec2.create_route_table(VpcId=vpc["id"], TagSpecifications=[
            {"ResourceType": "route-table", "Tags": tags(name)}])["RouteTable"]["RouteTableId"]
        if to_igw:
            self.ec2.create_route(RouteTableId=rtb_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=vpc["igw"])
        for s in subnets:
            self.ec2.associate_route_table(RouteTableId=rtb_id, SubnetId=s)
        return rtb_id

    def prefix_list(self, name, entries):
        pl_id = self.ec2.create_managed_prefix_list(
            PrefixListName=name, AddressFamily="IPv4", MaxEntries=10,
            Entries=[{"Cidr": c, "Description": d} for c, d in entries],
            TagSpecifications=[{"ResourceType": "prefix-list", "Tags": tags(name)}])["PrefixList"]["PrefixListId"]
        self.record("prefix_lists", name, pl_id)
        return pl_id

    # ------------------------------------------------------ security groups
    def sg(self, vpc, name, description, ingress=(), extra_tags=()):
        group_id = self.ec2.create_security_group(
            GroupName=name, Description=description, VpcId=vpc["id"],
            TagSpecifications=[{"ResourceType": "security-group", "Tags": tags(name) + list(extra_tags)}])["GroupId"]
        self.record("groups", name, group_id)
        if ingress:
            self.authorize(group_id, ingress)
        return group_id

    def authorize(self, group_id, ingress):
        self.ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=list(ingress))

    def default_sg(self, vpc):
        """The default group moto created with the VPC (recorded as "default")."""
        groups = self.ec2.describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [vpc["id"]]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
        self.record("groups", "default", groups[0]["GroupId"])
        return groups[0]["GroupId"]

    # ---------------------------------------------------------- attachments
    def instance(self, name, subnet, groups, windows=False):
        """An instance launched with SubnetId + SecurityGroupIds (so that moto
        fills the instance's SecurityGroups); it gets a public IP exactly when
        its subnet maps one on launch."""
        instance_id = self.ec2.run_instances(
            ImageId=WINDOWS_AMI if windows else LINUX_AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1,
            SubnetId=subnet, SecurityGroupIds=list(groups),
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags(name)}])["Instances"][0]["InstanceId"]
        self.record("instances", name, instance_id)
        return instance_id

    def load_balancer(self, name, scheme, subnets, groups, listeners, forward_to=None):
        """An application load balancer. listeners: (port, protocol) pairs;
        HTTPS ones get an ACM certificate requested for the purpose. With
        forward_to (a target group ARN) the listeners forward there, else they
        answer 404. (moto fills a target group's LoadBalancerArns only when a
        listener is created with the forward action, not on ModifyListener.)"""
        elbv2 = self.account.client("elbv2", self.name)
        arn = elbv2.create_load_balancer(Name=name, Subnets=list(subnets), SecurityGroups=list(groups), Scheme=scheme,
                                         Type="application", IpAddressType="ipv4", Tags=tags(name)
                                         )["LoadBalancers"][0]["LoadBalancerArn"]
        for port, protocol in listeners:
            extra = {}
            if protocol == "HTTPS":
                cert = self.account.client("acm", self.name).request_certificate(
                    DomainName=f"{name}.example.com")["CertificateArn"]
                extra["Certificates"] = [{"CertificateArn": cert}]
            action = {"Type": "forward", "TargetGroupArn": forward_to} if forward_to else {
                "Type": "fixed-response",
                "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "not found"}}
            elbv2.create_listener(LoadBalancerArn=arn, Protocol=protocol, Port=port, DefaultActions=[action], **extra)
        self.record("load_balancers", name, arn)
        return arn

    def database(self, name, engine, port, subnets, groups, public):
        """An RDS instance in a DB subnet group of its own."""
        rds = self.account.client("rds", self.name)
        rds.create_db_subnet_group(DBSubnetGroupName=f"{name}-subnets", DBSubnetGroupDescription=f"subnets of {name}",
                                   SubnetIds=list(subnets))
        arn = rds.create_db_instance(
            DBInstanceIdentifier=name, Engine=engine, Port=port, DBInstanceClass="db.t3.micro", AllocatedStorage=20,
            MasterUsername="admin", MasterUserPassword="not-a-secret-1", PubliclyAccessible=public,
            VpcSecurityGroupIds=list(groups), DBSubnetGroupName=f"{name}-subnets", Tags=tags(name)
        )["DBInstance"]["DBInstanceArn"]
        self.record("db_instances", name, arn)
        return arn


    # ------------------------------------------------------------ flow logs
    def flow_log(self, name, resource_type, resource_id, **destination):
        """A flow log of all traffic on a VPC, a subnet or an interface. Without
        a destination, to the account's S3 bucket sgaudit-flow-logs-<account id>
        (created on first use; moto takes everything after arn:aws:s3::: as the
        bucket's name, so no prefix)."""
        if not destination:
            bucket = f"sgaudit-flow-logs-{self.account.id}"
            if bucket not in self.account.buckets:
                where = {} if self.name == "us-east-1" else {
                    "CreateBucketConfiguration": {"LocationConstraint": self.name}}
                self.account.client("s3", self.name).create_bucket(Bucket=bucket, **where)
                self.account.buckets.add(bucket)
            destination = {"LogDestinationType": "s3", "LogDestination": f"arn:aws:s3:::{bucket}"}
        created = self.ec2.create_flow_logs(ResourceType=resource_type, ResourceIds=[resource_id], TrafficType="ALL",
                                            TagSpecifications=[{"ResourceType": "vpc-flow-log", "Tags": tags(name)}],
                                            **destination)
        if created["Unsuccessful"]:
            raise RuntimeError(f"flow log {name}: {created['Unsuccessful']}")
        self.record("flow_logs", name, created["FlowLogIds"][0])


# ---------------------------------------------------------------- textbook

# Text whoever can create a group may write: it must never reach a shell
# unquoted (the remediation round trip runs the generated scripts).
HOSTILE = "tmp $(touch pwned-dollar) `touch pwned-backtick` '; touch pwned-quote; echo ' \"; touch pwned-dq\nline two"


def hostile(r):
    """A temporary-looking, unattached group in legacy-dev whose description
    and rule description are shell injections."""
    log("seeding legacy-dev eu-west-1: the hostile group")
    vpc_id = r.ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["legacy"]}])["Vpcs"][0]["VpcId"]
    r.sg({"id": vpc_id}, "tmp-hostile", HOSTILE, ingress=[rule("tcp", 8080, "0.0.0.0/0", description=HOSTILE)])


def textbook(seeder, with_hostile=False):
    seeder.create_organization()
    workloads = seeder.create_ou("Workloads")
    prod = seeder.create_ou("Prod", workloads)
    dev = seeder.create_ou("Dev", workloads)
    sandbox = seeder.create_ou("Sandbox")
    shop = seeder.create_account("shop-prod", prod)
    data = seeder.create_account("data-platform", prod)
    legacy = seeder.create_account("legacy-dev", dev)
    seeder.create_account("sandbox-ml", sandbox)  # nothing in it but what moto gives every account
    edge = seeder.create_account("edge-lab", dev)
    precision = seeder.create_account("precision-lab", prod)
    shop_prod(shop.region("eu-west-1"))
    data_platform(data.region("eu-west-1"), shop_account_id=shop.id)
    legacy_dev(legacy.region("eu-west-1"), legacy.region("us-east-1"))
    edge_public = edge_lab(edge.region("eu-west-1"))
    precision_lab(precision.region("eu-west-1"))
    flow_logs(seeder, shop, data, legacy, edge, precision, edge_public)
    if with_hostile:
        hostile(legacy.region("eu-west-1"))


def flow_logs(seeder, shop, data, legacy, edge, precision, edge_public):
    """Last, so that the ids moto hands out before stay as they were: the
    VPCs of shop-prod, data-platform and precision-lab log to S3; legacy-dev's
    logs to a CloudWatch log group that does not exist (moto, like AWS, then
    reports the delivery FAILED); edge-lab logs its public subnet only, not
    its private and dual-stack ones (SGA910 names them)."""
    log("seeding flow logs")
    vpcs = seeder.result["vpcs"]
    for account, name in ((shop, "shop"), (data, "data"), (precision, "precision")):
        account.region("eu-west-1").flow_log(name, "VPC", vpcs[account.name]["eu-west-1"][name])
    legacy.region("eu-west-1").flow_log(
        "legacy", "VPC", vpcs["legacy-dev"]["eu-west-1"]["legacy"], LogDestinationType="cloud-watch-logs",
        LogGroupName="legacy-flow-logs", DeliverLogsPermissionArn=f"arn:aws:iam::{legacy.id}:role/flow-logs")
    edge.region("eu-west-1").flow_log("edge-public", "Subnet", edge_public)


def shop_prod(r):
    """The guidance's textbook tiers: internet -> ALB group (80/443) -> web
    group (only from the ALB group) -> DB group (3306 only from the web group)."""
    log("seeding shop-prod eu-west-1")
    vpc = r.vpc("shop", "10.10.0.0/16")
    public = [r.subnet(vpc, f"shop-public-{az}", f"10.10.{i}.0/24", az) for i, az in enumerate("ab")]
    private = [r.subnet(vpc, f"shop-private-{az}", f"10.10.{10 + i}.0/24", az) for i, az in enumerate("ab")]
    r.route_table(vpc, "shop-public", public, to_igw=True)
    r.route_table(vpc, "shop-private", private, to_igw=False)
    cfn = [{"Key": "managed-by", "Value": "cloudformation"}]  # "aws:" tag keys are reserved to AWS
    alb = r.sg(vpc, "shop-alb", "Internet-facing load balancer of the shop", extra_tags=cfn, ingress=[
        rule("tcp", 80, "0.0.0.0/0", description="HTTP from anywhere (redirects to HTTPS)"),
        rule("tcp", 443, "0.0.0.0/0", description="HTTPS from anywhere")])
    web = r.sg(vpc, "shop-web", "Web servers, reachable only from the shop load balancer", extra_tags=cfn, ingress=[
        rule("tcp", 80, alb, description="HTTP from the shop ALB only"),
        rule("tcp", 443, alb, description="HTTPS from the shop ALB only")])
    db = r.sg(vpc, "shop-db", "Orders database, reachable only from the web tier", extra_tags=cfn, ingress=[
        rule("tcp", 3306, web, description="MySQL from the web tier only")])
    r.load_balancer("shop-web", "internet-facing", public, [alb], [(80, "HTTP"), (443, "HTTPS")])
    for az, subnet in zip("ab", private):
        r.instance(f"shop-web-{az}", subnet, [web])
    r.database("shop-orders", "mysql", 3306, private, [db], public=False)


def data_platform(r, shop_account_id):
    """Internal patterns: an internal ALB open to anywhere, a tier that
    bypasses its ALB, 10.0.0.0/8, a prefix list, a cross-account reference,
    an unused group and a bastion."""
    log("seeding data-platform eu-west-1")
    vpc = r.vpc("data", "10.20.0.0/16")
    public = r.subnet(vpc, "data-public-a", "10.20.0.0/24", "a", public_ip_on_launch=True)
    private = [r.subnet(vpc, f"data-private-{az}", f"10.20.{10 + i}.0/24", az) for i, az in enumerate("ab")]
    r.route_table(vpc, "data-public", [public], to_igw=True)
    r.route_table(vpc, "data-private", private, to_igw=False)
    tf = [{"Key": "managed-by", "Value": "terraform"}]
    alb = r.sg(vpc, "internal-api-alb", "Internal API load balancer", extra_tags=tf, ingress=[
        rule("tcp", 443, "0.0.0.0/0", description="HTTPS from anywhere")])
    api = r.sg(vpc, "data-api", "Data API servers", extra_tags=tf, ingress=[
        rule("tcp", 8080, alb, description="from the internal ALB"),
        rule("tcp", 8080, "0.0.0.0/0", description="temporary, for the load test")])
    r.sg(vpc, "search", "OpenSearch nodes", extra_tags=tf, ingress=[
        rule("tcp", 9200, "10.0.0.0/8", description="search clients")])
    corp_vpn = r.prefix_list("corp-vpn", [("10.99.0.0/16", "VPN pool"), ("192.168.50.0/24", "HQ office")])
    dashboard = r.sg(vpc, "ops-dashboard", "Grafana for operations", extra_tags=tf, ingress=[
        rule("tcp", 3000, corp_vpn, description="from the corporate VPN")])
    # A reference to shop-prod's account. moto refuses a UserIdGroupPair whose
    # GroupId does not exist in the caller's own account (AWS accepts another
    # account's group id), so the pair names a group of THIS account with
    # shop-prod's account id as UserId: the snapshot still shows UserId !=
    # OwnerId, which is what makes a reference cross-account.
    r.sg(vpc, "partner-ingest", "Receives orders from the shop account", extra_tags=tf, ingress=[
        rule("tcp", 443, (dashboard, shop_account_id), description="from shop-prod")])
    r.sg(vpc, "quick-fix", "added by hand during an incident", ingress=[
        rule("tcp", 8443, "10.20.0.0/16", description="incident 2031")])  # attached to nothing
    bastion = r.sg(vpc, "bastion", "Hardened bastion: SSH from the office NAT only", extra_tags=tf, ingress=[
        rule("tcp", 22, "198.51.100.10/32", description="office NAT")])
    api_a = r.instance("api-a", private[0], [api])
    # The ALB forwards to the API servers on 8080: what makes 8080 from
    # anywhere a way around it (SGA205).
    elbv2 = r.account.client("elbv2", r.name)
    tg = elbv2.create_target_group(Name="data-api-8080", Protocol="HTTP", Port=8080, VpcId=vpc["id"],
                                   TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": api_a, "Port": 8080}])
    r.load_balancer("data-api", "internal", private, [alb], [(443, "HTTPS")], forward_to=tg)
    r.instance("bastion", public, [bastion])  # public IP from the subnet's MapPublicIpOnLaunch


def legacy_dev(r, east):
    """The console-made account: SSH, RDP and MySQL open to the world, a
    public database, the default group in use; an unused group in us-east-1."""
    log("seeding legacy-dev eu-west-1")
    vpc = r.vpc("legacy", "172.31.0.0/16")
    # Both subnets route to the internet; only public-a gives instances a public IP.
    public_a = r.subnet(vpc, "legacy-public-a", "172.31.0.0/20", "a", public_ip_on_launch=True)
    public_b = r.subnet(vpc, "legacy-public-b", "172.31.16.0/20", "b")
    r.route_table(vpc, "legacy-public", [public_a, public_b], to_igw=True)
    wizard = r.sg(vpc, "launch-wizard-1", "launch-wizard-1 created 2023-03-14T09:12:44.123Z", ingress=[
        rule("tcp", 22, "0.0.0.0/0")])
    rdp = r.sg(vpc, "rdp-admin", "RDP for the build team", ingress=[
        rule("tcp", 3389, "0.0.0.0/0", "::/0", description="RDP")])
    rds_sg = r.sg(vpc, "rds-launch-wizard", "Created by RDS management console", ingress=[
        rule("tcp", 3306, "0.0.0.0/0")])
    # moto's default groups lack AWS's "all traffic from itself" rule: add it.
    default = r.default_sg(vpc)
    r.authorize(default, [rule("-1", None, default)])
    r.instance("jump-host", public_a, [wizard])
    r.instance("win-build", public_a, [rdp], windows=True)
    r.instance("old-cron", public_b, [default])  # no public IP
    r.database("legacy-reporting", "mysql", 3306, [public_a, public_b], [rds_sg], public=True)

    log("seeding legacy-dev us-east-1")
    old = east.vpc("legacy-east", "172.31.0.0/16", igw=False)
    east.sg(old, "old-elb-sg", "for the old classic ELB", ingress=[
        rule("tcp", 443, "0.0.0.0/0", description="HTTPS")])


def edge_lab(r):
    """Reachability's cases: what stops a public path, and what gets around."""
    log("seeding edge-lab eu-west-1")
    ec2 = r.ec2
    vpc_id = ec2.create_vpc(CidrBlock="10.40.0.0/16", AmazonProvidedIpv6CidrBlock=True, TagSpecifications=[
        {"ResourceType": "vpc", "Tags": tags("edge")}])["Vpc"]["VpcId"]
    r.record("vpcs", "edge", vpc_id)
    v6 = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    vpc = {"id": vpc_id, "name": "edge", "cidr": "10.40.0.0/16", "igw": igw}
    public = r.subnet(vpc, "edge-public-a", "10.40.0.0/24", "a", public_ip_on_launch=True)
    private = [r.subnet(vpc, f"edge-private-{az}", f"10.40.{10 + i}.0/24", az) for i, az in enumerate("ab")]
    dual = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.40.20.0/24", Ipv6CidrBlock=v6.replace("/56", "/64"),
                             AvailabilityZone="eu-west-1a", TagSpecifications=[
                                 {"ResourceType": "subnet", "Tags": tags("edge-dual")}])["Subnet"]["SubnetId"]
    public_rt = r.route_table(vpc, "edge-public", [public], to_igw=True)
    r.route_table(vpc, "edge-private", private, to_igw=False)
    dual_rt = r.route_table(vpc, "edge-dual", [dual], to_igw=True)
    ec2.create_route(RouteTableId=dual_rt, DestinationIpv6CidrBlock="::/0", GatewayId=igw)
    # The public subnet's own ACL: SSH denied from anywhere first, then everything.
    acl = ec2.create_network_acl(VpcId=vpc_id, TagSpecifications=[
        {"ResourceType": "network-acl", "Tags": tags("edge-public")}])["NetworkAcl"]["NetworkAclId"]
    for egress in (False, True):
        if not egress:
            ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=50, Protocol="6", RuleAction="deny", Egress=False,
                                         CidrBlock="0.0.0.0/0", PortRange={"From": 22, "To": 22})
        ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=egress,
                                     CidrBlock="0.0.0.0/0")
    assoc = [a for a in ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [public]}])
             ["NetworkAcls"][0]["Associations"] if a["SubnetId"] == public][0]
    ec2.replace_network_acl_association(AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=acl)
    r.record("network_acls", "edge-public", acl)
    guarded = r.sg(vpc, "ssh-behind-acl", "SSH from anywhere, stopped by the subnet's ACL", ingress=[
        rule("tcp", 22, "0.0.0.0/0", description="ssh"), rule("tcp", 443, "0.0.0.0/0", description="https")])
    r.instance("acl-guarded", public, [guarded])
    # An internet-facing NLB without groups in front of a private instance.
    app = r.sg(vpc, "nlb-app", "Behind the NLB: the client's address arrives", ingress=[
        rule("tcp", 8443, "0.0.0.0/0", description="clients through the NLB"),
        rule("tcp", 9000, "0.0.0.0/0", description="nothing forwards here")])
    target = r.instance("nlb-target", private[0], [app])
    elbv2 = r.account.client("elbv2", r.name)
    nlb = elbv2.create_load_balancer(Name="edge-nlb", Subnets=[public], Scheme="internet-facing", Type="network",
                                     Tags=tags("edge-nlb"))["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elbv2.create_target_group(Name="edge-8443", Protocol="TCP", Port=8443, VpcId=vpc_id,
                                   TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": target, "Port": 8443}])
    elbv2.create_listener(LoadBalancerArn=nlb, Protocol="TCP", Port=8443,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    r.record("load_balancers", "edge-nlb", nlb)
    # A publicly accessible database whose subnets do not route to the internet.
    db = r.sg(vpc, "rds-open", "PostgreSQL from anywhere", ingress=[rule("tcp", 5432, "0.0.0.0/0")])
    r.database("reports-db", "postgres", 5432, private, [db], public=True)
    # IPv6: one instance with an IPv6 address, one without, same rule from ::/0.
    # AWS gives an IPv6 VPC's default ACL ::/0 entries; moto does not, so
    # the dual-stack subnet gets an ACL of its own that allows both families.
    dual_acl = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    for egress in (False, True):
        for number, family in ((100, {"CidrBlock": "0.0.0.0/0"}), (101, {"Ipv6CidrBlock": "::/0"})):
            ec2.create_network_acl_entry(NetworkAclId=dual_acl, RuleNumber=number, Protocol="-1", RuleAction="allow",
                                         Egress=egress, **family)
    assoc = [a for a in ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [dual]}])
             ["NetworkAcls"][0]["Associations"] if a["SubnetId"] == dual][0]
    ec2.replace_network_acl_association(AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=dual_acl)
    v6web = r.sg(vpc, "web-v6", "HTTPS from the IPv6 internet", ingress=[rule("tcp", 443, "::/0", description="v6")])
    with_v6 = r.instance("v6-web", dual, [v6web])
    eni = ec2.describe_instances(InstanceIds=[with_v6])["Reservations"][0]["Instances"][0][
        "NetworkInterfaces"][0]["NetworkInterfaceId"]
    ec2.assign_ipv6_addresses(NetworkInterfaceId=eni, Ipv6AddressCount=1)
    v4only = r.sg(vpc, "v4-only-web", "An IPv6 rule on an instance without IPv6", ingress=[
        rule("tcp", 443, "::/0", description="v6")])
    r.instance("v4-only", dual, [v4only])
    return public


def acl_entries(ec2, acl, entries):
    """entries: (number, action, protocol, ports or None, cidr, egress)."""
    for number, action, protocol, ports, cidr, egress in entries:
        extra = {"PortRange": {"From": ports[0], "To": ports[1]}} if ports else {}
        ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=number, Protocol=protocol, RuleAction=action,
                                     Egress=egress, CidrBlock=cidr, **extra)


def use_acl(ec2, acl, subnet):
    assoc = [a for a in ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
             ["NetworkAcls"][0]["Associations"] if a["SubnetId"] == subnet][0]
    ec2.replace_network_acl_association(AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=acl)


def precision_lab(r):
    """The guidance's textbook tiers, made by hand (no IaC tag anywhere): an
    ALB open on 80/443, a web tier taking all traffic from the ALB's group
    with SSH from one admin host and path-MTU ICMP from anywhere, a database
    and a self-referencing cache only from the web tier, a CDN-origin ALB open
    to two CDN ranges, SSH from one office /24, behind a network ACL whose
    admin-port denies precede the ephemeral allow. Beside them, one real
    finding: SSH from 0.0.0.0/1 + 128.0.0.0/1 on a public instance."""
    log("seeding precision-lab eu-west-1")
    ec2 = r.ec2
    vpc = r.vpc("precision", "10.60.0.0/16")
    public = [r.subnet(vpc, f"precision-public-{az}", f"10.60.{i}.0/24", az, public_ip_on_launch=True)
              for i, az in enumerate("ab")]
    private = [r.subnet(vpc, f"precision-private-{az}", f"10.60.{10 + i}.0/24", az) for i, az in enumerate("ab")]
    legacy = r.subnet(vpc, "precision-legacy", "10.60.30.0/24", "a", public_ip_on_launch=True)
    r.route_table(vpc, "precision-public", public + [legacy], to_igw=True)
    r.route_table(vpc, "precision-private", private, to_igw=False)
    acl = ec2.create_network_acl(VpcId=vpc["id"])["NetworkAcl"]["NetworkAclId"]
    admin = [("6", (22, 22)), ("6", (3389, 3389)), ("17", (3389, 3389)), ("6", (5985, 5986)), ("6", (23, 23)),
             ("6", (5900, 5900))]
    acl_entries(ec2, acl, [(5, "allow", "6", (22, 22), "198.51.100.0/24", False)]
                + [(10 + i, "deny", p, ports, "0.0.0.0/0", False) for i, (p, ports) in enumerate(admin)]
                + [(100, "allow", "6", (80, 80), "0.0.0.0/0", False), (110, "allow", "6", (443, 443), "0.0.0.0/0", False),
                   (120, "allow", "1", None, "0.0.0.0/0", False),
                   (900, "allow", "6", (1024, 65535), "0.0.0.0/0", False),
                   (100, "allow", "-1", None, "0.0.0.0/0", True)])
    for s in public:
        use_acl(ec2, acl, s)
    r.record("network_acls", "precision-public", acl)
    alb = r.sg(vpc, "web-alb", "Load balancer of the web application", ingress=[
        rule("tcp", 80, "0.0.0.0/0", description="HTTP"), rule("tcp", 443, "0.0.0.0/0", description="HTTPS")])
    web = r.sg(vpc, "web", "Web servers")
    r.authorize(web, [rule("-1", None, alb, description="everything from the ALB"),
                      rule("tcp", 22, "203.0.113.7/32", description="admin host"),
                      rule("icmp", (3, 4), "0.0.0.0/0", description="path MTU discovery")])
    db = r.sg(vpc, "orders-db", "Orders database", ingress=[rule("tcp", 5432, web, description="from the web tier")])
    cache = r.sg(vpc, "sessions-cache", "Session cache")
    r.authorize(cache, [rule("tcp", 6379, cache, description="cluster"),
                        rule("tcp", 6379, web, description="from the web tier")])
    origin = r.sg(vpc, "cdn-origin", "Origin behind the CDN", ingress=[
        rule("tcp", 443, "52.84.0.0/15", description="CDN range 1"),
        rule("tcp", 443, "54.230.0.0/16", description="CDN range 2")])
    office = r.sg(vpc, "office-ssh", "SSH from the office", ingress=[
        rule("tcp", 22, "198.51.100.0/24", description="office")])
    split = r.sg(vpc, "ssh-split", "SSH, opened in two halves", ingress=[
        rule("tcp", 22, "0.0.0.0/1", description="first half"), rule("tcp", 22, "128.0.0.0/1", description="second half")])
    webs = [r.instance(f"web-{az}", s, [web]) for az, s in zip("ab", private)]
    elbv2 = r.account.client("elbv2", r.name)
    tg = elbv2.create_target_group(Name="web-80", Protocol="HTTP", Port=80, VpcId=vpc["id"],
                                   TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": i, "Port": 80} for i in webs])
    r.load_balancer("web-alb", "internet-facing", public, [alb], [(80, "HTTP")], forward_to=tg)
    r.load_balancer("cdn-origin", "internet-facing", public, [origin], [(443, "HTTPS")])
    r.database("orders", "postgres", 5432, private, [db], public=False)
    r.instance("cache-1", private[0], [cache])
    r.instance("office-bastion", public[0], [office])
    r.instance("legacy-box", legacy, [split])


# -------------------------------------------------------------------- bulk

BULK_OUS = [("Workloads", None), ("Prod", "Workloads"), ("Dev", "Workloads"), ("Sandbox", None)]
BULK_ACCOUNT_OUS = ["Prod", "Dev", "Sandbox"]  # accounts are dealt round-robin into these
BULK_PORTS = [("tcp", 22), ("tcp", 80), ("tcp", 443), ("tcp", 3306), ("tcp", 5432), ("tcp", 6379),
              ("tcp", 8080), ("tcp", 8443), ("tcp", 9200), ("tcp", 3389), ("tcp", (1024, 65535)),
              ("udp", 53), ("icmp", (-1, -1)), ("-1", None)]


def bulk(seeder, accounts, groups, seed, jobs):
    """accounts member accounts, seeded by `jobs` threads (1: in order, so
    that moto hands out the same ids on every run)."""
    seeder.create_organization()
    ous = {}
    for name, parent in BULK_OUS:
        ous[name] = seeder.create_ou(name, ous.get(parent))
    seeder.management.client("sts", "us-east-1")  # made once, before the threads share it
    width = max(3, len(str(accounts)))
    names = [f"bulk-{n + 1:0{width}d}" for n in range(accounts)]
    started = time.monotonic()

    def seed_account(n):
        account = seeder.create_account(names[n], ous[BULK_ACCOUNT_OUS[n % len(BULK_ACCOUNT_OUS)]])
        rng = random.Random(f"{seed}:{n}")  # the same rules whatever the order of the accounts
        for region in seeder.regions:
            bulk_region(account.region(region), n, groups, rng)
        log(f"seeded {names[n]} ({n + 1}/{accounts}) at {time.monotonic() - started:.1f} s, "
            f"{seeder.calls} calls so far")

    if jobs <= 1:
        for n in range(accounts):
            seed_account(n)
    else:
        with ThreadPoolExecutor(jobs) as pool:
            list(pool.map(seed_account, range(accounts)))  # list(): re-raises a thread's error
    seeder.order_accounts(names)


def bulk_source(rng, n):
    """A generated rule source (never a group: those are added separately)."""
    kind = rng.random()
    if kind < 0.15:
        return "0.0.0.0/0"
    if kind < 0.25:
        return "::/0"
    if kind < 0.45:
        return "10.0.0.0/8"
    if kind < 0.8:
        return f"10.{n % 250}.{rng.randrange(256)}.0/24"
    return f"198.51.100.{rng.randrange(1, 255)}/32"


def bulk_region(r, n, group_count, rng):
    """A VPC with an igw, a public and a private subnet; group_count groups of
    2-4 rules each (one of them a reference to another group), an instance per
    5 groups, an ALB and an RDS instance."""
    vpc = r.vpc("bulk", f"10.{n % 250}.0.0/16")
    public = r.subnet(vpc, "bulk-public", f"10.{n % 250}.0.0/24", "a", public_ip_on_launch=True)
    private = r.subnet(vpc, "bulk-private", f"10.{n % 250}.1.0/24", "b")  # the main table: local only
    r.route_table(vpc, "bulk-public", [public], to_igw=True)
    group_ids = []
    for i in range(group_count):
        name = f"app-{i + 1:03d}"
        group_id = r.sg(vpc, name, f"generated group {i + 1}")
        group_ids.append(group_id)
        ports = rng.sample(BULK_PORTS, rng.randint(2, 4))
        # The first rule refers to an earlier group (the first group to itself).
        peer = group_ids[rng.randrange(i)] if i else group_id
        ingress = [rule(ports[0][0], ports[0][1], peer, description="from a peer group")]
        ingress += [rule(proto, port, bulk_source(rng, n)) for proto, port in ports[1:]]
        r.authorize(group_id, ingress)
    # Instance j gets the first three of the j-th five groups. The 4th and 5th of
    # each five are on no instance: the first five's go to the ALB and the
    # database, the others stay unused.
    for j in range(max(1, group_count // 5)):
        r.instance(f"bulk-{j + 1:02d}", public if j == 0 else private, group_ids[5 * j: 5 * j + 3])
    if group_ids:
        r.load_balancer("bulk-alb", "internet-facing", [public, private], [group_ids[min(3, len(group_ids) - 1)]],
                        [(80, "HTTP")])
        r.database("bulk-db", "postgres", 5432, [public, private], [group_ids[min(4, len(group_ids) - 1)]],
                   public=False)


# -------------------------------------------------------------------- main

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--endpoint", required=True, help="moto server URL, e.g. http://127.0.0.1:5000")
    p.add_argument("--scenario", choices=["textbook", "bulk"], default="textbook")
    p.add_argument("--accounts", type=int, default=50, help="bulk: member accounts (default 50)")
    p.add_argument("--groups", type=int, default=50, help="bulk: security groups per account-region (default 50)")
    p.add_argument("--regions", default=",".join(DEFAULT_REGIONS),
                   help="bulk: comma-separated regions (textbook always uses eu-west-1,us-east-1)")
    p.add_argument("--seed", type=int, default=42, help="moto's random seed and the generator's (default 42)")
    p.add_argument("--reset", action="store_true", help="reset moto's state first (POST /moto-api/reset)")
    p.add_argument("--hostile", action="store_true",
                   help="textbook: add a group whose descriptions are shell injections (legacy-dev)")
    p.add_argument("--jobs", type=int, default=1,
                   help="bulk: accounts seeded in parallel (default 1; above 1 is faster but ids are not repeatable)")
    args = p.parse_args()
    regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    if args.scenario == "textbook" and regions != DEFAULT_REGIONS:
        p.error("--scenario textbook is fixed to eu-west-1,us-east-1")
    if not regions or args.accounts < 0 or args.groups < 0:
        p.error("--regions needs a region; --accounts and --groups cannot be negative")

    started = time.monotonic()
    seeder = Seeder(args.endpoint, regions)
    if args.reset:
        seeder.moto_api("reset")
    seeder.moto_api(f"seed?a={args.seed}")
    if args.scenario == "textbook":
        textbook(seeder, with_hostile=args.hostile)
    else:
        bulk(seeder, args.accounts, args.groups, args.seed, args.jobs)
    result = seeder.output(started)
    log(f"{args.scenario}: {result['api_calls']} API calls in {result['seconds']} s")
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
