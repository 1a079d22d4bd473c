//! Identifier newtypes.
//!
//! AWS ids are short ASCII strings (`sg-0123456789abcdef0` is 20 bytes), and a
//! large organization holds millions of them. Each id type wraps a
//! [`CompactString`], which stores up to 24 bytes inline: reading a snapshot
//! allocates nothing for ids, and the type says which kind of id it is.

use std::borrow::Borrow;
use std::fmt;

use compact_str::CompactString;
use serde::{Deserialize, Deserializer, Serialize};

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
        #[serde(transparent)]
        pub struct $name(CompactString);

        impl $name {
            pub fn new(id: impl Into<CompactString>) -> Self {
                Self(id.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self.0.as_str(), f)
            }
        }
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.into())
            }
        }
    };
}

string_id!(
    /// `sg-…`
    SecurityGroupId
);
string_id!(
    /// `vpc-…`
    VpcId
);
string_id!(
    /// `subnet-…`
    SubnetId
);
string_id!(
    /// `eni-…`
    NetworkInterfaceId
);
string_id!(
    /// `i-…`
    InstanceId
);
string_id!(
    /// `pl-…`
    PrefixListId
);
string_id!(
    /// `rtb-…`
    RouteTableId
);
string_id!(
    /// `acl-…`
    NetworkAclId
);
string_id!(
    /// A region code such as `eu-west-1`.
    Region
);

/// A 12-digit AWS account id. Validated when read, because a mistyped account id
/// in a snapshot or a config file would silently match nothing.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AccountId(CompactString);

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not an AWS account id (expected 12 digits)")]
pub struct InvalidAccountId(pub String);

impl AccountId {
    pub fn parse(s: &str) -> Result<Self, InvalidAccountId> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.into()))
        } else {
            Err(InvalidAccountId(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for AccountId {
    type Err = InvalidAccountId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = CompactString::deserialize(d)?;
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s))
        } else {
            Err(serde::de::Error::custom(InvalidAccountId(s.into())))
        }
    }
}

/// An account id, or `None` for a value that is not one (AWS writes
/// `amazon-elb` where a classic load balancer's own group is the source).
pub(crate) fn account_or_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<AccountId>, D::Error> {
    let s = Option::<CompactString>::deserialize(d)?;
    Ok(s.and_then(|s| AccountId::parse(&s).ok()))
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0.as_str(), f)
    }
}
impl Borrow<str> for AccountId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(AccountId::parse("012345678901").is_ok());
        assert!(AccountId::parse("12345678901").is_err());
        assert!(AccountId::parse("12345678901a").is_err());
        let err = serde_json::from_str::<AccountId>("\"abc\"").unwrap_err();
        assert!(err.to_string().contains("not an AWS account id"), "{err}");
    }
}
