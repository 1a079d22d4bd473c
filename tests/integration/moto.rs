//! `sgaudit run` against a real AWS emulator: moto's server mode, seeded
//! with an organization (tests/moto/seed_org.py), reached through a small
//! recording and fault-injecting proxy (tests/moto/proxy.py).
//!
//! Needs moto in `.venv` (scripts/test installs it) or `SGAUDIT_PYTHON`
//! pointing at a Python that has it. Without it the tests are skipped, except
//! under CI=true, where they fail.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::*;

fn python() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = std::env::var_os("SGAUDIT_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([root().join(".venv/bin/python")])
        .collect();
    candidates.into_iter().find(|p| {
        p.is_file()
            && Command::new(p)
                .args(["-c", "import moto, boto3, flask"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
    })
}

pub(crate) fn require_python() -> Option<PathBuf> {
    match python() {
        Some(p) => Some(p),
        None if std::env::var("CI").as_deref() == Ok("true") => panic!(
            "moto is required under CI=true: run scripts/test (it installs moto into .venv) or set SGAUDIT_PYTHON"
        ),
        None => {
            eprintln!("moto tests skipped: no .venv with moto (scripts/test creates it)");
            None
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub(crate) fn moto(python: &Path) -> Server {
    let port = free_port();
    let child = Command::new(python)
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        // Two AMIs instead of moto's ~1,300 in every account-region: faster, smaller.
        .env("MOTO_AMIS_PATH", root().join("tests/moto/amis.json"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto");
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    wait_for(port, "moto");
    server
}

pub(crate) fn seed(python: &Path, moto: &Server, args: &[&str]) -> Value {
    let out = Command::new(python)
        .arg(root().join("tests/moto/seed_org.py"))
        .args(["--endpoint", &moto.url])
        .args(args)
        .output()
        .expect("run seed_org.py");
    assert!(
        out.status.success(),
        "seeding failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("seed_org.py prints JSON")
}

/// The proxy in front of moto; `args` as proxy.py takes them.
pub(crate) fn proxy(python: &Path, moto: &Server, args: &[&str]) -> Server {
    let mut child = Command::new(python)
        .arg(root().join("tests/moto/proxy.py"))
        .args(["--upstream", &moto.url])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start proxy.py");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("proxy said {line:?}"));
    Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// Fast retries, so that faults cost milliseconds rather than seconds.
pub(crate) const TEST_CONFIG: &str = "[collect]\nregions = [\"eu-west-1\", \"us-east-1\"]\nmax_concurrency = 8\nmax_attempts = 6\ninitial_backoff_ms = 20\ncall_timeout_secs = 20\n";

pub(crate) fn sgaudit_at(endpoint: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sgaudit"))
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .expect("run sgaudit")
}

/// `sgaudit run` through `endpoint` into a fresh directory.
fn run(endpoint: &str, tmp: &Path, name: &str) -> (PathBuf, Output) {
    run_with(endpoint, tmp, name, &[])
}

/// [`run`], with more arguments (`--baseline DIR`).
fn run_with(endpoint: &str, tmp: &Path, name: &str, extra: &[&str]) -> (PathBuf, Output) {
    let config = tmp.join("collect.toml");
    std::fs::write(&config, TEST_CONFIG).unwrap();
    let out_dir = tmp.join(name);
    let mut args = vec![
        "run",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = sgaudit_at(endpoint, &args);
    (out_dir, out)
}

fn account<'a>(snapshot: &'a Value, id: &str) -> &'a Value {
    snapshot["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account_id"] == id)
        .unwrap_or_else(|| panic!("no account {id}"))
}

fn region<'a>(account: &'a Value, name: &str) -> &'a Value {
    account["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == name)
        .unwrap()
}

fn group<'a>(region: &'a Value, name: &str) -> &'a Value {
    region["SecurityGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["GroupName"] == name)
        .unwrap_or_else(|| panic!("no group {name}"))
}

fn findings(dir: &Path) -> Vec<Value> {
    json(dir, "findings.json")["findings"].as_array().unwrap().clone()
}

fn has_finding(findings: &[Value], check: &str, group_name: &str) -> bool {
    findings
        .iter()
        .any(|f| f["check_id"] == check && f["security_group_name"] == group_name)
}

/// The request log the proxy wrote: one JSON object per line.
pub(crate) fn recorded(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Every `service:Action` that config/iam-policy.json grants.
fn policy_actions() -> Vec<String> {
    let policy: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("config/iam-policy.json")).unwrap()).unwrap();
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["Action"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn run_against_a_seeded_organization_finds_what_was_seeded_and_only_reads() {
    let Some(py) = require_python() else { return };
    let moto = moto(&py);
    let seeded = seed(&py, &moto, &["--scenario", "textbook"]);
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("requests.jsonl");
    let proxy = proxy(&py, &moto, &["--record", log.to_str().unwrap()]);
    let (dir, out) = run(&proxy.url, tmp.path(), "run");
    // moto does not implement Systems Manager's DescribeInstanceInformation:
    // every region records that gap, so the run is partial.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    let ids = &seeded["accounts"];
    let snapshot = json(&dir, "snapshot.json");
    // Accounts, names and OU paths from Organizations.
    let shop = account(&snapshot, ids["shop-prod"].as_str().unwrap());
    assert_eq!(shop["name"], "shop-prod");
    let path: Vec<&str> = shop["ou_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["Root", "Workloads", "Prod"]);
    assert_eq!(shop["status"]["state"], "ok");
    // The management account is collected with the caller's credentials.
    let management = account(&snapshot, "123456789012");
    assert_eq!(management["status"]["state"], "ok", "{management}");
    // Regions, and the Systems Manager gap recorded as data.
    let eu = region(shop, "eu-west-1");
    assert_eq!(eu["status"]["state"], "ok");
    assert_eq!(eu["gaps"][0]["service"], "ssm");
    // The textbook tiers, with their references.
    let alb = group(eu, "shop-alb");
    let web = group(eu, "shop-web");
    let db = group(eu, "shop-db");
    assert_eq!(
        web["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"],
        alb["GroupId"]
    );
    assert_eq!(db["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"], web["GroupId"]);
    let lb = &eu["LoadBalancers"][0];
    assert_eq!(lb["Scheme"], "internet-facing");
    let ports: Vec<u64> = lb["Listeners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["Port"].as_u64().unwrap())
        .collect();
    assert_eq!(ports, [80, 443]);
    assert_eq!(eu["DBInstances"][0]["DBInstanceIdentifier"], "shop-orders");

    // The data platform: a prefix list resolved, a cross-account reference kept.
    let data = account(&snapshot, ids["data-platform"].as_str().unwrap());
    let data_eu = region(data, "eu-west-1");
    let lists = data_eu["PrefixLists"].as_array().unwrap();
    let corp = lists
        .iter()
        .find(|p| p["PrefixListName"] == "corp-vpn")
        .expect("corp-vpn collected");
    assert_eq!(corp["Entries"].as_array().map(Vec::len), Some(2), "{corp}");
    let partner = group(data_eu, "partner-ingest");
    assert_eq!(
        partner["IpPermissions"][0]["UserIdGroupPairs"][0]["UserId"],
        ids["shop-prod"]
    );

    // The findings the seeded patterns call for.
    let f = findings(&dir);
    assert!(has_finding(&f, "SGA101", "launch-wizard-1"), "SSH open to the world");
    assert!(has_finding(&f, "SGA101", "rdp-admin"), "RDP open to the world");
    assert!(
        has_finding(&f, "SGA203", "rds-launch-wizard"),
        "a public database open to the world"
    );
    assert!(
        has_finding(&f, "SGA201", "internal-api-alb"),
        "an internal ALB open to anywhere"
    );
    assert!(
        has_finding(&f, "SGA205", "data-api"),
        "a web tier around its ALB; target groups: {:#}",
        data_eu["TargetGroups"]
    );
    assert!(has_finding(&f, "SGA204", "search"), "10.0.0.0/8 on a tier");
    assert!(has_finding(&f, "SGA901", "quick-fix"), "an unused group");
    assert!(has_finding(&f, "SGA902", "default"), "a default group with rules");
    let shop_id = ids["shop-prod"].as_str().unwrap();
    let tiers = ["shop-alb", "shop-web", "shop-db"];
    let shop_q: Vec<&Value> = f
        .iter()
        .filter(|x| x["account_id"] == shop_id && ["Q1", "Q2"].contains(&x["question"].as_str().unwrap()))
        .filter(|x| tiers.iter().any(|t| x["security_group_name"] == *t))
        .collect();
    assert!(
        shop_q.is_empty(),
        "the textbook tiers raise nothing on Q1/Q2: {shop_q:#?}"
    );
    // (moto's default network ACL allows everything, so SGA102 does fire on the VPC's subnets.)
    assert!(f
        .iter()
        .any(|x| x["account_id"] == shop_id && x["check_id"] == "SGA102"));

    // Reachability, proven from what moto returned.
    let edge = ids["edge-lab"].as_str().unwrap();
    let verdict = |check: &str, group: &str, summary: &str| -> Value {
        f.iter()
            .find(|x| {
                x["account_id"] == edge
                    && x["check_id"] == check
                    && x["security_group_name"] == group
                    && x["summary"].as_str().unwrap().contains(summary)
            })
            .unwrap_or_else(|| panic!("no {check} on {group} ({summary}): {f:#?}"))["reachability"]
            .clone()
    };
    // A public instance with SSH from anywhere, the subnet's ACL denying 22 at #50.
    let ssh = verdict("SGA101", "ssh-behind-acl", "tcp 22");
    assert_eq!(ssh["verdict"], "blocked", "{ssh}");
    let acl = seeded["network_acls"]["edge-lab"]["eu-west-1"]["edge-public"]
        .as_str()
        .unwrap();
    assert_eq!(ssh["blocked_by"], format!("{acl} #50 deny tcp 22 from 0.0.0.0/0"));
    // An internet-facing NLB without groups in front of a private instance:
    // the group is reachable through it, on the listener's port (the unit
    // tests of analyze::reach show that 9000, which nothing forwards, is not).
    let through = verdict("SGA401", "nlb-app", "no infrastructure-as-code tag");
    assert_eq!(through["via"], "load-balancer", "{through}");
    let hops = through["path"].to_string();
    assert!(
        hops.contains("network load balancer edge-nlb (TCP 8443)")
            && hops.contains("target group edge-8443 (tcp 8443)"),
        "{through}"
    );
    assert!(hops.contains("tcp 8443 from 0.0.0.0/0"), "{through}");
    // A publicly accessible database in private subnets: blocked, so high, not critical.
    let db = f
        .iter()
        .find(|x| x["account_id"] == edge && x["check_id"] == "SGA203")
        .expect("SGA203 on reports-db");
    assert_eq!(db["severity"], "high", "{db}");
    assert_eq!(db["reachability"]["verdict"], "blocked");
    assert!(
        db["reachability"]["blocked_by"]
            .as_str()
            .unwrap()
            .starts_with("no route to an internet gateway"),
        "{db}"
    );
    // IPv6: reachable on the instance with an address, blocked on the one without.
    let groups_exposure = |name: &str| -> String {
        f.iter()
            .filter(|x| x["account_id"] == edge && x["security_group_name"] == name)
            .map(|x| {
                format!(
                    "{} {}",
                    x["check_id"].as_str().unwrap_or(""),
                    x["reachability"]["verdict"].as_str().unwrap_or("-")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    assert!(
        groups_exposure("v4-only-web").contains("SGA201 blocked"),
        "{}",
        groups_exposure("v4-only-web")
    );
    assert!(
        !groups_exposure("web-v6").contains("SGA201"),
        "{:#?}",
        f.iter()
            .filter(|x| x["security_group_name"] == "web-v6")
            .collect::<Vec<_>>()
    );

    // Flow logs: the shop's VPC logs to its S3 bucket; a region without
    // any says so with an empty list (collected, none), not by leaving it out.
    let shop_vpc = seeded["vpcs"]["shop-prod"]["eu-west-1"]["shop"].as_str().unwrap();
    let flow_logs = eu["FlowLogs"].as_array().expect("FlowLogs collected");
    assert_eq!(flow_logs.len(), 1, "{flow_logs:#?}");
    let fl = &flow_logs[0];
    assert_eq!(fl["FlowLogId"], seeded["flow_logs"]["shop-prod"]["eu-west-1"]["shop"]);
    assert_eq!(fl["ResourceId"], shop_vpc);
    assert_eq!(
        (&fl["TrafficType"], &fl["LogDestinationType"], &fl["FlowLogStatus"]),
        (&"ALL".into(), &"s3".into(), &"ACTIVE".into())
    );
    assert_eq!(
        fl["LogDestination"],
        format!("arn:aws:s3:::sgaudit-flow-logs-{shop_id}")
    );
    assert!(
        fl["LogFormat"]
            .as_str()
            .unwrap()
            .starts_with("${version} ${account-id}"),
        "{fl}"
    );
    assert_eq!(region(shop, "us-east-1")["FlowLogs"], serde_json::json!([]));
    // SGA910: the VPCs whose flow log fails to deliver, or covers one subnet
    // of several; not those that log, nor moto's default VPCs (no interface).
    let sga910: Vec<&Value> = f.iter().filter(|x| x["check_id"] == "SGA910").collect();
    let about = |account: &str, vpc: &str| -> Option<&Value> {
        let vpc = seeded["vpcs"][account]["eu-west-1"][vpc].as_str().unwrap();
        sga910
            .iter()
            .copied()
            .find(|x| x["resource_ids"].as_array().unwrap().iter().any(|r| r == vpc))
    };
    let legacy_vpc = about("legacy-dev", "legacy").unwrap_or_else(|| panic!("{sga910:#?}"));
    let summary = legacy_vpc["summary"].as_str().unwrap();
    assert!(
        summary.contains("no active flow log; fl-") && summary.ends_with("fails to deliver (Access error)"),
        "{legacy_vpc}"
    );
    let edge_vpc = about("edge-lab", "edge").unwrap_or_else(|| panic!("{sga910:#?}"));
    assert!(
        edge_vpc["summary"]
            .as_str()
            .unwrap()
            .contains("has no flow log of its own: flow logs on subnet-"),
        "{edge_vpc}"
    );
    for (account, vpc) in [
        ("shop-prod", "shop"),
        ("data-platform", "data"),
        ("precision-lab", "precision"),
    ] {
        assert!(about(account, vpc).is_none(), "{account} logs its VPC: {sga910:#?}");
    }
    assert_eq!(sga910.len(), 2, "{sga910:#?}");

    // Read-only: every request was a List/Describe/Get, AssumeRole or
    // GetCallerIdentity, and each is in the shipped IAM policy.
    let requests = recorded(&log);
    assert!(requests.len() > 50, "only {} requests recorded", requests.len());
    assert!(
        requests
            .iter()
            .any(|r| r["service"] == "ec2" && r["action"] == "DescribeFlowLogs"),
        "flow logs were read"
    );
    // Read-only: every request was a List/Describe/Get, AssumeRole or
    // GetCallerIdentity, and each is in the shipped IAM policy.
    let requests = recorded(&log);
    assert!(requests.len() > 50, "only {} requests recorded", requests.len());
    let allowed = policy_actions();
    for r in &requests {
        let action = r["action"].as_str().unwrap_or_default();
        let service = r["service"].as_str().unwrap_or_default();
        assert!(
            ["List", "Describe", "Get"].iter().any(|p| action.starts_with(p)) || action == "AssumeRole",
            "a non-read call: {r}"
        );
        // The SigV4 service names are the IAM prefixes (ec2, elasticloadbalancing, rds, …).
        let qualified = format!("{service}:{action}");
        assert!(
            action == "GetCallerIdentity" || allowed.contains(&qualified),
            "{qualified} is not in config/iam-policy.json"
        );
    }
}

/// A snapshot with the collection times blanked, for comparing two runs.
fn timeless(mut snapshot: Value) -> Value {
    snapshot["started_at"] = Value::Null;
    snapshot["finished_at"] = Value::Null;
    for a in snapshot["accounts"].as_array_mut().into_iter().flatten() {
        a["read_at"] = Value::Null;
    }
    snapshot
}

#[test]
fn throttling_errors_and_latency_do_not_change_the_snapshot() {
    let Some(py) = require_python() else { return };
    let moto = moto(&py);
    seed(&py, &moto, &["--scenario", "textbook"]);
    let tmp = tempfile::tempdir().unwrap();
    let clean = proxy(&py, &moto, &[]);
    let (clean_dir, out) = run(&clean.url, tmp.path(), "clean");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let log = tmp.path().join("faults.jsonl");
    let faulty = proxy(
        &py,
        &moto,
        &[
            "--fault-rate",
            "0.3",
            "--latency-ms",
            "15",
            "--seed",
            "7",
            "--record",
            log.to_str().unwrap(),
        ],
    );
    let (faulty_dir, out) = run(&faulty.url, tmp.path(), "faulty");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    let injected: Vec<String> = recorded(&log)
        .iter()
        .filter_map(|r| r["injected"].as_str().map(str::to_string))
        .collect();
    assert!(injected.iter().any(|i| i == "throttle"), "no throttling was injected");
    assert!(injected.iter().any(|i| i == "error"), "no server error was injected");
    assert_eq!(
        timeless(json(&clean_dir, "snapshot.json")),
        timeless(json(&faulty_dir, "snapshot.json")),
        "retries must recover every fault: the snapshots differ"
    );
}

#[test]
fn an_account_whose_role_cannot_be_assumed_is_recorded_and_the_run_goes_on() {
    let Some(py) = require_python() else { return };
    let moto = moto(&py);
    let seeded = seed(&py, &moto, &["--scenario", "textbook"]);
    let legacy = seeded["accounts"]["legacy-dev"].as_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let deny = proxy(&py, &moto, &["--deny-assume-role", legacy]);
    let (dir, out) = run(&deny.url, tmp.path(), "run");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let snapshot = json(&dir, "snapshot.json");
    let denied = account(&snapshot, legacy);
    assert_eq!(denied["status"]["state"], "failed");
    let reason = denied["status"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!(
            "cannot assume arn:aws:iam::{legacy}:role/OrganizationAccountAccessRole"
        )),
        "{reason}"
    );
    assert!(!reason.contains("testing"), "no credential in the reason: {reason}");
    // The others were collected.
    let shop = account(&snapshot, seeded["accounts"]["shop-prod"].as_str().unwrap());
    assert_eq!(shop["status"]["state"], "ok");
    // The reports say what was not assessed, and why.
    let scores = json(&dir, "scores.json");
    let acc = scores["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account_id"] == legacy)
        .unwrap();
    assert_eq!(acc["collection"]["state"], "failed");
    assert!(read(&dir, "index.html").contains("cannot assume"));
    assert!(
        stderr(&out).contains(&format!("not assessed: {legacy}")),
        "{}",
        stderr(&out)
    );
}

/// A region whose route tables could not be read: its findings are
/// unverified (and treated as exposed), never internal, and the account's
/// questions do not read "pass".
#[test]
fn route_tables_denied_in_one_account_region_make_its_verdicts_unknown() {
    let Some(py) = require_python() else { return };
    let moto = moto(&py);
    let seeded = seed(&py, &moto, &["--scenario", "textbook"]);
    let edge = seeded["accounts"]["edge-lab"].as_str().unwrap().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let deny = format!("DescribeRouteTables:eu-west-1:{edge}");
    let proxy = proxy(&py, &moto, &["--deny", &deny]);
    let (dir, out) = run(&proxy.url, tmp.path(), "run");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let snapshot = json(&dir, "snapshot.json");
    let eu = region(account(&snapshot, &edge), "eu-west-1");
    assert!(
        eu["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["operation"] == "DescribeRouteTables"),
        "{}",
        eu["gaps"]
    );
    let f = findings(&dir);
    // HTTPS from anywhere on a public instance whose subnet's ACL admits it:
    // only the route could tell, and it was not read.
    let https = f
        .iter()
        .find(|x| {
            x["account_id"] == edge.as_str()
                && x["security_group_name"] == "ssh-behind-acl"
                && x["summary"].as_str().unwrap().contains("tcp 443")
        })
        .expect("the world-open 443 rule is a finding: internal cannot be proven");
    assert_eq!(https["exposure"], "unknown", "{https}");
    assert_eq!(https["reachability"]["verdict"], "unknown");
    assert!(
        https["reachability"]["missing"][0]
            .as_str()
            .unwrap()
            .starts_with("route tables not collected"),
        "{https}"
    );
    // Known facts still decide: the ACL's deny of SSH stops it whatever the routes.
    let ssh = f
        .iter()
        .find(|x| x["account_id"] == edge.as_str() && x["check_id"] == "SGA101")
        .unwrap();
    assert_eq!(ssh["reachability"]["verdict"], "blocked", "{ssh}");
    let scores = json(&dir, "scores.json");
    let account = scores["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account_id"] == edge.as_str())
        .unwrap();
    for q in account["questions"].as_array().unwrap().iter().take(2) {
        assert_ne!(q["status"], "pass", "{q}");
    }
    assert_ne!(account["status"], "pass");
    // Another account's region, whose route tables were read, is not affected.
    let shop = seeded["accounts"]["shop-prod"].as_str().unwrap();
    assert!(f
        .iter()
        .filter(|x| x["account_id"] == shop)
        .all(|x| x["exposure"] != "unknown"));
}

/// Issue 15's "done when": the textbook tiers built by hand (no IaC tag),
/// path-MTU ICMP from anywhere, a web group taking all traffic from its ALB
/// with SSH from one host, admin denies before the ephemeral allow: no
/// finding of medium or worse on any of those groups; and the real finding
/// beside them (SSH from 0.0.0.0/1 + 128.0.0.0/1 on a public instance) is
/// critical.
#[test]
fn precision_lab_raises_nothing_medium_on_clean_groups() {
    let Some(py) = require_python() else { return };
    let moto = moto(&py);
    let seeded = seed(&py, &moto, &["--scenario", "textbook"]);
    let lab = seeded["accounts"]["precision-lab"].as_str().unwrap().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let proxy = proxy(&py, &moto, &[]);
    let (dir, out) = run(&proxy.url, tmp.path(), "run");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let f: Vec<Value> = findings(&dir)
        .into_iter()
        .filter(|x| x["account_id"] == lab.as_str())
        .collect();
    let serious = |x: &Value| ["critical", "high", "medium"].contains(&x["severity"].as_str().unwrap());
    let clean = [
        "web-alb",
        "web",
        "orders-db",
        "sessions-cache",
        "cdn-origin",
        "office-ssh",
    ];
    let alarms: Vec<String> = f
        .iter()
        .filter(|x| serious(x) && clean.iter().any(|g| x["security_group_name"] == *g))
        .map(|x| {
            format!(
                "{} {} {}: {}",
                x["severity"], x["check_id"], x["security_group_name"], x["summary"]
            )
        })
        .collect();
    assert!(alarms.is_empty(), "false alarms on clean groups: {alarms:#?}");
    // The hardened ACL raises nothing; the instances of the clean tiers have
    // no serious finding either (SSH from one office /24 is low).
    let acl = seeded["network_acls"]["precision-lab"]["eu-west-1"]["precision-public"]
        .as_str()
        .unwrap();
    assert!(
        !f.iter().any(|x| x["resource_ids"].to_string().contains(acl)),
        "the ACL with admin denies before the ephemeral allow: {:#?}",
        f.iter().filter(|x| x["check_id"] == "SGA102").collect::<Vec<_>>()
    );
    let bastion = seeded["instances"]["precision-lab"]["eu-west-1"]["office-bastion"]
        .as_str()
        .unwrap();
    assert!(
        f.iter()
            .filter(|x| x["resource_ids"].to_string().contains(bastion) && x["check_id"] == "SGA302")
            .all(|x| !serious(x)),
        "{f:#?}"
    );
    // Every Q4 finding is a signal, not a risk: info or low.
    assert!(
        f.iter()
            .filter(|x| x["check_id"] == "SGA401")
            .all(|x| ["info", "low"].contains(&x["severity"].as_str().unwrap())),
        "{f:#?}"
    );
    // The real one is found, and critical.
    let split: Vec<&Value> = f
        .iter()
        .filter(|x| x["check_id"] == "SGA101" && x["security_group_name"] == "ssh-split")
        .collect();
    assert_eq!(split.len(), 2, "{f:#?}");
    assert!(split.iter().all(|x| x["severity"] == "critical"
        && x["reachability"]["verdict"] == "reachable"
        && x["summary"]
            .as_str()
            .unwrap()
            .contains("together cover every IPv4 internet address")));
}

/// Upload every file under `dir` to `bucket` (created) in moto, keyed by its path under `dir`.
fn upload(python: &Path, moto: &Server, dir: &Path, bucket: &str) {
    let script = r#"
import boto3, os, sys
endpoint, root, bucket = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
s3.create_bucket(Bucket=bucket)
for base, _, files in os.walk(root):
    for f in files:
        path = os.path.join(base, f)
        s3.upload_file(path, bucket, os.path.relpath(path, root).replace(os.sep, "/"))
"#;
    let out = Command::new(python)
        .args(["-c", script, &moto.url, dir.to_str().unwrap(), bucket])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "upload failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn run_with_flow_logs_in_s3_names_the_unused_rules_and_the_tighter_replacements() {
    let Some(py) = require_python() else { return };
    let moto = moto(&py);
    let seeded = seed(&py, &moto, &["--scenario", "textbook"]);
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("collect.toml");
    std::fs::write(&config, TEST_CONFIG).unwrap();

    // Collect once, to know the interfaces the logs are about.
    let first = tmp.path().join("first.json");
    let o = sgaudit_at(
        &moto.url,
        &[
            "collect",
            "--config",
            config.to_str().unwrap(),
            "--out",
            first.to_str().unwrap(),
        ],
    );
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", stderr(&o));
    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(&first).unwrap()).unwrap();
    let legacy_id = seeded["accounts"]["legacy-dev"].as_str().unwrap();
    let legacy = region(account(&snapshot, legacy_id), "eu-west-1");
    // DescribeFlowLogs was collected: legacy-dev's log is the one that fails to deliver.
    assert!(legacy["FlowLogs"].is_array(), "{}", legacy["FlowLogs"]);
    let wizard = group(legacy, "launch-wizard-1")["GroupId"]
        .as_str()
        .unwrap()
        .to_string();
    let eni = legacy["NetworkInterfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["Groups"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["GroupId"] == wizard.as_str())
        })
        .expect("the jump host's interface");
    let (eni_id, ip) = (
        eni["NetworkInterfaceId"].as_str().unwrap(),
        eni["PrivateIpAddress"].as_str().unwrap(),
    );
    // data-platform's VPC logs all traffic to S3: its bastion's silence counts.
    let data_id = seeded["accounts"]["data-platform"].as_str().unwrap();
    let data = region(account(&snapshot, data_id), "eu-west-1");
    let bastion = group(data, "bastion")["GroupId"].as_str().unwrap().to_string();
    let bastion_host = data["NetworkInterfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["Groups"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["GroupId"] == bastion.as_str())
        })
        .expect("the bastion's interface")["NetworkInterfaceId"]
        .as_str()
        .unwrap();

    // A month of logs up to yesterday: SSH from two office addresses only.
    let started = time::OffsetDateTime::parse(
        snapshot["started_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let until = started.date().midnight().assume_utc();
    let since = until - time::Duration::days(31);
    let mut records = Vec::new();
    for h in 0..31 * 24 {
        let t = since.unix_timestamp() + h * 3600;
        if h % 24 == 10 {
            for office in ["198.51.100.7", "203.0.113.20"] {
                records.push(crate::gen::Record::inbound(legacy_id, eni_id, office, ip, 22, t));
            }
        } else {
            records.push(crate::gen::Record::nodata(legacy_id, eni_id, t));
        }
        // Nobody used the bastion all month.
        records.push(crate::gen::Record::nodata(data_id, bastion_host, t));
    }
    let logs = tmp.path().join("logs");
    crate::gen::write_delivery(&logs, "eu-west-1", &records, crate::gen::Layout::Default);
    upload(&py, &moto, &logs, "log-archive");

    let out_dir = tmp.path().join("run");
    let day = |t: time::OffsetDateTime| t.date().to_string();
    let last_day = day(until - time::Duration::days(1));
    let o = sgaudit_at(
        &moto.url,
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--flow-logs",
            "s3://log-archive/AWSLogs/",
            "--since",
            &day(since),
            "--until",
            &last_day,
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "partial (moto has no SSM inventory): {}",
        stderr(&o)
    );
    let usage = json(&out_dir, "usage.json");
    assert_eq!(
        usage["objects"].as_array().unwrap().len(),
        2 * 31 * 24,
        "two accounts, hourly files"
    );
    assert!(usage["objects"][0]["location"]
        .as_str()
        .unwrap()
        .starts_with("s3://log-archive/AWSLogs/"));
    assert!(usage["objects"][0]["etag"].is_string(), "S3's ETag is kept");
    let f = findings(&out_dir);
    let tight: Vec<&str> = f
        .iter()
        .filter(|x| x["check_id"] == "SGA506")
        .map(|x| x["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        tight,
        [
            "tcp 22 from 0.0.0.0/0 is used by 2 sources only: these 2 prefixes account for 100% of its 62 flows in \
          31 days: 198.51.100.7/32, 203.0.113.20/32"
        ],
    );
    let unused: Vec<&str> = f
        .iter()
        .filter(|x| x["check_id"] == "SGA505")
        .map(|x| x["summary"].as_str().unwrap())
        .collect();
    assert!(
        unused.contains(&"tcp 22 from 198.51.100.10/32 was not used in 31 days of flow logs covering its interface"),
        "{unused:#?}"
    );
    let v = sgaudit(&["verify", out_dir.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0), "{}", stderr(&v));
}

/// The AWS CLI beside the Python that runs moto (scripts/test installs it
/// into .venv with moto).
pub(crate) fn aws_cli(python: &Path) -> PathBuf {
    let aws = python.with_file_name("aws");
    assert!(
        aws.is_file(),
        "the AWS CLI is required beside {}: scripts/test installs it (tests/moto/requirements.txt)",
        python.display()
    );
    aws
}

/// Credentials that act in `account` (moto: the management account's test
/// keys, or an assumed OrganizationAccountAccessRole in a member).
fn credentials_for(aws: &Path, endpoint: &str, account: &str) -> Vec<(&'static str, String)> {
    let base = vec![
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
    ];
    if account == "123456789012" {
        return base;
    }
    let out = Command::new(aws)
        .args([
            "sts",
            "assume-role",
            "--role-arn",
            &format!("arn:aws:iam::{account}:role/OrganizationAccountAccessRole"),
            "--role-session-name",
            "remediation-test",
            "--output",
            "json",
        ])
        .envs(base)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .expect("run aws sts assume-role");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &c["Credentials"];
    vec![
        ("AWS_ACCESS_KEY_ID", c["AccessKeyId"].as_str().unwrap().to_string()),
        (
            "AWS_SECRET_ACCESS_KEY",
            c["SecretAccessKey"].as_str().unwrap().to_string(),
        ),
        ("AWS_SESSION_TOKEN", c["SessionToken"].as_str().unwrap().to_string()),
    ]
}

/// A generated script, run the way its header says: `bash SCRIPT MODE`,
/// with the AWS CLI on PATH and the account's credentials, in `cwd`.
fn run_script(
    aws: &Path,
    endpoint: &str,
    script: &Path,
    mode: &str,
    creds: &[(&str, String)],
    cwd: &Path,
    more: &[&str],
) -> Output {
    let path = format!(
        "{}:{}",
        aws.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .arg(script)
        .arg(mode)
        .args(more)
        .current_dir(cwd)
        .env("PATH", path)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .envs(creds.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("run the remediation script")
}

/// The guidance's promise, end to end: the scripts sgaudit writes, run by
/// the test (never by sgaudit) with `--apply`, fix every finding they
/// address and change nothing else; a group description written as a shell
/// injection stays text; a script refuses another account's credentials.
#[test]
fn remediation_scripts_fix_what_they_address_and_nothing_else() {
    let Some(py) = require_python() else { return };
    let aws = aws_cli(&py);
    let moto = moto(&py);
    let seeded = seed(&py, &moto, &["--scenario", "textbook", "--hostile"]);
    let tmp = tempfile::tempdir().unwrap();
    let (first, out) = run(&moto.url, tmp.path(), "first");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let before = findings(&first);
    let scripted: std::collections::BTreeSet<String> = before
        .iter()
        .filter(|f| f["remediation"]["scripted"] == true)
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    // The hostile group's findings are among them: an unused, temporary group open to the world.
    let hostile: Vec<&Value> = before
        .iter()
        .filter(|f| f["security_group_name"] == "tmp-hostile")
        .collect();
    assert!(
        hostile.iter().any(|f| f["remediation"]["scripted"] == true),
        "{hostile:#?}"
    );
    assert!(scripted.len() >= 5, "{scripted:?}");

    let legacy = seeded["accounts"]["legacy-dev"].as_str().unwrap();
    let shop = seeded["accounts"]["shop-prod"].as_str().unwrap();
    let scripts = first.join("remediation");
    let workdir = tmp.path().join("cwd");
    std::fs::create_dir(&workdir).unwrap();
    // Nothing runs without a mode; another account's credentials are refused.
    let legacy_script = scripts.join(format!("{legacy}.sh"));
    let none = run_script(&aws, &moto.url, &legacy_script, "", &[], &workdir, &[]);
    assert_eq!(none.status.code(), Some(2), "{}", stderr(&none));
    let wrong = credentials_for(&aws, &moto.url, shop);
    let refused = run_script(&aws, &moto.url, &legacy_script, "--apply", &wrong, &workdir, &[]);
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    assert!(stderr(&refused).contains(&format!("the credentials are for account {shop}")));

    // Every account's script: the dry run, then --apply (which would fail
    // on an already revoked rule if the dry run had changed anything).
    let mut names: Vec<PathBuf> = std::fs::read_dir(&scripts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for script in &names {
        let account = script.file_stem().unwrap().to_str().unwrap().to_string();
        let creds = credentials_for(&aws, &moto.url, &account);
        for mode in ["--dry-run", "--apply"] {
            let out = run_script(&aws, &moto.url, script, mode, &creds, &workdir, &[]);
            assert!(out.status.success(), "{} {mode}: {}", script.display(), stderr(&out));
        }
    }
    let pwned: Vec<_> = std::fs::read_dir(&workdir).unwrap().collect();
    assert!(pwned.is_empty(), "the hostile description ran: {pwned:?}");

    // Assess again, with the first run as the baseline.
    let (second, out) = run_with(
        &moto.url,
        tmp.path(),
        "second",
        &["--baseline", first.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let diff = json(&second, "diff.json");
    let list = |key: &str| -> std::collections::BTreeSet<String> {
        diff[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    let describe = |fps: &std::collections::BTreeSet<String>| -> Vec<String> {
        before
            .iter()
            .filter(|f| fps.contains(f["fingerprint"].as_str().unwrap()))
            .map(|f| format!("{} {}: {}", f["check_id"], f["security_group_name"], f["summary"]))
            .collect()
    };
    let fixed = list("resolved");
    let missed: std::collections::BTreeSet<String> = scripted.difference(&fixed).cloned().collect();
    let extra: std::collections::BTreeSet<String> = fixed.difference(&scripted).cloned().collect();
    assert!(missed.is_empty(), "scripted but still there: {:#?}", describe(&missed));
    assert!(
        extra.is_empty(),
        "fixed without being scripted: {:#?}",
        describe(&extra)
    );
    assert!(list("new").is_empty(), "new findings after the fix: {:#?}", diff["new"]);
    assert!(list("unknown").is_empty(), "{:#?}", diff["unknown"]);
    // What changed severity went down: an ACL that is now the second wall,
    // the share of groups in code once the unused hand-made one is gone.
    let rank = |s: &Value| {
        ["info", "low", "medium", "high", "critical"]
            .iter()
            .position(|x| s == x)
    };
    for f in diff["severity_changed"].as_array().unwrap() {
        assert!(rank(&f["severity"]) < rank(&f["severity_was"]), "{f:#}");
    }
}

/// The auditor's path, end to end: scripts/export-account.sh run with the
/// AWS CLI against the emulator, `sgaudit import` of what it wrote, then
/// `assess`, gives the findings `sgaudit run` gives for the same account;
/// the ASFF batches of those findings import into (moto's) Security Hub.
#[test]
fn an_export_of_one_account_imports_to_the_findings_run_finds() {
    let Some(py) = require_python() else { return };
    let aws = aws_cli(&py);
    let moto = moto(&py);
    let seeded = seed(&py, &moto, &["--scenario", "textbook"]);
    let legacy = seeded["accounts"]["legacy-dev"].as_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (run_dir, out) = run(&moto.url, tmp.path(), "run");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    // The client's side: the export script, with the account's credentials.
    let creds = credentials_for(&aws, &moto.url, legacy);
    let export = tmp.path().join("export");
    let script = root().join("scripts/export-account.sh");
    let out = run_script(
        &aws,
        &moto.url,
        &script,
        "--regions",
        &creds,
        tmp.path(),
        &["eu-west-1,us-east-1", "--out", export.to_str().unwrap(), "--jobs", "2"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let folder = export.join(legacy);
    assert!(folder.join("eu-west-1/ec2-describe-security-groups.json").is_file());
    assert!(!export.join(format!("{legacy}.partial")).exists());

    // The assessor's side: two commands.
    let snapshot = tmp.path().join("imported.json");
    let out = sgaudit(&[
        "import",
        "--from",
        export.to_str().unwrap(),
        "--out",
        snapshot.to_str().unwrap(),
    ]);
    // moto does not implement DescribeInstanceInformation: a gap in both.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = tmp.path().join("report");
    let config = tmp.path().join("collect.toml");
    let out = sgaudit(&[
        "assess",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
        "--format",
        "json,asff",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    // The same evidence: every region's data as collect read it (but the
    // wording of the gap), and so the same findings.
    let imported: Value = serde_json::from_str(&std::fs::read_to_string(&snapshot).unwrap()).unwrap();
    let collected = json(&run_dir, "snapshot.json");
    let regions = |s: &Value| -> Value {
        let mut r = account(s, legacy)["regions"].clone();
        for region in r.as_array_mut().unwrap() {
            for g in region["gaps"].as_array_mut().into_iter().flatten() {
                g["error"] = "[the error]".into();
            }
        }
        r
    };
    assert_eq!(regions(&imported), regions(&collected));
    assert_eq!(imported["imported"]["taken_at_from"], "export-info.json");
    let manifest = json(&report, "manifest.json");
    assert!(
        manifest["snapshot"]["imported"]["files"].as_u64().unwrap() > 30,
        "{manifest:#}"
    );
    let key = |f: &Value| {
        format!(
            "{} {} {} {}",
            f["fingerprint"], f["severity"], f["check_id"], f["summary"]
        )
    };
    let expected: std::collections::BTreeSet<String> = findings(&run_dir)
        .iter()
        .filter(|f| f["account_id"] == legacy)
        .map(key)
        .collect();
    let got: std::collections::BTreeSet<String> = findings(&report).iter().map(key).collect();
    assert!(expected.len() >= 5, "{expected:#?}");
    assert_eq!(got, expected);

    // Security Hub takes the batches as they are, one call each.
    let batches: Vec<Value> = serde_json::from_value(json(&report, "findings.asff.json")).unwrap();
    let mut imported_ids = 0;
    for (i, batch) in batches.iter().enumerate() {
        let file = tmp.path().join(format!("batch-{i}.json"));
        std::fs::write(&file, serde_json::to_vec(batch).unwrap()).unwrap();
        let region = batch[0]["ProductArn"]
            .as_str()
            .unwrap()
            .split(':')
            .nth(3)
            .unwrap()
            .to_string();
        let out = Command::new(&aws)
            .args([
                "securityhub",
                "batch-import-findings",
                "--output",
                "json",
                "--region",
                &region,
            ])
            .arg("--findings")
            .arg(format!("file://{}", file.display()))
            .env("AWS_ENDPOINT_URL", &moto.url)
            .envs(creds.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .expect("run aws securityhub batch-import-findings");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(answer["FailedCount"], 0, "{answer:#}");
        imported_ids += answer["SuccessCount"].as_u64().unwrap();
    }
    assert_eq!(imported_ids as usize, got.len());
}
