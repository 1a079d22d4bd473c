//! Deserializers of the values that need checking as they are read, so
//! that an error points at the value itself.

use serde::Deserialize;

pub(super) fn prefix_v4<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let v = u8::deserialize(d)?;
    if v > 32 {
        return Err(serde::de::Error::custom(format!(
            "{v} is not an IPv4 prefix length (0-32)"
        )));
    }
    Ok(v)
}

pub(super) fn prefix_v6<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let v = u8::deserialize(d)?;
    if v > 128 {
        return Err(serde::de::Error::custom(format!(
            "{v} is not an IPv6 prefix length (0-128)"
        )));
    }
    Ok(v)
}

pub(super) fn weight<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if !v.is_finite() || v < 0.0 {
        return Err(serde::de::Error::custom(format!(
            "{v} is not a weight (a number, zero or more)"
        )));
    }
    Ok(v)
}

/// A number of days, or `"none"`.
pub(super) mod days {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_u32(*d),
            None => s.serialize_str("none"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Days(u32),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Days(n) => Ok(Some(n)),
            Raw::Text(t) if t.eq_ignore_ascii_case("none") => Ok(None),
            Raw::Text(t) => Err(serde::de::Error::custom(format!(
                "`{t}` is not a number of days or \"none\""
            ))),
        }
    }
}

/// Dates written as TOML dates (`2027-03-31`) or as strings (`"2027-03-31"`).
pub(super) mod toml_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::{macros::format_description, Date};

    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
        format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.format(FORMAT).map_err(serde::ser::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Toml(toml::value::Datetime),
            Text(String),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Toml(dt) => match (dt.date, dt.time) {
                (Some(date), None) => date.to_string(),
                _ => {
                    return Err(serde::de::Error::custom(format!(
                        "`{dt}` is not a plain date (expected e.g. 2027-03-31)"
                    )))
                }
            },
            Raw::Text(s) => s,
        };
        Date::parse(&text, FORMAT)
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a date (expected e.g. 2027-03-31)")))
    }
}
