//! The desk's vocabulary: the states and kinds its tables hold, as Rust
//! types. Each text column with a `CHECK (… IN (…))` has its enum here, read
//! and written through diesel as `Text`, so a misspelt state cannot be
//! written or compared against, and an unknown one read from the database
//! is an error, not a silent default.
//!
//! A leaf: nothing of ours below it, so rows (`db::models`), stores and the
//! pure core can all name these types.

pub mod ids;
pub mod inbound;
pub mod outbox;
pub mod submission;

pub use ids::{InboundMessageId, OutboxId, ProposalId, SubmissionId, UserId};
pub use inbound::{Direction, Outcome};
pub use outbox::{DeliveryState, OutboxKind, WebhookEvent};
pub use submission::{
    Action, AuthVerdict, HistoryAction, NO_DISCLOSURE, PieceEvent, ProposalStatus, RevisionSource,
    State,
};

/// A name that is not one of an enum's: from the database (a constraint
/// out of step with the code) or from a caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {name:?}")]
pub struct UnknownName {
    pub kind: &'static str,
    pub name: String,
}

/// Reads and writes a type with `as_str()` and `FromStr` as a `Text` column.
/// The type derives `AsExpression` and `FromSqlRow` with
/// `#[diesel(sql_type = diesel::sql_types::Text)]`.
macro_rules! sql_text {
    ($name:ty) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(bytes)?;
                Ok(text.parse::<$name>()?)
            }
        }
    };
}
pub(crate) use sql_text;

/// An enum of names: each variant with the one name it has in the database,
/// in JSON and in text (`as_str`, `Display`, `FromStr`), and `ALL` of them
/// in order. The name must be the variant's in snake case (serde's
/// `rename_all`, which the OpenAPI document follows).
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            serde::Serialize,
            serde::Deserialize,
            diesel::AsExpression,
            diesel::FromSqlRow,
        )]
        // Every name is its variant's in snake case, and the OpenAPI
        // document reads `rename_all` (not a rename passed through this
        // macro); a test checks that the names agree.
        #[serde(rename_all = "snake_case")]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $name {
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownName;

            fn from_str(name: &str) -> Result<Self, Self::Err> {
                match name {
                    $( $text => Ok($name::$variant), )+
                    other => Err($crate::domain::UnknownName {
                        kind: stringify!($name),
                        name: other.to_string(),
                    }),
                }
            }
        }

        $crate::domain::sql_text!($name);
    };
}
pub(crate) use text_enum;

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T>(all: &[T])
    where
        T: Copy
            + PartialEq
            + std::fmt::Debug
            + std::fmt::Display
            + std::str::FromStr
            + serde::Serialize,
        T::Err: std::fmt::Debug,
    {
        for &value in all {
            let name = value.to_string();
            assert_eq!(name.parse::<T>().unwrap(), value);
            assert_eq!(serde_json::to_value(value).unwrap(), name);
        }
    }

    #[test]
    fn every_name_round_trips_through_text_and_json() {
        round_trips(&State::ALL);
        round_trips(&Action::ALL);
        round_trips(&AuthVerdict::ALL);
        round_trips(&RevisionSource::ALL);
        round_trips(&ProposalStatus::ALL);
        round_trips(&Outcome::ALL);
        round_trips(&Direction::ALL);
        round_trips(&OutboxKind::ALL);
        round_trips(&DeliveryState::ALL);
        let err = "publishd".parse::<State>().unwrap_err();
        assert_eq!(err.to_string(), "unknown State \"publishd\"");
    }
}
