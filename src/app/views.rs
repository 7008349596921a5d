//! What the doors show of a submission (the API as JSON, the desk in its
//! pages): separate types from the rows, so that a new column never reaches
//! a client by accident.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Role;
use crate::db::models::AttachmentInfo;
use crate::domain::{AuthVerdict, Direction, HistoryAction, ProposalStatus, RevisionSource, State};
use crate::publishing::Site;
use crate::submissions::corrections::CorrectionRow;
use crate::submissions::edit::may_edit;
use crate::submissions::proposals::ProposalRow;
use crate::submissions::store::{
    CorrespondenceRow, HistoryRow, ListRow, NearDuplicatePiece, NoteRow, RevisionRow,
    SubmissionRecord, UserRef,
};
use crate::wordpress::store::WordpressPost;
use crate::workflow::{Action, allowed_now};

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub name: String,
}

impl From<UserRef> for UserView {
    fn from(user: UserRef) -> Self {
        UserView {
            id: user.id,
            name: user.name,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorView {
    pub name: Option<String>,
    pub email: String,
    pub bio: Option<String>,
}

/// Who a piece is probably by, as its mail says: the name on its byline
/// line ("By Jane Doe", "بقلم: …"), the sender of the message it was
/// forwarded from, or both. The author stays whoever sent it to the desk.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct BylineView {
    pub name: Option<String>,
    /// The forwarded message's sender; `null` when only the piece's byline
    /// line names its author.
    pub email: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    /// Position, for `GET /submissions/{id}/attachments/{n}`.
    pub n: i32,
    pub filename: Option<String>,
    pub content_type: String,
    pub size: i64,
    /// This document holds the article text.
    pub is_article: bool,
    /// Why no text could be taken from this document.
    pub extraction_error: Option<String>,
}

impl From<AttachmentInfo> for AttachmentView {
    fn from(a: AttachmentInfo) -> Self {
        AttachmentView {
            n: a.n,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            is_article: a.is_article,
            extraction_error: a.extraction_error,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionView {
    pub id: i64,
    pub reference: String,
    pub state: State,
    pub title: String,
    pub standfirst: Option<String>,
    pub slug: Option<String>,
    pub author: AuthorView,
    /// Set when the mail says whom the piece is by and that is not its
    /// sender: the byline line atop the piece (taken out of its text), the
    /// forwarded message's sender. A suggestion for the byline (`author`
    /// stays who sent it to the desk).
    pub byline_suggestion: Option<BylineView>,
    pub body_text: String,
    /// Sanitised HTML.
    pub body_html: String,
    pub cover_note: Option<String>,
    pub word_count: i32,
    /// The desk's word limit (`OPED_WORD_LIMIT`).
    pub word_limit: u32,
    /// `word_count` is over `word_limit`.
    pub over_word_limit: bool,
    pub tags: Vec<String>,
    pub received_at: DateTime<Utc>,
    /// When the desk owes the author an answer, fixed on arrival: a piece
    /// still in `draft` or `in_review` then is released (rejected with the
    /// note `released`, and the author told they may offer it elsewhere).
    pub respond_by: DateTime<Utc>,
    /// When an editor held the piece, extending its window (once at most).
    pub held_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// When the scheduler publishes it (`scheduled`).
    pub publish_at: Option<DateTime<Utc>>,
    /// Its first publication; from then on the slug no longer changes.
    pub published_at: Option<DateTime<Utc>>,
    /// When it was last taken down; its public URL answers 410 since.
    pub retracted_at: Option<DateTime<Utc>>,
    /// Where the piece is (or will be) public, once it has a slug.
    pub public_url: Option<String>,
    /// Its post on the site's WordPress (`OPED_WORDPRESS_URL`): the post's
    /// id, its address and its status there; `null` until WordPress has
    /// made it.
    pub wordpress: Option<WordpressPost>,
    /// Also the `ETag`.
    pub version: i32,
    pub assignee: Option<UserView>,
    /// `dmarc=fail` from our receiving server.
    pub suspicious: bool,
    /// When the author sent a new text after changes were requested.
    pub revised_at: Option<DateTime<Utc>>,
    /// `pass`, `fail` or `none`.
    #[schema(value_type = String)]
    pub sender_authentication: AuthVerdict,
    /// New texts from the author's replies that wait for an editor
    /// (`GET /submissions/{id}/proposals`).
    pub pending_proposals: i64,
    /// The author's answer through their status link: the piece is
    /// original and not offered elsewhere. `null` until answered; without
    /// `true`, publishing or scheduling needs a note saying why.
    pub exclusive_confirmed: Option<bool>,
    /// The author's disclosure of interests, `none` for nothing; `null`
    /// until answered. Published with the piece unless it is `none`.
    pub disclosure: Option<String>,
    /// When the author last gave those answers.
    pub declared_at: Option<DateTime<Utc>>,
    /// What the caller may do now. `reopen` is left out while the piece
    /// waits for its author's consent: they withdrew it themselves.
    pub allowed_actions: Vec<Action>,
    /// Whether the caller may edit the text and fields now (`PATCH`, or
    /// accept a proposal): a scheduled or published piece only a publisher.
    pub editable: bool,
    pub attachments: Vec<AttachmentView>,
    /// Pieces of the last 180 days with much the same text (a resend, a copy
    /// sent by someone else), most similar first.
    pub similar_to: Vec<NearDuplicateView>,
}

/// "Similar to OE-2026-0042 (93%)".
/// (`SimilarView` in the OpenAPI document, after the field `similar_to`.)
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SimilarView)]
pub struct NearDuplicateView {
    pub id: i64,
    pub reference: String,
    /// Estimated share of the text in common, in percent.
    pub percent: u8,
}

impl From<NearDuplicatePiece> for NearDuplicateView {
    fn from(piece: NearDuplicatePiece) -> Self {
        NearDuplicateView {
            id: piece.id,
            reference: piece.reference,
            percent: (piece.similarity.clamp(0.0, 1.0) * 100.0).round() as u8,
        }
    }
}

impl SubmissionView {
    pub fn new(
        record: SubmissionRecord,
        viewer: Role,
        site: &Site,
        word_limit: u32,
    ) -> SubmissionView {
        let row = record.row;
        let state = row.state;
        SubmissionView {
            id: row.id,
            reference: row.reference,
            state,
            title: row.title,
            standfirst: row.standfirst,
            slug: row.slug.clone(),
            author: AuthorView {
                name: row.author_name,
                email: row.author_email,
                bio: row.author_bio,
            },
            byline_suggestion: record
                .forwarded_from
                .and_then(|byline| serde_json::from_value(byline).ok()),
            body_text: row.body_text,
            body_html: row.body_html,
            cover_note: row.cover_note,
            word_count: row.word_count,
            word_limit,
            over_word_limit: over_word_limit(row.word_count, word_limit),
            tags: row.tags.into_iter().flatten().collect(),
            received_at: row.received_at,
            respond_by: row.respond_by,
            held_at: row.held_at,
            updated_at: row.updated_at,
            publish_at: row.publish_at,
            published_at: row.published_at,
            retracted_at: row.retracted_at,
            public_url: row.slug.as_deref().map(|slug| site.opinion_url(slug)),
            wordpress: record.wordpress_post,
            version: row.version,
            assignee: record.assignee.map(UserView::from),
            suspicious: row.suspicious,
            revised_at: row.revised_at,
            sender_authentication: row.auth_verdict,
            pending_proposals: record.pending_proposals,
            exclusive_confirmed: row.exclusive_confirmed,
            disclosure: row.disclosure,
            declared_at: row.declared_at,
            allowed_actions: allowed_now(state, viewer, record.awaiting_author_consent),
            editable: may_edit(state, viewer),
            attachments: record
                .attachments
                .into_iter()
                .map(AttachmentView::from)
                .collect(),
            similar_to: record
                .near_duplicates
                .into_iter()
                .map(NearDuplicateView::from)
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionListItem {
    pub id: i64,
    pub reference: String,
    pub state: State,
    pub title: String,
    pub author: ListAuthorView,
    pub word_count: i32,
    /// The desk's word limit (`OPED_WORD_LIMIT`).
    pub word_limit: u32,
    /// `word_count` is over `word_limit`.
    pub over_word_limit: bool,
    pub received_at: DateTime<Utc>,
    /// When the desk owes the author an answer (see the detail).
    pub respond_by: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub assignee_id: Option<i64>,
    pub suspicious: bool,
    pub version: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListAuthorView {
    pub name: Option<String>,
    pub email: String,
}

/// Whether a piece of `words` is longer than the desk's `limit`.
fn over_word_limit(words: i32, limit: u32) -> bool {
    i64::from(words) > i64::from(limit)
}

impl SubmissionListItem {
    pub fn new(row: ListRow, word_limit: u32) -> Self {
        SubmissionListItem {
            id: row.id,
            reference: row.reference,
            state: row.state,
            title: row.title,
            author: ListAuthorView {
                name: row.author_name,
                email: row.author_email,
            },
            word_count: row.word_count,
            word_limit,
            over_word_limit: over_word_limit(row.word_count, word_limit),
            received_at: row.received_at,
            respond_by: row.respond_by,
            updated_at: row.updated_at,
            assignee_id: row.assignee_id,
            suspicious: row.suspicious,
            version: row.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionPage {
    pub items: Vec<SubmissionListItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    /// A transition (`approve`, `publish`, …) or an event that keeps the state
    /// (`revision_proposed`, `revision_accepted`, `revision_discarded`,
    /// `author_declared`).
    #[schema(value_type = String)]
    pub action: HistoryAction,
    #[schema(value_type = String)]
    pub from: State,
    #[schema(value_type = String)]
    pub to: State,
    /// Absent when the scheduler or the author (through the status link) acted.
    pub actor: Option<UserView>,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<HistoryRow> for HistoryView {
    fn from(row: HistoryRow) -> Self {
        HistoryView {
            action: row.action,
            from: row.from_state,
            to: row.to_state,
            actor: row.actor.map(UserView::from),
            note: row.note,
            at: row.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteView {
    pub id: i64,
    pub author: UserView,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl From<NoteRow> for NoteView {
    fn from(row: NoteRow) -> Self {
        NoteView {
            id: row.id,
            author: row.author.into(),
            body: row.body,
            created_at: row.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CorrectionView {
    pub id: i64,
    /// Plain text, as readers see it.
    pub text: String,
    /// The publisher who added it (never shown to readers).
    pub author: UserView,
    pub created_at: DateTime<Utc>,
}

impl From<CorrectionRow> for CorrectionView {
    fn from(row: CorrectionRow) -> Self {
        CorrectionView {
            id: row.id,
            text: row.text,
            author: row.author.into(),
            created_at: row.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionView {
    pub number: i32,
    pub title: String,
    pub body_text: String,
    /// `email` (as received), `reply` (the author's revision) or `editor`.
    #[schema(value_type = String)]
    pub source: RevisionSource,
    pub editor: Option<UserView>,
    /// For a text from the author's reply: the sender-authentication verdict
    /// of that reply (`pass`, `fail`, `none`).
    #[schema(value_type = Option<String>)]
    pub sender_verdict: Option<AuthVerdict>,
    pub created_at: DateTime<Utc>,
}

impl From<RevisionRow> for RevisionView {
    fn from(row: RevisionRow) -> Self {
        RevisionView {
            number: row.number,
            title: row.title,
            body_text: row.body_text,
            source: row.source,
            editor: row.editor.map(UserView::from),
            sender_verdict: row.sender_verdict,
            created_at: row.created_at,
        }
    }
}

/// A new text that came by mail and waits for (or got) an editor's decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalView {
    pub id: i64,
    /// `pending`, `accepted` or `discarded`.
    #[schema(value_type = String)]
    pub status: ProposalStatus,
    /// The sender-authentication verdict of the reply that brought it
    /// (`pass`, `fail`, `none`).
    #[schema(value_type = String)]
    pub sender_verdict: AuthVerdict,
    pub body_text: String,
    pub word_count: i32,
    pub received_at: DateTime<Utc>,
    pub decided_by: Option<UserView>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The revision it became, once accepted.
    pub revision: Option<i32>,
}

impl From<ProposalRow> for ProposalView {
    fn from(row: ProposalRow) -> Self {
        ProposalView {
            id: row.id,
            status: row.status,
            sender_verdict: row.sender_verdict,
            body_text: row.body_text,
            word_count: row.word_count,
            received_at: row.created_at,
            decided_by: row.decided_by.map(UserView::from),
            decided_at: row.decided_at,
            revision: row.revision_number,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CorrespondenceView {
    /// `inbound` (mail in: from the author, or filed by an editor) or
    /// `outbound` (sent by the desk).
    #[schema(value_type = String)]
    pub direction: Direction,
    pub subject: Option<String>,
    pub body_text: String,
    pub at: DateTime<Utc>,
    /// The sender of an inbound letter: the author, or someone whose mail
    /// an editor filed with the piece from the inbox.
    pub sender_email: Option<String>,
}

impl From<CorrespondenceRow> for CorrespondenceView {
    fn from(row: CorrespondenceRow) -> Self {
        CorrespondenceView {
            direction: row.direction,
            subject: row.subject,
            body_text: row.body_text,
            at: row.created_at,
            sender_email: row.sender_email,
        }
    }
}
