#!/usr/bin/env python3
"""Write samples/org-snapshot.json: the bundled sample organization.

The JSON file is the sample; this script is how it was made, kept so that the
sample can be changed by editing code rather than 3,000 lines of JSON. Run it
from the repository root: `python3 samples/make_sample_org.py`. It is
deterministic (ids are derived from names), so re-running without changes
rewrites the same bytes.

The organization (o-exa3mp1e00), two regions (eu-west-1, us-east-1):

  111111111111 org-management  Root                 default VPCs only
  222222222222 shop-prod       Root/Workloads/Prod  the guidance's textbook tiers:
               internet -> ALB group (80/443) -> web group (only from the ALB
               group) -> DB group (3306 only from the web group); no findings
  333333333333 legacy-dev      Root/Workloads/Dev   SSH and RDP open to the world,
               a public RDS open to the world, console-made and temporary groups,
               a default group in use, unmanaged instances, an unused group; the
               one VPC in use without flow logs (the others log to S3)
  444444444444 data-platform   Root/Workloads/Prod  internal patterns: an internal
               ALB open to anywhere, a web tier that bypasses its ALB, 10.0.0.0/8
               grants, a critical database with all-traffic and wide rules, a
               bastion, cross-account and prefix-list references, a stale one
  555555555555 sandbox-ml      Root/Sandbox         collection failed (AssumeRole denied)
  666666666666 media-cdn       Root/Workloads/Prod  partial: us-east-1 failed, Systems
               Manager unavailable in eu-west-1; CDN and wide public ranges
  777777777777 old-project     Root/Suspended       skipped (suspended)
"""

import hashlib
import json
import os
import sys

REGIONS = ["eu-west-1", "us-east-1"]
ADMIN_DENY = [  # (rule number, protocol, from, to): admin ports denied before broad allows
    (10, "6", 22, 22), (11, "6", 3389, 3389), (12, "17", 3389, 3389),
    (13, "6", 5985, 5986), (14, "6", 23, 23), (15, "6", 5900, 5900),
]


# The fields of a version-2 flow-log record, the format AWS uses by default.
DEFAULT_LOG_FORMAT = ("${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
                      "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}")


def hexid(prefix, *parts, n=17):
    h = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return f"{prefix}-0{h[: n - 1]}"


class Region:
    def __init__(self, account, name):
        self.account, self.name = account, name
        self.data = {
            "region": name, "status": {"state": "ok"},
            "Vpcs": [], "Subnets": [], "RouteTables": [], "InternetGateways": [],
            "NetworkAcls": [], "SecurityGroups": [], "PrefixLists": [],
            "NetworkInterfaces": [], "Instances": [], "LoadBalancers": [],
            "DBInstances": [], "DBClusters": [], "InstanceInformationList": [],
            "TargetGroups": [], "LoadBalancerDescriptions": [], "VpcPeeringConnections": [],
            "FlowLogs": [],
        }

    def id(self, prefix, name, n=17):
        return hexid(prefix, self.account, self.name, name, n=n)

    # ------------------------------------------------------------- network
    def vpc(self, name, cidr, default=False, igw=True, main_to_igw=False):
        vpc_id = self.id("vpc", name)
        self.data["Vpcs"].append({
            "VpcId": vpc_id, "OwnerId": self.account, "CidrBlock": cidr,
            "CidrBlockAssociationSet": [{"CidrBlock": cidr}],
            **({"IsDefault": True} if default else {}),
            "Tags": [] if default else [{"Key": "Name", "Value": name}],
        })
        igw_id = None
        if igw:
            igw_id = self.id("igw", name)
            self.data["InternetGateways"].append({
                "InternetGatewayId": igw_id,
                "Attachments": [{"VpcId": vpc_id, "State": "available"}],
            })
        routes = [{"DestinationCidrBlock": cidr, "GatewayId": "local", "State": "active"}]
        if main_to_igw:
            routes.append({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw_id, "State": "active"})
        self.data["RouteTables"].append({
            "RouteTableId": self.id("rtb", name + "/main"), "VpcId": vpc_id,
            "Associations": [{"Main": True}], "Routes": routes,
        })
        # Every VPC has a default network ACL that allows everything.
        self.data["NetworkAcls"].append({
            "NetworkAclId": self.id("acl", name + "/default"), "VpcId": vpc_id, "IsDefault": True,
            "Entries": [
                {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0"},
                {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": False, "CidrBlock": "0.0.0.0/0"},
                {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0"},
                {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": True, "CidrBlock": "0.0.0.0/0"},
            ],
            "Associations": [],
        })
        return {"id": vpc_id, "cidr": cidr, "igw": igw_id, "name": name}

    def subnet(self, vpc, name, cidr, az, route=None, public_ip=False):
        """route: None (the VPC's main table), "igw", "nat" or "local"."""
        subnet_id = self.id("subnet", name)
        self.data["Subnets"].append({
            "SubnetId": subnet_id, "VpcId": vpc["id"], "CidrBlock": cidr, "AvailabilityZone": self.name + az,
            **({"MapPublicIpOnLaunch": True} if public_ip else {}),
            "Tags": [{"Key": "Name", "Value": name}],
        })
        if route:
            routes = [{"DestinationCidrBlock": vpc["cidr"], "GatewayId": "local", "State": "active"}]
            if route == "igw":
                routes.append({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": vpc["igw"], "State": "active"})
            elif route == "nat":
                routes.append({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": self.id("nat", vpc["name"]), "State": "active"})
            self.data["RouteTables"].append({
                "RouteTableId": self.id("rtb", name), "VpcId": vpc["id"],
                "Associations": [{"SubnetId": subnet_id}], "Routes": routes,
                "Tags": [{"Key": "Name", "Value": name}],
            })
        return subnet_id

    def default_acl_covers(self, vpc, subnets):
        acl = next(a for a in self.data["NetworkAcls"] if a["VpcId"] == vpc["id"] and a.get("IsDefault"))
        acl["Associations"] += [{"SubnetId": s} for s in subnets]

    def hardened_acl(self, vpc, name, subnets, allow):
        """A custom ACL: admin ports denied from anywhere first, then `allow`
        (protocol, from, to, cidr) entries, then return traffic."""
        entries = []
        for number, proto, lo, hi in ADMIN_DENY:
            for family, cidr in ((0, "0.0.0.0/0"), (50, "::/0")):
                key = "Ipv6CidrBlock" if family else "CidrBlock"
                entries.append({"RuleNumber": number + family, "Protocol": proto, "RuleAction": "deny", "Egress": False,
                                key: cidr, "PortRange": {"From": lo, "To": hi}})
        for i, (proto, lo, hi, cidr) in enumerate(allow):
            e = {"RuleNumber": 100 + 10 * i, "Protocol": proto, "RuleAction": "allow", "Egress": False, "CidrBlock": cidr}
            if proto != "-1":
                e["PortRange"] = {"From": lo, "To": hi}
            entries.append(e)
        entries.append({"RuleNumber": 900, "Protocol": "6", "RuleAction": "allow", "Egress": False,
                        "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 1024, "To": 65535}})
        entries.append({"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": False, "CidrBlock": "0.0.0.0/0"})
        entries.append({"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0"})
        self.data["NetworkAcls"].append({
            "NetworkAclId": self.id("acl", name), "VpcId": vpc["id"], "Entries": entries,
            "Associations": [{"SubnetId": s} for s in subnets], "Tags": [{"Key": "Name", "Value": name}],
        })

    def flow_log(self, resource_id, name, log_format=DEFAULT_LOG_FORMAT):
        """An active flow log of all traffic on a VPC or subnet, to the
        organization's flow-log bucket, one prefix per account."""
        self.data["FlowLogs"].append({
            "FlowLogId": self.id("fl", name), "ResourceId": resource_id, "TrafficType": "ALL",
            "LogDestinationType": "s3", "LogDestination": f"arn:aws:s3:::exa3mp1e-flow-logs/{self.account}/",
            "LogFormat": log_format, "FlowLogStatus": "ACTIVE", "DeliverLogsStatus": "SUCCESS",
            "MaxAggregationInterval": 600, "DestinationOptions": {"FileFormat": "plain-text"},
        })

    def prefix_list(self, name, cidrs):
        pl_id = hexid("pl", self.account, self.name, name, n=17)
        self.data["PrefixLists"].append({
            "PrefixListId": pl_id, "PrefixListName": name, "AddressFamily": "IPv4", "OwnerId": self.account,
            "MaxEntries": 10, "Entries": [{"Cidr": c, "Description": d} for c, d in cidrs],
        })
        return pl_id

    # ---------------------------------------------------- security groups
    def sg(self, vpc, name, description, ingress=(), egress=(("-1", None, None, "0.0.0.0/0", None),), tags=None, sg_id=None):
        """ingress/egress: (protocol, from, to, source, description); source is a
        CIDR, a prefix list id, a group id, or (group id, account id)."""
        sg_id = sg_id or self.id("sg", name)
        self.data["SecurityGroups"].append({
            "GroupId": sg_id, "GroupName": name, "Description": description, "VpcId": vpc["id"],
            "OwnerId": self.account,
            "IpPermissions": [perm(r, self.account) for r in ingress],
            "IpPermissionsEgress": [perm(r, self.account) for r in egress],
            "Tags": tags if tags is not None else [],
        })
        return sg_id

    def default_sg(self, vpc, clean=False):
        sg_id = self.id("sg", vpc["name"] + "/default")
        self.sg(vpc, "default", "default VPC security group",
                ingress=() if clean else (("-1", None, None, sg_id, None),),
                egress=() if clean else (("-1", None, None, "0.0.0.0/0", None),), sg_id=sg_id)
        return sg_id

    # ------------------------------------------------------- attachments
    def instance(self, name, subnet, vpc, groups, public_ip=None, state="running", platform=None, tags=(), ssm=False):
        instance_id = self.id("i", name)
        eni_id = self.id("eni", name)
        eni = {
            "NetworkInterfaceId": eni_id, "SubnetId": subnet, "VpcId": vpc["id"], "InterfaceType": "interface",
            "Description": "", "Status": "in-use",
            "Groups": [{"GroupId": g, "GroupName": self.group_name(g)} for g in groups],
            "PrivateIpAddress": private_ip(self, name),
            "Attachment": {"InstanceId": instance_id, "InstanceOwnerId": self.account, "Status": "attached", "DeviceIndex": 0},
        }
        if public_ip:
            eni["Association"] = {"PublicIp": public_ip, "IpOwnerId": "amazon"}
        self.data["NetworkInterfaces"].append(eni)
        inst = {
            "InstanceId": instance_id, "State": {"Name": state}, "SubnetId": subnet, "VpcId": vpc["id"],
            "PrivateIpAddress": eni["PrivateIpAddress"],
            "SecurityGroups": [{"GroupId": g, "GroupName": self.group_name(g)} for g in groups],
            "NetworkInterfaces": [{"NetworkInterfaceId": eni_id}],
            "Tags": [{"Key": "Name", "Value": name}] + [{"Key": k, "Value": v} for k, v in tags],
        }
        if public_ip:
            inst["PublicIpAddress"] = public_ip
        if platform:
            inst["Platform"] = platform
            inst["PlatformDetails"] = "Windows"
        else:
            inst["PlatformDetails"] = "Linux/UNIX"
        self.data["Instances"].append(inst)
        if ssm:
            self.data["InstanceInformationList"].append({
                "InstanceId": instance_id, "PingStatus": "Online", "PlatformType": "Windows" if platform else "Linux"})
        return instance_id

    def load_balancer(self, name, scheme, vpc, subnets, groups, listeners, tags=(), targets=()):
        """targets: (protocol, port, [instance ids]) of its target groups."""
        suffix = hashlib.sha256(name.encode()).hexdigest()[:16]
        arn = f"arn:aws:elasticloadbalancing:{self.name}:{self.account}:loadbalancer/app/{name}/{suffix}"
        for protocol, port, instances in targets:
            tg = f"{name}-{port}"
            self.data["TargetGroups"].append({
                "TargetGroupArn": f"arn:aws:elasticloadbalancing:{self.name}:{self.account}:targetgroup/{tg}/{suffix}",
                "TargetGroupName": tg, "Protocol": protocol, "Port": port, "VpcId": vpc["id"], "TargetType": "instance",
                "LoadBalancerArns": [arn],
                "TargetHealthDescriptions": [{"Target": {"Id": i, "Port": port}, "TargetHealth": {"State": "healthy"}}
                                             for i in instances],
            })
        self.data["LoadBalancers"].append({
            "LoadBalancerArn": arn, "LoadBalancerName": name, "Scheme": scheme, "Type": "application",
            "VpcId": vpc["id"], "DNSName": f"{'internal-' if scheme == 'internal' else ''}{name}-1234567890.{self.name}.elb.amazonaws.com",
            "IpAddressType": "ipv4",
            "SecurityGroups": groups,
            "AvailabilityZones": [{"ZoneName": self.name + az, "SubnetId": s} for az, s in zip("abc", subnets)],
            "Listeners": [{"ListenerArn": arn.replace(":loadbalancer/", ":listener/") + f"/{port:016x}", "Port": port, "Protocol": proto}
                          for port, proto in listeners],
            "Tags": [{"Key": k, "Value": v} for k, v in tags],
        })
        # The load balancer's own network interfaces, as EC2 lists them.
        for i, s in enumerate(subnets):
            eni = {
                "NetworkInterfaceId": self.id("eni", f"{name}/{i}"), "SubnetId": s, "VpcId": vpc["id"],
                "InterfaceType": "interface", "Description": f"ELB app/{name}/{suffix}", "RequesterId": "amazon-elb",
                "RequesterManaged": True, "Status": "in-use",
                "Groups": [{"GroupId": g, "GroupName": self.group_name(g)} for g in groups],
                "PrivateIpAddress": private_ip(self, f"{name}/{i}"),
            }
            if scheme == "internet-facing":
                eni["Association"] = {"PublicIp": public_ip(self, f"{name}/{i}"), "IpOwnerId": "amazon"}
            self.data["NetworkInterfaces"].append(eni)

    def database(self, name, engine, port, subnet, vpc, groups, public=False, tags=(), subnets=None):
        """subnets: those of its DB subnet group (its own subnet by default)."""
        self.data["DBInstances"].append({
            "DBInstanceIdentifier": name,
            "DBInstanceArn": f"arn:aws:rds:{self.name}:{self.account}:db:{name}",
            "Engine": engine, "DBInstanceStatus": "available",
            "Endpoint": {"Address": f"{name}.c0ffee123456.{self.name}.rds.amazonaws.com", "Port": port},
            "PubliclyAccessible": public, "NetworkType": "IPV4",
            "VpcSecurityGroups": [{"VpcSecurityGroupId": g, "Status": "active"} for g in groups],
            "DBSubnetGroup": {"VpcId": vpc["id"], "Subnets": [{"SubnetIdentifier": s} for s in (subnets or [subnet])]},
            "TagList": [{"Key": k, "Value": v} for k, v in tags],
        })
        eni = {
            "NetworkInterfaceId": self.id("eni", "rds/" + name), "SubnetId": subnet, "VpcId": vpc["id"],
            "InterfaceType": "interface", "Description": "RDSNetworkInterface", "RequesterId": "amazon-rds",
            "RequesterManaged": True, "Status": "in-use",
            "Groups": [{"GroupId": g, "GroupName": self.group_name(g)} for g in groups],
            "PrivateIpAddress": private_ip(self, "rds/" + name),
        }
        if public:
            eni["Association"] = {"PublicIp": public_ip(self, "rds/" + name), "IpOwnerId": "amazon"}
        self.data["NetworkInterfaces"].append(eni)

    def group_name(self, group_id):
        for g in self.data["SecurityGroups"]:
            if g["GroupId"] == group_id:
                return g["GroupName"]
        raise KeyError(group_id)


def private_ip(region, name):
    h = hashlib.sha256((region.account + region.name + name).encode()).digest()
    return f"10.{h[0] % 100}.{h[1]}.{h[2] % 250 + 4}"


def public_ip(region, name):
    h = hashlib.sha256((region.account + region.name + name + "public").encode()).digest()
    return f"203.0.113.{h[0] % 250 + 4}"  # documentation range: never a real host


def perm(rule, account):
    proto, lo, hi, source, description = rule
    p = {"IpProtocol": proto}
    if lo is not None:
        p["FromPort"], p["ToPort"] = lo, hi
    d = {"Description": description} if description else {}
    if isinstance(source, tuple):
        p["UserIdGroupPairs"] = [{"GroupId": source[0], "UserId": source[1], **d}]
    elif source.startswith("sg-"):
        p["UserIdGroupPairs"] = [{"GroupId": source, "UserId": account, **d}]
    elif source.startswith("pl-"):
        p["PrefixListIds"] = [{"PrefixListId": source, **d}]
    elif ":" in source:
        p["Ipv6Ranges"] = [{"CidrIpv6": source, **d}]
    else:
        p["IpRanges"] = [{"CidrIp": source, **d}]
    return p


def cfn(stack):
    return [{"Key": "aws:cloudformation:stack-name", "Value": stack},
            {"Key": "aws:cloudformation:logical-id", "Value": "SecurityGroup"}]


def account(account_id, name, ou_path, status=None):
    return {"account_id": account_id, "name": name,
            "ou_path": [{"id": i, "name": n} for i, n in ou_path],
            "status": status or {"state": "ok"}, "regions": []}


ROOT = ("r-ex4m", "Root")
WORKLOADS = ("ou-ex4m-w0rk10ad", "Workloads")
PROD = ("ou-ex4m-pr0d0001", "Prod")
DEV = ("ou-ex4m-dev00001", "Dev")
SANDBOX = ("ou-ex4m-sandb0x1", "Sandbox")
SUSPENDED = ("ou-ex4m-suspend1", "Suspended")


def default_vpc_only(region, clean_sg=False):
    """A region with only its default VPC: public default subnets, the
    default ACL on them, and the default group (AWS's rules unless cleaned)."""
    vpc = region.vpc("default", "172.31.0.0/16", default=True, main_to_igw=True)
    subnets = [region.subnet(vpc, f"default-{az}", f"172.31.{16 * i}.0/20", az, public_ip=True) for i, az in enumerate("ab")]
    region.default_acl_covers(vpc, subnets)
    region.default_sg(vpc, clean=clean_sg)
    return vpc, subnets


def management():
    a = account("111111111111", "org-management", [ROOT])
    for r in REGIONS:
        region = Region(a["account_id"], r)
        default_vpc_only(region)
        a["regions"].append(region.data)
    return a


def shop_prod():
    """The guidance's pattern, done right."""
    a = account("222222222222", "shop-prod", [ROOT, WORKLOADS, PROD])
    r = Region(a["account_id"], "eu-west-1")
    vpc = r.vpc("shop", "10.10.0.0/16")
    public = [r.subnet(vpc, f"shop-public-{az}", f"10.10.{i}.0/24", az, route="igw") for i, az in enumerate("ab")]
    app = [r.subnet(vpc, f"shop-app-{az}", f"10.10.{10 + i}.0/24", az, route="nat") for i, az in enumerate("ab")]
    data = [r.subnet(vpc, f"shop-data-{az}", f"10.10.{20 + i}.0/24", az, route="local") for i, az in enumerate("ab")]
    r.hardened_acl(vpc, "shop-public", public, [("6", 80, 80, "0.0.0.0/0"), ("6", 443, 443, "0.0.0.0/0")])
    r.hardened_acl(vpc, "shop-private", app + data, [("-1", None, None, "10.10.0.0/16")])
    r.default_sg(vpc, clean=True)
    alb = r.id("sg", "shop-alb")
    web = r.id("sg", "shop-web")
    db = r.id("sg", "shop-db")
    r.sg(vpc, "shop-alb", "Internet-facing load balancer of the shop", sg_id=alb, tags=cfn("shop-network") + [{"Key": "criticality", "Value": "critical"}],
         ingress=[("tcp", 80, 80, "0.0.0.0/0", "HTTP from anywhere (redirects to HTTPS)"),
                  ("tcp", 80, 80, "::/0", "HTTP from anywhere (redirects to HTTPS)"),
                  ("tcp", 443, 443, "0.0.0.0/0", "HTTPS from anywhere"),
                  ("tcp", 443, 443, "::/0", "HTTPS from anywhere")],
         egress=[("tcp", 80, 80, web, "to the web tier"), ("tcp", 443, 443, web, "to the web tier")])
    r.sg(vpc, "shop-web", "Web servers, reachable only from the shop load balancer", sg_id=web, tags=cfn("shop-web"),
         ingress=[("tcp", 80, 80, alb, "HTTP from the shop ALB only"), ("tcp", 443, 443, alb, "HTTPS from the shop ALB only")],
         egress=[("tcp", 3306, 3306, db, "to the orders database"), ("tcp", 443, 443, "0.0.0.0/0", "package updates via NAT")])
    r.sg(vpc, "shop-db", "Orders database, reachable only from the web tier", sg_id=db, tags=cfn("shop-data"),
         ingress=[("tcp", 3306, 3306, web, "MySQL from the web tier only")], egress=[])
    web_instances = [r.id("i", f"shop-web-{az}") for az in "ab"]
    r.load_balancer("shop-web", "internet-facing", vpc, public, [alb], [(80, "HTTP"), (443, "HTTPS")], tags=[("criticality", "critical")],
                    targets=[("HTTP", 80, web_instances), ("HTTPS", 443, web_instances)])
    for az, s in zip("ab", app):
        r.instance(f"shop-web-{az}", s, vpc, [web], tags=[("criticality", "critical")], ssm=True)
    r.database("shop-orders", "mysql", 3306, data[0], vpc, [db], tags=[("criticality", "critical")], subnets=data)
    r.flow_log(vpc["id"], "shop")
    a["regions"].append(r.data)
    # The disaster-recovery region: its default VPC was deleted, as it should be.
    a["regions"].append(Region(a["account_id"], "us-east-1").data)
    return a


def legacy_dev():
    a = account("333333333333", "legacy-dev", [ROOT, WORKLOADS, DEV])
    r = Region(a["account_id"], "eu-west-1")
    vpc, subnets = default_vpc_only(r)
    default = r.id("sg", "default/default")
    wizard = r.sg(vpc, "launch-wizard-1", "launch-wizard-1 created 2023-03-14T09:12:44.123Z",
                  ingress=[("tcp", 22, 22, "0.0.0.0/0", None)])
    rdp = r.sg(vpc, "rdp-admin", "RDP for the build team",
               ingress=[("tcp", 3389, 3389, "0.0.0.0/0", "RDP"), ("tcp", 3389, 3389, "::/0", "RDP v6"),
                        ("udp", 22, 22, "0.0.0.0/0", "copied from the VPN group")])
    tmp = r.sg(vpc, "tmp-debug", "temporary debug access, remove after INC-4411",
               ingress=[("tcp", 0, 65535, "0.0.0.0/0", "debug")])
    rds_sg = r.sg(vpc, "rds-launch-wizard", "Created by RDS management console",
                  ingress=[("tcp", 3306, 3306, "0.0.0.0/0", None)])
    r.sg(vpc, "old-elb-sg", "for the old classic ELB", ingress=[("tcp", 443, 443, "0.0.0.0/0", "HTTPS")])
    r.instance("jump-host", subnets[0], vpc, [wizard, tmp], public_ip="203.0.113.21")
    r.instance("win-build", subnets[1], vpc, [rdp], public_ip="203.0.113.22", platform="windows")
    r.instance("old-cron", subnets[0], vpc, [default], ssm=True)
    r.instance("build-agent", subnets[1], vpc, [wizard], state="stopped")
    r.database("legacy-reporting", "mysql", 3306, subnets[0], vpc, [rds_sg], public=True)
    a["regions"].append(r.data)
    east = Region(a["account_id"], "us-east-1")
    default_vpc_only(east)
    a["regions"].append(east.data)
    return a


def data_platform():
    a = account("444444444444", "data-platform", [ROOT, WORKLOADS, PROD])
    r = Region(a["account_id"], "eu-west-1")
    vpc = r.vpc("data", "10.20.0.0/16")
    public = [r.subnet(vpc, "data-public-a", "10.20.0.0/24", "a", route="igw")]
    private = [r.subnet(vpc, f"data-private-{az}", f"10.20.{10 + i}.0/24", az, route="nat") for i, az in enumerate("ab")]
    r.hardened_acl(vpc, "data-public", public, [("6", 22, 22, "198.51.100.0/24")])
    r.hardened_acl(vpc, "data-private", private, [("-1", None, None, "10.0.0.0/8")])
    r.default_sg(vpc, clean=True)
    corp_vpn = r.prefix_list("corp-vpn", [("10.99.0.0/16", "VPN pool"), ("192.168.50.0/24", "HQ office")])
    tf = [{"Key": "managed-by", "Value": "terraform"}]
    bastion = r.sg(vpc, "bastion", "Hardened bastion: SSH from the office NAT only", tags=tf,
                   ingress=[("tcp", 22, 22, "198.51.100.10/32", "office NAT 1"), ("tcp", 22, 22, "198.51.100.11/32", "office NAT 2")])
    alb = r.sg(vpc, "internal-api-alb", "Internal API load balancer", tags=tf,
               ingress=[("tcp", 443, 443, "0.0.0.0/0", "HTTPS from anywhere")])
    api = r.id("sg", "data-api")
    r.sg(vpc, "data-api", "Data API servers", sg_id=api, tags=tf,
         ingress=[("tcp", 8080, 8080, alb, "from the internal ALB"),
                  ("tcp", 8080, 8080, "0.0.0.0/0", "temporary, for the load test")])
    admin = r.sg(vpc, "admin-from-bastion", "SSH from the bastion only", tags=tf,
                 ingress=[("tcp", 22, 22, bastion, "SSH from the bastion")])
    search = r.sg(vpc, "search", "OpenSearch nodes", tags=tf + [{"Key": "criticality", "Value": "critical"}],
                  ingress=[("tcp", 9200, 9200, "10.0.0.0/8", "search clients"), ("tcp", 9300, 9300, r.id("sg", "search"), "cluster transport")])
    db = r.sg(vpc, "analytics-db", "Analytics PostgreSQL", tags=tf,
              ingress=[("tcp", 5432, 5432, api, "from the API"),
                       ("-1", None, None, "10.20.0.0/16", "ETL cluster"),
                       ("tcp", 1024, 65535, "10.20.10.0/24", "batch jobs"),
                       ("tcp", 5439, 5439, api, "copied from the Redshift group")], egress=[])
    r.sg(vpc, "ops-dashboard", "Grafana for operations", tags=tf,
         ingress=[("tcp", 3000, 3000, corp_vpn, "from the corporate VPN")])
    r.sg(vpc, "partner-ingest", "Receives orders from the shop account", tags=tf,
         ingress=[("tcp", 443, 443, (hexid("sg", "222222222222", "eu-west-1", "shop-web"), "222222222222"), "from shop-prod's web tier"),
                  ("tcp", 5432, 5432, (hexid("sg", "444444444444", "eu-west-1", "etl-legacy"), "444444444444"), "old ETL group")])
    r.sg(vpc, "quick-fix", "added by hand during an incident",
         ingress=[("tcp", 8443, 8443, "10.20.0.0/16", "incident 2031")])
    r.instance("bastion", public[0], vpc, [bastion], public_ip="203.0.113.41", ssm=True)
    r.instance("api-a", private[0], vpc, [api, admin], ssm=True)
    r.instance("api-b", private[1], vpc, [api, admin], ssm=True)
    r.instance("search-1", private[0], vpc, [search, admin], ssm=True, tags=[("criticality", "critical")])
    r.instance("dashboard", private[1], vpc, [r.id("sg", "ops-dashboard")], ssm=True)
    r.load_balancer("data-api", "internal", vpc, private, [alb], [(443, "HTTPS")],
                    targets=[("HTTP", 8080, [r.id("i", "api-a"), r.id("i", "api-b")])])
    r.database("analytics", "postgres", 5432, private[0], vpc, [db], tags=[("criticality", "critical")], subnets=private)
    # A custom text format: the default fields, then where each record was taken.
    r.flow_log(vpc["id"], "data", log_format=DEFAULT_LOG_FORMAT + " ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags}")
    a["regions"].append(r.data)
    a["regions"].append(Region(a["account_id"], "us-east-1").data)
    # partner-ingest refers to shop-web and to a partner group; quick-fix and
    # ops-dashboard have no ENI of their own besides the dashboard instance.
    return a


def sandbox():
    reason = ("AssumeRole into arn:aws:iam::555555555555:role/OrganizationAccountAccessRole failed: AccessDenied: "
              "User: arn:aws:sts::111111111111:assumed-role/SecurityAudit/sgaudit is not authorized to perform: sts:AssumeRole")
    return account("555555555555", "sandbox-ml", [ROOT, SANDBOX], {"state": "failed", "reason": reason})


def media_cdn():
    a = account("666666666666", "media-cdn", [ROOT, WORKLOADS, PROD])
    r = Region(a["account_id"], "eu-west-1")
    r.data["gaps"] = [{"service": "ssm", "operation": "DescribeInstanceInformation",
                       "error": "ThrottlingException: Rate exceeded (gave up after 5 attempts)"}]
    vpc = r.vpc("media", "10.30.0.0/16")
    public = [r.subnet(vpc, f"media-public-{az}", f"10.30.{i}.0/24", az, route="igw") for i, az in enumerate("ab")]
    private = [r.subnet(vpc, f"media-private-{az}", f"10.30.{10 + i}.0/24", az, route="nat") for i, az in enumerate("ab")]
    r.hardened_acl(vpc, "media-public", public, [("6", 443, 443, "0.0.0.0/0"), ("6", 8443, 8443, "0.0.0.0/0"), ("6", 22, 22, "3.0.0.0/9")])
    r.hardened_acl(vpc, "media-private", private, [("-1", None, None, "10.30.0.0/16")])
    r.default_sg(vpc, clean=True)
    tf = [{"Key": "managed-by", "Value": "terraform"}]
    origin = r.sg(vpc, "origin-alb", "Origin load balancer behind the CDN", tags=tf + [{"Key": "criticality", "Value": "critical"}],
                  ingress=[("tcp", 443, 443, "52.84.0.0/15", "CDN edge range"),
                           ("tcp", 8443, 8443, "0.0.0.0/0", "player API")])
    tx = r.id("sg", "transcoder")
    r.sg(vpc, "transcoder", "Transcoding workers", sg_id=tx, tags=tf,
         ingress=[("tcp", 443, 443, origin, "from the origin ALB"), ("-1", None, None, tx, "workers talk to each other")])
    feed = r.sg(vpc, "partner-feed", "Partner content upload", tags=tf,
                ingress=[("tcp", 21, 21, "203.0.113.0/24", "partner FTP control"),
                         ("tcp", 22, 22, "3.0.0.0/9", "partner SFTP from their cloud range")])
    r.load_balancer("media-origin", "internet-facing", vpc, public, [origin], [(443, "HTTPS"), (8443, "HTTPS")], tags=[("criticality", "critical")],
                    targets=[("HTTPS", 443, [r.id("i", "transcoder-a"), r.id("i", "transcoder-b")])])
    r.instance("transcoder-a", private[0], vpc, [tx])
    r.instance("transcoder-b", private[1], vpc, [tx])
    r.instance("ingest", public[0], vpc, [feed], public_ip="203.0.113.61")
    # Logged subnet by subnet, every one of them: the VPC is covered.
    for s in public + private:
        r.flow_log(s, s)
    a["regions"].append(r.data)
    east = Region(a["account_id"], "us-east-1")
    east.data["status"] = {"state": "failed", "reason": "RequestLimitExceeded: Request limit exceeded. (DescribeSecurityGroups, gave up after 5 attempts)"}
    a["regions"].append(east.data)
    return a


def suspended():
    return account("777777777777", "old-project", [ROOT, SUSPENDED],
                   {"state": "skipped", "reason": "the account is SUSPENDED in AWS Organizations"})


def main():
    snapshot = {
        "schema_version": 2,
        "tool": {"name": "sgaudit", "version": "0.1.0"},
        "started_at": "2026-11-02T06:00:00Z",
        "finished_at": "2026-11-02T06:03:41Z",
        "caller_identity": {"Account": "111111111111", "Arn": "arn:aws:sts::111111111111:assumed-role/SecurityAudit/sgaudit",
                            "UserId": "AROAEXAMPLEEXAMPLE:sgaudit"},
        "config_digest": "sha256:" + hashlib.sha256(open(os.path.join(os.path.dirname(__file__), "..", "config", "sgaudit.example.toml"), "rb").read()).hexdigest(),
        "organization": {"Id": "o-exa3mp1e00", "MasterAccountId": "111111111111"},
        "accounts": [management(), shop_prod(), legacy_dev(), data_platform(), sandbox(), media_cdn(), suspended()],
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "org-snapshot.json")
    with open(out + ".tmp", "w") as f:
        json.dump(snapshot, f, indent=2)
        f.write("\n")
    os.replace(out + ".tmp", out)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
