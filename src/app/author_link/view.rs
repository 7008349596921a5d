//! What the author sees of their piece: its reference, title, when it
//! arrived, a coarse status and their own answers. Never the desk's notes,
//! its people, the author's address or the workflow's detail.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::author_link::status::{CoarseStatus, declaration_open};
use crate::author_link::store::AuthorRecord;
use crate::domain::{Action, State};
use crate::publishing::Site;
use crate::submissions::withdrawal::Withdrawal;
use crate::workflow::machine::author_may;

/// The author's status page, as JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorStatus {
    pub reference: String,
    pub title: String,
    pub received_at: DateTime<Utc>,
    pub status: CoarseStatus,
    /// When it is due to be published (`scheduled`).
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Where it can be read (`published`).
    pub public_url: Option<String>,
    /// By when the desk answers, while the piece waits for a decision
    /// (`received`, `under_review`); `null` once decided.
    pub respond_by: Option<DateTime<Utc>>,
    /// The author's answer: the piece is original and not offered
    /// elsewhere. `null` until answered.
    pub exclusive_confirmed: Option<bool>,
    /// The author's disclosure, `none` for nothing; `null` until answered.
    pub disclosure: Option<String>,
    pub declared_at: Option<DateTime<Utc>>,
    /// Whether the author may still withdraw the piece.
    pub can_withdraw: bool,
    /// Whether the author may still give or change their answers.
    pub can_declare: bool,
    /// The author withdrew the piece here and may now say the desk may
    /// consider it again (`POST …/consent`).
    pub can_consent: bool,
    /// The author withdrew the piece here and has since said the desk may
    /// consider it again: an editor may reopen it.
    pub consented_again: bool,
}

impl AuthorStatus {
    pub fn new(record: AuthorRecord, site: &Site) -> AuthorStatus {
        let row = record.row;
        let status = CoarseStatus::of(row.state, record.released);
        AuthorStatus {
            reference: row.reference,
            title: row.title,
            received_at: row.received_at,
            status,
            scheduled_for: row.publish_at.filter(|_| row.state == State::Scheduled),
            public_url: row
                .slug
                .as_deref()
                .filter(|_| row.state == State::Published)
                .map(|slug| site.opinion_url(slug)),
            respond_by: matches!(row.state, State::Draft | State::InReview)
                .then_some(row.respond_by),
            exclusive_confirmed: row.exclusive_confirmed,
            disclosure: row.disclosure,
            declared_at: row.declared_at,
            can_withdraw: author_may(row.state, Action::AuthorWithdraw),
            can_declare: declaration_open(row.state),
            can_consent: record.withdrawal.is_some_and(Withdrawal::awaits_author),
            consented_again: record.withdrawal
                == Some(Withdrawal::ByAuthor {
                    consented_again: true,
                }),
        }
    }
}
