//! Submissions in the database, as editors read and edit them.

use chrono::{DateTime, Utc};
use diesel::dsl::{self, case_when, sql};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DbError};
use diesel::sql_types::{Bool, Text};

use super::edit::{ValidEdit, may_edit};
use super::error::PieceError;
use super::lock;
use super::revision::{self, Changes, Origin};
use super::search;
use super::withdrawal;
use crate::auth::Actor;
use crate::auth::models::AccountStanding;
use crate::db::cursor::{Cursor, DeadlineCursor, RelevanceCursor};
use crate::db::models::{AttachmentInfo, Submission};
use crate::domain::{
    AuthVerdict, Direction, HistoryAction, ProposalStatus, RevisionSource, State, SubmissionId,
    UserId, WebhookEvent,
};
use crate::publishing::Site;
use crate::schema::{
    attachments, correspondence as letters, inbound_messages, proposed_revisions,
    submission_history, submission_notes, submission_revisions, submission_similarities,
    submissions, users,
};

/// A submission with what its page shows beside it.
#[derive(Debug, Clone)]
pub struct SubmissionRecord {
    pub row: Submission,
    pub assignee: Option<UserRef>,
    pub attachments: Vec<AttachmentInfo>,
    /// New texts from the author's mail that wait for an editor.
    pub pending_proposals: i64,
    /// Pieces of the last 180 days with much the same text, most similar first.
    pub near_duplicates: Vec<NearDuplicatePiece>,
    /// Withdrawn by the author, who has not consented again: no reopening
    /// yet (`withdrawal`).
    pub awaiting_author_consent: bool,
    /// Who the piece is probably by when its mail says so (a byline line, a
    /// forward), `{"name", "email"}` (`inbound_messages.forwarded_from`).
    pub forwarded_from: Option<serde_json::Value>,
    /// The piece's post on the site's WordPress, once it has one.
    pub wordpress_post: Option<crate::wordpress::store::WordpressPost>,
}

/// Another piece found to have much the same text (`submissions::near_duplicates`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct NearDuplicatePiece {
    pub id: i64,
    pub reference: String,
    /// 0 to 1.
    pub similarity: f32,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct UserRef {
    pub id: i64,
    pub name: String,
}

/// The piece with its assignee, its waiting proposals and its attachments,
/// in one prepared statement (the attachments come as JSON from a function of
/// the migrations: SQL text in the statement would be planned on every call).
pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Option<SubmissionRecord>> {
    submissions::table
        .filter(submissions::id.eq(id))
        .select((
            Submission::as_select(),
            assignee_name(),
            pending_proposals(),
            attachments_of(id),
            near_duplicates_of(id),
            forwarded_from(),
        ))
        .get_result::<(
            Submission,
            Option<String>,
            Option<i64>,
            Option<serde_json::Value>,
            Option<serde_json::Value>,
            Option<serde_json::Value>,
        )>(conn)
        .optional()?
        .map(
            |(row, assignee, pending, attachments, near_duplicates, forwarded)| {
                record(
                    row,
                    assignee,
                    pending,
                    attachments,
                    near_duplicates,
                    forwarded,
                )
            },
        )
        .transpose()?
        .map(|record| with_withdrawal(conn, record))
        .transpose()
}

/// Notes whether a withdrawn piece waits for its author's consent: a
/// statement more for withdrawn pieces only, the rare ones; and the
/// WordPress post of a piece ever published, a statement more for those.
fn with_withdrawal(
    conn: &mut PgConnection,
    mut record: SubmissionRecord,
) -> QueryResult<SubmissionRecord> {
    if record.row.published_at.is_some() {
        record.wordpress_post = crate::wordpress::store::find(conn, record.row.id)?;
    }
    if record.row.state == State::Withdrawn {
        record.awaiting_author_consent = withdrawal::last(conn, record.row.id)?
            .is_some_and(withdrawal::Withdrawal::awaits_author);
    }
    Ok(record)
}

diesel::alias!(users as assignees: Assignees);

diesel::define_sql_function! {
    /// The attachments' [`AttachmentInfo`] as a JSON array, oldest first
    /// (a function of the migrations, so the statement stays prepared).
    fn submission_attachments(submission: diesel::sql_types::BigInt) -> diesel::sql_types::Jsonb;
}

diesel::define_sql_function! {
    /// The [`NearDuplicatePiece`]s as a JSON array, most similar first (the
    /// migration's name for them, kept: see `near_duplicates`).
    fn submission_similar(submission: diesel::sql_types::BigInt) -> diesel::sql_types::Jsonb;
}

/// [`find`] and the standing of the account that asks, in one statement:
/// what the editors' detail reads on every request. `None` when there is no
/// such account; a submission of `None` when there is no such piece.
pub fn find_for(
    conn: &mut PgConnection,
    id: SubmissionId,
    account: UserId,
) -> QueryResult<Option<(AccountStanding, Option<SubmissionRecord>)>> {
    // Driven by the account's row, so the standing comes back even when
    // there is no such piece. At most one row: no LIMIT node to start.
    let found = users::table
        .filter(users::id.eq(account))
        .left_join(submissions::table.on(submissions::id.eq(id)))
        .select((
            AccountStanding::as_select(),
            Option::<Submission>::as_select(),
            assignee_name(),
            pending_proposals(),
            attachments_of(id.0),
            near_duplicates_of(id.0),
            forwarded_from(),
        ))
        .get_result::<(
            AccountStanding,
            Option<Submission>,
            Option<String>,
            Option<i64>,
            Option<serde_json::Value>,
            Option<serde_json::Value>,
            Option<serde_json::Value>,
        )>(conn)
        .optional()?;
    let Some((standing, row, assignee, pending_proposals, attachments, similar, forwarded)) = found
    else {
        return Ok(None);
    };
    let record = row
        .map(|row| {
            record(
                row,
                assignee,
                pending_proposals,
                attachments,
                similar,
                forwarded,
            )
        })
        .transpose()?
        .map(|record| with_withdrawal(conn, record))
        .transpose()?;
    Ok(Some((standing, record)))
}

/// A [`SubmissionRecord`] from the columns [`find`] and [`find_for`] read.
fn record(
    row: Submission,
    assignee_name: Option<String>,
    pending_proposals: Option<i64>,
    attachments: Option<serde_json::Value>,
    near_duplicates: Option<serde_json::Value>,
    forwarded_from: Option<serde_json::Value>,
) -> QueryResult<SubmissionRecord> {
    fn list<T: serde::de::DeserializeOwned>(
        json: Option<serde_json::Value>,
    ) -> QueryResult<Vec<T>> {
        json.map_or(Ok(Vec::new()), |json| {
            serde_json::from_value(json).map_err(|err| DbError::DeserializationError(err.into()))
        })
    }
    let assignee = row
        .assignee_id
        .zip(assignee_name)
        .map(|(id, name)| UserRef { id, name });
    Ok(SubmissionRecord {
        row,
        assignee,
        attachments: list(attachments)?,
        pending_proposals: pending_proposals.unwrap_or(0),
        near_duplicates: list(near_duplicates)?,
        awaiting_author_consent: false,
        forwarded_from,
        wordpress_post: None,
    })
}

/// Whom the submission's message says its piece is by (a byline line, a
/// forward), NULL for most: one probe by primary key.
#[diesel::dsl::auto_type]
fn forwarded_from() -> _ {
    inbound_messages::table
        .filter(inbound_messages::id.eq(submissions::inbound_message_id))
        .select(inbound_messages::forwarded_from)
        .single_value()
}

/// The piece's attachments as JSON, or NULL when it has none. The function
/// is called only behind the index probe: most pieces have none, and a
/// PL/pgSQL call costs the statement far more than the probe that skips it.
#[diesel::dsl::auto_type]
fn attachments_of(id: i64) -> _ {
    case_when(
        dsl::exists(attachments::table.filter(attachments::submission_id.eq(id))),
        submission_attachments(id),
    )
}

/// The piece's near-duplicates as JSON, or NULL when it has none (called
/// only behind the index probe, as [`attachments_of`]).
#[diesel::dsl::auto_type]
fn near_duplicates_of(id: i64) -> _ {
    case_when(
        dsl::exists(
            submission_similarities::table.filter(submission_similarities::submission_id.eq(id)),
        ),
        submission_similar(id),
    )
}

/// The name of the piece's assignee. A subquery rather than a join: the
/// users table is small, and PostgreSQL joins it by hashing all of it, a hash
/// table built on every call that cost the detail's statement more than the
/// rest of its subqueries together.
#[diesel::dsl::auto_type]
fn assignee_name() -> _ {
    assignees
        .filter(
            assignees
                .field(users::id)
                .nullable()
                .eq(submissions::assignee_id),
        )
        .select(assignees.field(users::name))
        .single_value()
}

/// How many of the piece's proposed revisions wait for an editor.
#[diesel::dsl::auto_type]
fn pending_proposals() -> _ {
    let pending: ProposalStatus = ProposalStatus::Pending;
    proposed_revisions::table
        .filter(
            proposed_revisions::submission_id
                .nullable()
                .eq(submissions::id.nullable()),
        )
        .filter(proposed_revisions::status.eq(pending))
        .count()
        .single_value()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Anyone,
    Nobody,
    User(i64),
}

#[derive(Debug, Clone)]
pub struct ListFilter {
    pub states: Vec<State>,
    pub assignee: AssigneeFilter,
    /// Full-text search (web-search syntax: words, "phrases", -excluded).
    pub query: Option<String>,
    pub received_after: Option<DateTime<Utc>>,
    pub received_before: Option<DateTime<Utc>>,
    /// Only pieces still waiting for an answer (`draft`, `in_review`) whose
    /// window closes before this.
    pub respond_before: Option<DateTime<Utc>>,
    /// Only pieces sent back to the author for changes and not yet
    /// answered ([`WAITING_FOR_AUTHOR`]).
    pub waiting_for_author: bool,
    pub order: ListOrder,
    pub limit: i64,
}

/// A piece waits for its author when the desk asked for changes, the last
/// transition that brought it back to `draft` was that request, and no
/// new text came since (`revised_at`, set by the author's reply, cleared
/// when review starts again).
const WAITING_FOR_AUTHOR: &str = "submissions.state = 'draft' AND submissions.revised_at IS NULL \
     AND (SELECT h.action FROM submission_history h \
          WHERE h.submission_id = submissions.id AND h.to_state = 'draft' AND h.from_state <> 'draft' \
          ORDER BY h.created_at DESC, h.id DESC LIMIT 1) = 'request_changes'";

/// How many pieces came in after `since`: the count beside the desk's
/// "new since my last visit".
pub fn count_received_after(conn: &mut PgConnection, since: DateTime<Utc>) -> QueryResult<i64> {
    submissions::table
        .filter(submissions::received_at.gt(since))
        .count()
        .get_result(conn)
}

/// What the queue marks on a row, beside its own fields.
#[derive(Debug, Clone, Copy, QueryableByName)]
pub struct RowMarks {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    /// Sent back for changes and not answered yet ([`WAITING_FOR_AUTHOR`]).
    #[diesel(sql_type = Bool)]
    pub waiting_for_author: bool,
    /// The author wrote since the desk last acted on the piece: a text
    /// applied since review last started (`revised_at`), one waiting for an
    /// editor (a pending proposal), or a letter after the desk's last act.
    #[diesel(sql_type = Bool)]
    pub new_from_author: bool,
    /// How many pieces of the last 180 days have much the same text.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub near_duplicates: i64,
}

/// The marks of each of `ids` (a page of a list), in one statement.
pub fn marks(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<RowMarks>> {
    diesel::sql_query(format!(
        // A piece with no history makes the comparison NULL: not waiting.
        "SELECT submissions.id, coalesce(({WAITING_FOR_AUTHOR}), false) AS waiting_for_author, \
         (submissions.revised_at IS NOT NULL OR EXISTS (SELECT 1 FROM proposed_revisions p \
            WHERE p.submission_id = submissions.id AND p.status = 'pending') \
          OR EXISTS (SELECT 1 FROM correspondence c \
            WHERE c.submission_id = submissions.id AND c.direction = 'inbound' \
            AND c.created_at > coalesce((SELECT max(h.created_at) FROM submission_history h \
              WHERE h.submission_id = submissions.id AND h.actor_id IS NOT NULL), '-infinity'))) \
         AS new_from_author, \
         (SELECT count(*) FROM submission_similarities s \
            WHERE s.submission_id = submissions.id) AS near_duplicates \
         FROM submissions WHERE submissions.id = ANY($1)"
    ))
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(ids)
    .load(conn)
}

/// The order of a list, with where the page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    /// Newest first (by `received_at`).
    Newest { after: Option<Cursor> },
    /// The soonest `respond_by` first: what the desk must answer next.
    Deadline { after: Option<DeadlineCursor> },
    /// A search's matches by relevance: the pieces whose title matches
    /// first, then those that match in their author or text, each part
    /// newest first. Without a search, newest first.
    Relevance { after: Option<RelevanceCursor> },
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = submissions)]
pub struct ListRow {
    pub id: i64,
    pub reference: String,
    pub state: State,
    pub title: String,
    pub author_name: Option<String>,
    pub author_email: String,
    pub received_at: DateTime<Utc>,
    pub respond_by: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub word_count: i32,
    pub assignee_id: Option<i64>,
    pub suspicious: bool,
    pub version: i32,
}

/// A page of a list, with one row more than `limit` when more follow.
#[derive(Debug)]
pub struct Listed {
    pub rows: Vec<ListRow>,
    /// In relevance order, how many of the first rows match by their title.
    pub title_matches: usize,
}

/// One page in the order `filter` asks for. A search newest first looks in
/// its recent slice first ([`search::recent_slice_start`]), by `statistics` of
/// the search column.
pub fn list(
    conn: &mut PgConnection,
    filter: &ListFilter,
    statistics: &search::SearchStatistics,
) -> QueryResult<Listed> {
    let rows = match (&filter.query, filter.order) {
        (Some(text), ListOrder::Newest { after }) => {
            newest_matches(conn, filter, text, after, Part::All, statistics)?
        }
        (Some(text), ListOrder::Relevance { after }) => {
            return by_relevance(conn, filter, text, after, statistics);
        }
        (_, order) => load_page(conn, filter, Page::in_order(order))?,
    };
    Ok(Listed {
        rows,
        title_matches: 0,
    })
}

/// Which of a search's matches a page is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    All,
    /// Pieces whose title alone matches.
    TitleMatches,
    /// The other matches: by author or text.
    ElsewhereMatches,
}

/// What one statement reads: the order and where it starts, which matches,
/// and, for a search's recent slice, from when.
#[derive(Debug, Clone, Copy)]
struct Page {
    walk: Walk,
    part: Part,
    received_from: Option<DateTime<Utc>>,
}

/// The order one statement reads in: relevance is read part by part
/// ([`by_relevance`]), each newest first.
#[derive(Debug, Clone, Copy)]
enum Walk {
    Newest(Option<Cursor>),
    Deadline(Option<DeadlineCursor>),
}

impl Page {
    /// `order` as one statement reads it; relevance without a search (no
    /// parts) is newest first.
    fn in_order(order: ListOrder) -> Page {
        let walk = match order {
            ListOrder::Newest { after } => Walk::Newest(after),
            ListOrder::Deadline { after } => Walk::Deadline(after),
            ListOrder::Relevance { after } => Walk::Newest(after.map(RelevanceCursor::within_part)),
        };
        Page {
            walk,
            part: Part::All,
            received_from: None,
        }
    }

    fn newest(after: Option<Cursor>) -> Page {
        Page::in_order(ListOrder::Newest { after })
    }
}

/// A search's matches of `part`, newest first after `after`. Looks in the
/// recent slice first, and everywhere when it holds less than a page.
fn newest_matches(
    conn: &mut PgConnection,
    filter: &ListFilter,
    text: &str,
    after: Option<Cursor>,
    part: Part,
    statistics: &search::SearchStatistics,
) -> QueryResult<Vec<ListRow>> {
    let page = Page {
        part,
        ..Page::newest(after)
    };
    // No transaction is needed: whatever arrives between the statements, a
    // slice that holds more than a page holds the newest matches. Nor a
    // cached plan to avoid: a statement with the words in it is planned for
    // them each time (diesel does not keep it prepared).
    if let Some(start) =
        search::recent_slice_start(conn, statistics, text, after, filter.limit + 1)?
    {
        let rows = load_page(
            conn,
            filter,
            Page {
                received_from: Some(start),
                ..page
            },
        )?;
        if rows.len() as i64 > filter.limit {
            return Ok(rows);
        }
    }
    load_page(conn, filter, page)
}

/// A page by relevance: title matches newest first, then, when they run
/// out, the other matches newest first. Title matches are found through the
/// titles' own index, so a word common in texts and rare in titles does not
/// make PostgreSQL read every text it is in.
fn by_relevance(
    conn: &mut PgConnection,
    filter: &ListFilter,
    text: &str,
    after: Option<RelevanceCursor>,
    statistics: &search::SearchStatistics,
) -> QueryResult<Listed> {
    let mut rows = Vec::new();
    if after.is_none_or(|cursor| cursor.title_match) {
        let page = Page {
            part: Part::TitleMatches,
            ..Page::newest(after.map(RelevanceCursor::within_part))
        };
        rows = load_page(conn, filter, page)?;
        if rows.len() as i64 > filter.limit {
            return Ok(Listed {
                title_matches: rows.len(),
                rows,
            });
        }
    }
    let title_matches = rows.len();
    let elsewhere_after = after
        .filter(|cursor| !cursor.title_match)
        .map(RelevanceCursor::within_part);
    let wanted = ListFilter {
        limit: filter.limit - title_matches as i64,
        ..filter.clone()
    };
    rows.extend(newest_matches(
        conn,
        &wanted,
        text,
        elsewhere_after,
        Part::ElsewhereMatches,
        statistics,
    )?);
    Ok(Listed {
        rows,
        title_matches,
    })
}

/// The rows of `page`, as `filter` picks them: one more than its limit.
fn load_page(
    conn: &mut PgConnection,
    filter: &ListFilter,
    page: Page,
) -> QueryResult<Vec<ListRow>> {
    let mut query = submissions::table.select(ListRow::as_select()).into_boxed();
    if let Some(from) = page.received_from {
        query = query.filter(submissions::received_at.ge(from));
    }
    match filter.states.as_slice() {
        [] => {}
        // `state = $1`, not `= ANY($1)`: PostgreSQL then walks the
        // (state, received_at, id) index for both the filter and the order.
        [one] => query = query.filter(submissions::state.eq(one)),
        several => query = query.filter(submissions::state.eq_any(several)),
    }
    query = match filter.assignee {
        AssigneeFilter::Anyone => query,
        AssigneeFilter::Nobody => query.filter(submissions::assignee_id.is_null()),
        AssigneeFilter::User(id) => query.filter(submissions::assignee_id.eq(id)),
    };
    if let Some(text) = &filter.query {
        // search_query and search_words: migration …000701_search_by_language.
        query = query.filter(
            sql::<Bool>("submissions.search @@ search_query(")
                .bind::<Text, _>(text.clone())
                .sql(")"),
        );
        let title_matches = || {
            sql::<Bool>("search_words(submissions.title) @@ search_query(")
                .bind::<Text, _>(text.clone())
                .sql(")")
        };
        query = match page.part {
            Part::All => query,
            Part::TitleMatches => query.filter(title_matches()),
            Part::ElsewhereMatches => query.filter(dsl::not(title_matches())),
        };
    }
    if let Some(after) = filter.received_after {
        query = query.filter(submissions::received_at.gt(after));
    }
    if let Some(before) = filter.received_before {
        query = query.filter(submissions::received_at.lt(before));
    }
    if let Some(before) = filter.respond_before {
        query = query
            .filter(submissions::state.eq_any([State::Draft, State::InReview]))
            .filter(submissions::respond_by.lt(before));
    }
    if filter.waiting_for_author {
        query = query.filter(sql::<Bool>(WAITING_FOR_AUTHOR));
    }
    query = match page.walk {
        Walk::Newest(after) => {
            if let Some(cursor) = after {
                query = query.filter(cursor.older_pieces());
            }
            query.order((submissions::received_at.desc(), submissions::id.desc()))
        }
        Walk::Deadline(after) => {
            if let Some(cursor) = after {
                query = query.filter(cursor.due_later());
            }
            query.order((submissions::respond_by.asc(), submissions::id.asc()))
        }
    };
    query.limit(filter.limit + 1).load(conn)
}

/// How many pieces are in each state (states with none are left out), for
/// the desk's queue.
pub fn count_by_state(conn: &mut PgConnection) -> QueryResult<Vec<(State, i64)>> {
    submissions::table
        .group_by(submissions::state)
        .select((submissions::state, diesel::dsl::count_star()))
        .load(conn)
}

/// Applies `editor`'s edit made against `expected_version`, keeping a
/// revision when the title or text changes. A scheduled or published piece
/// is a publisher's to edit; editing a published piece tells the site.
pub fn edit(
    conn: &mut PgConnection,
    id: i64,
    expected_version: i32,
    edit: &ValidEdit,
    editor: Actor,
    site: &Site,
) -> Result<SubmissionRecord, PieceError> {
    conn.transaction(|conn| {
        let piece = lock::lock(conn, SubmissionId(id))?;
        let state = piece.state;
        // Who may act is checked first: the answer holds at any version.
        if !may_edit(state, editor.role) {
            return Err(PieceError::PublisherOnly { state });
        }
        let piece = piece.at(expected_version)?;
        // Once published, a piece keeps its address: links to it must keep
        // working (or answer 410 after a retraction).
        if piece.published_at.is_some()
            && edit
                .slug
                .as_ref()
                .is_some_and(|wanted| wanted.as_deref() != piece.slug.as_deref())
        {
            return Err(PieceError::SlugLocked);
        }
        if !edit.is_empty() {
            let changes = Changes {
                title: edit.title.as_deref(),
                standfirst: edit.standfirst.as_ref().map(Option::as_deref),
                body_text: edit.body.as_ref().map(|body| body.text.as_str()),
                body_html: edit.body.as_ref().map(|body| body.html.as_str()),
                word_count: edit.body.as_ref().map(|body| body.word_count),
                author_bio: edit.author_bio.as_ref().map(Option::as_deref),
                slug: edit.slug.as_ref().map(Option::as_deref),
                tags: edit
                    .tags
                    .as_ref()
                    .map(|tags| tags.iter().cloned().map(Some).collect()),
            };
            let origin = edit.touches_text().then_some(Origin::Editor {
                user: UserId(editor.user_id),
            });
            revision::revise(conn, SubmissionId(id), changes, origin).map_err(slug_conflict)?;
            if state == State::Published {
                crate::outbox::enqueue_webhook(conn, id, WebhookEvent::Updated, site, Utc::now())?;
            }
        }
        find(conn, id)?.ok_or(PieceError::NotFound)
    })
}

fn slug_conflict(err: DbError) -> PieceError {
    match &err {
        DbError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
            if info.constraint_name() == Some("submissions_slug") =>
        {
            PieceError::SlugTaken
        }
        _ => PieceError::Database(err),
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct RevisionRow {
    pub number: i32,
    pub title: String,
    pub body_text: String,
    pub source: RevisionSource,
    pub editor: Option<UserRef>,
    pub sender_verdict: Option<AuthVerdict>,
    pub created_at: DateTime<Utc>,
}

/// Every text the piece has had, newest first. A piece whose text never
/// changed has one: the text it arrived with, held by the piece itself.
pub fn revisions(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<RevisionRow>> {
    let written = written_revisions(conn, id)?;
    if !written.is_empty() {
        return Ok(written);
    }
    let original: Option<(String, String, DateTime<Utc>)> = submissions::table
        .find(id)
        .select((
            submissions::title,
            submissions::body_text,
            submissions::received_at,
        ))
        .first(conn)
        .optional()?;
    Ok(original
        .map(|(title, body_text, received_at)| RevisionRow {
            number: 1,
            title,
            body_text,
            source: RevisionSource::Email,
            editor: None,
            sender_verdict: None,
            created_at: received_at,
        })
        .into_iter()
        .collect())
}

fn written_revisions(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<RevisionRow>> {
    submission_revisions::table
        .left_join(users::table.on(users::id.nullable().eq(submission_revisions::editor_id)))
        .filter(submission_revisions::submission_id.eq(id))
        .order(submission_revisions::number.desc())
        .select((
            submission_revisions::number,
            submission_revisions::title,
            submission_revisions::body_text,
            submission_revisions::source,
            (users::id, users::name).nullable(),
            submission_revisions::sender_verdict,
            submission_revisions::created_at,
        ))
        .load(conn)
}

#[derive(Debug, Clone, Queryable)]
pub struct HistoryRow {
    pub action: HistoryAction,
    pub from_state: State,
    pub to_state: State,
    pub actor: Option<UserRef>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub fn history(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<HistoryRow>> {
    submission_history::table
        .left_join(users::table.on(users::id.nullable().eq(submission_history::actor_id)))
        .filter(submission_history::submission_id.eq(id))
        .order(submission_history::id)
        .select((
            submission_history::action,
            submission_history::from_state,
            submission_history::to_state,
            (users::id, users::name).nullable(),
            submission_history::note,
            submission_history::created_at,
        ))
        .load(conn)
}

#[derive(Debug, Clone, Queryable)]
pub struct NoteRow {
    pub id: i64,
    pub author: UserRef,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

pub fn notes(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<NoteRow>> {
    submission_notes::table
        .inner_join(users::table.on(users::id.eq(submission_notes::author_id)))
        .filter(submission_notes::submission_id.eq(id))
        .order(submission_notes::id)
        .select((
            submission_notes::id,
            (users::id, users::name),
            submission_notes::body,
            submission_notes::created_at,
        ))
        .load(conn)
}

pub fn add_note(
    conn: &mut PgConnection,
    id: SubmissionId,
    author_id: UserId,
    body: &str,
) -> QueryResult<NoteRow> {
    let note_id: i64 = diesel::insert_into(submission_notes::table)
        .values((
            submission_notes::submission_id.eq(id),
            submission_notes::author_id.eq(author_id),
            submission_notes::body.eq(body),
        ))
        .returning(submission_notes::id)
        .get_result(conn)?;
    submission_notes::table
        .inner_join(users::table.on(users::id.eq(submission_notes::author_id)))
        .filter(submission_notes::id.eq(note_id))
        .select((
            submission_notes::id,
            (users::id, users::name),
            submission_notes::body,
            submission_notes::created_at,
        ))
        .first(conn)
}

pub fn exists(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(submissions::table.find(id))).get_result(conn)
}

/// An attached file as it arrived.
#[derive(Debug, Clone, Queryable)]
pub struct AttachmentFile {
    pub filename: Option<String>,
    pub content_type: String,
    pub content: Vec<u8>,
}

pub fn attachment_file(
    conn: &mut PgConnection,
    id: i64,
    n: i32,
) -> QueryResult<Option<AttachmentFile>> {
    attachments::table
        .filter(attachments::submission_id.eq(id))
        .filter(attachments::n.eq(n))
        .select((
            attachments::filename,
            attachments::content_type,
            attachments::content,
        ))
        .first(conn)
        .optional()
}

#[derive(Debug, Clone, Queryable)]
pub struct CorrespondenceRow {
    pub id: i64,
    pub direction: Direction,
    pub subject: Option<String>,
    pub body_text: String,
    pub created_at: DateTime<Utc>,
    /// Who sent a letter that came in: the author, or (mail an editor filed
    /// with the piece from the inbox) someone else.
    pub sender_email: Option<String>,
}

pub fn correspondence(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<CorrespondenceRow>> {
    letters::table
        .left_join(inbound_messages::table)
        .filter(letters::submission_id.eq(id))
        .order((letters::created_at, letters::id))
        .select((
            letters::id,
            letters::direction,
            letters::subject,
            letters::body_text,
            letters::created_at,
            inbound_messages::sender_email.nullable(),
        ))
        .load(conn)
}

/// The text and time of letter `letter` from the author of piece `id`: what an editor
/// may take as the piece's new text. `None` for a letter the desk sent, or
/// one of another piece.
pub fn author_letter_text(
    conn: &mut PgConnection,
    id: i64,
    letter: i64,
) -> QueryResult<Option<(String, DateTime<Utc>)>> {
    letters::table
        .filter(letters::id.eq(letter))
        .filter(letters::submission_id.eq(id))
        .filter(letters::direction.eq(Direction::Inbound))
        .select((letters::body_text, letters::created_at))
        .first(conn)
        .optional()
}
