//! ## What it does
//! Reports exceptions of the config whose expiry date has passed (as of the
//! snapshot's time). The findings they covered are open again.
//!
//! ## Why is this bad?
//! An accepted risk was accepted until a date. After it, either the risk was
//! fixed (then remove the exception) or someone must accept it again.

use crate::analyze::checks::*;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA906",
        name: "exception-expired",
        question: Question::Hygiene,
        identity: Identity::Subject,
        title: "Accepted risk past its expiry",
        severity: SeverityRule::Fixed(Severity::Medium),
        controls: &[],
        what: "Each `[[exceptions]]` entry whose `expires` date is before the snapshot's collection time, in each account \
               where it still matches a finding (or in its named account). The findings it covered are reported as open \
               again, at their own severity.",
        why: "Risks are accepted until a date so that someone looks again. Past it, either the risk was fixed and the \
              exception is clutter, or the risk remains and nobody currently owns it.",
        remediation: "If the finding is fixed, delete the exception. If the risk remains, have its owner review it and \
                      renew the exception with a new `expires` date and an updated reason.",
        fix: FixKind::Manual("renew the exception in the configuration with a new expiry and reason, or delete it"),
    },
    run: Run::Assessment,
};
