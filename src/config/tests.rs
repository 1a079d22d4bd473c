use super::*;

fn parse_str(text: &str) -> Result<Config, ConfigError> {
    parse(Path::new("sgaudit.toml"), text)
}

fn error_text(text: &str) -> String {
    parse_str(text).unwrap_err().to_string()
}

#[test]
fn an_empty_file_gives_the_defaults() {
    assert_eq!(parse_str("").unwrap(), Config::default());
}

#[test]
fn the_example_config_parses() {
    let text = include_str!("../../config/sgaudit.example.toml");
    let config = parse_str(text).unwrap();
    assert!(config.critical.is_configured());
    assert!(!config.exceptions.is_empty());
}

#[test]
fn an_unknown_key_is_named_with_its_line() {
    let err = error_text("[ports]\nadmin_ports = [\"22/tcp\"]\n");
    assert!(
        err.starts_with("sgaudit.toml:2:1: `ports.admin_ports`: unknown field `admin_ports`"),
        "{err}"
    );
    assert!(err.contains("2 | admin_ports"), "{err}");
}

#[test]
fn a_bad_port_names_the_key_and_the_value() {
    let err = error_text("[ports]\nadmin = [\"22/tcp\", \"70000/tcp\"]\n");
    assert!(err.starts_with("sgaudit.toml:2:"), "{err}");
    assert!(err.contains("`ports.admin[1]`"), "{err}");
    assert!(err.contains("`70000/tcp` is not a service port"), "{err}");
}

#[test]
fn toml_syntax_errors_are_located() {
    let err = error_text("[ports\nadmin = []\n");
    assert!(err.starts_with("sgaudit.toml:1:"), "{err}");
}

#[test]
fn an_exception_must_narrow_something() {
    let err = error_text("[[exceptions]]\nowner = \"a\"\nreason = \"b\"\nexpires = 2027-01-01\n");
    assert!(
        err.starts_with("sgaudit.toml:1:1: `exceptions[0]`: an exception must name at least one"),
        "{err}"
    );
}

#[test]
fn exception_dates_may_be_toml_dates_or_strings() {
    let c = parse_str(
        "[[exceptions]]\ncheck = \"SGA101\"\nowner = \"a\"\nreason = \"b\"\nexpires = 2027-01-31\n\
         [[exceptions]]\naccount = \"111111111111\"\nowner = \"a\"\nreason = \"b\"\nexpires = \"2027-02-01\"\n",
    )
    .unwrap();
    assert_eq!(c.exceptions[0].expires, time::macros::date!(2027 - 01 - 31));
    assert_eq!(c.exceptions[1].expires, time::macros::date!(2027 - 02 - 01));
    let err = error_text("[[exceptions]]\ncheck = \"x\"\nowner = \"a\"\nreason = \"b\"\nexpires = \"next year\"\n");
    assert!(
        err.contains("`exceptions[0].expires`") && err.contains("is not a date"),
        "{err}"
    );
}

#[test]
fn a_bad_account_id_is_reported() {
    let err = error_text("[critical]\naccounts = [\"1234\"]\n");
    assert!(
        err.contains("`critical.accounts[0]`") && err.contains("not an AWS account id"),
        "{err}"
    );
}

#[test]
fn attestations_need_a_scope() {
    let err = error_text("[[attestations]]\nowner = \"o\"\ntraining = \"t\"\nattested_by = \"x\"\ndate = 2026-01-01\n");
    assert!(
        err.contains("`attestations[0]`") && err.contains("which accounts"),
        "{err}"
    );
}

#[test]
fn out_of_range_numbers_are_located() {
    let err = error_text("[networks]\nwide_public_prefix_v4 = 40\n");
    assert!(
        err.starts_with("sgaudit.toml:2:25: `networks.wide_public_prefix_v4`: 40 is not an IPv4 prefix length"),
        "{err}"
    );
    let err = error_text("[scoring.weights]\nQ3 = -1.0\n");
    assert!(
        err.starts_with("sgaudit.toml:2:6: `scoring.weights.Q3`: -1 is not a weight"),
        "{err}"
    );
}

#[test]
fn a_throttle_bucket_without_tokens_is_refused_and_the_others_keep_their_defaults() {
    let config = parse_str("[collect.throttle]\nec2 = { burst = 200, per_second = 40.0 }\n").unwrap();
    assert_eq!(
        config.collect.throttle.ec2,
        Rate {
            burst: 200,
            per_second: 40.0
        }
    );
    assert_eq!(config.collect.throttle.rds, Throttle::default().rds);
    let err = error_text("[collect.throttle]\nssm = { burst = 0, per_second = 5.0 }\n");
    assert!(err.contains("`collect.throttle.ssm`"), "{err}");
    assert!(err.contains("a bucket needs burst >= 1 and per_second > 0"), "{err}");
}
