//! Row ids with a type each, so a call that takes a piece and a message, or
//! a piece and a proposal, cannot be given them the wrong way round: the
//! compiler refuses `accept(conn, proposal, piece, …)` where two bare `i64`s
//! would have swapped silently.
//!
//! Each is written and read as the `BIGINT` it is in the database, so a
//! query takes one where it took the number (`submissions::id.eq(id)`).

/// A row id: a `BIGINT` primary key with a name of its own.
macro_rules! row_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            diesel::AsExpression,
            diesel::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::BigInt, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <i64 as diesel::serialize::ToSql<diesel::sql_types::BigInt, diesel::pg::Pg>>::to_sql(
                    &self.0, out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::BigInt, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                <i64 as diesel::deserialize::FromSql<
                    diesel::sql_types::BigInt,
                    diesel::pg::Pg,
                >>::from_sql(bytes)
                .map($name)
            }
        }
    };
}

row_id!(
    /// A piece: a row of `submissions`.
    SubmissionId
);
row_id!(
    /// A message as it arrived: a row of `inbound_messages` (not its
    /// `Message-ID` header, which is text).
    InboundMessageId
);
row_id!(
    /// A text waiting for an editor: a row of `proposed_revisions`.
    ProposalId
);
row_id!(
    /// An account of the desk: a row of `users`.
    UserId
);
row_id!(
    /// A queued email or webhook: a row of `outbox`.
    OutboxId
);
