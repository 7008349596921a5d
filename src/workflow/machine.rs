//! States, actions and who may do what: the spec's table, as data. Pure: the
//! clock comes in as an argument.

use chrono::{DateTime, Utc};

use crate::auth::Role;
use crate::domain::WebhookEvent;

pub use crate::domain::{Action, State};

/// What a transition sets in motion besides the state change; each becomes
/// an outbox row in the same transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// An email to the author, named by its template.
    EmailAuthor(&'static str),
    /// A webhook event to the site.
    Webhook(WebhookEvent),
}

/// Who takes an action: someone at the desk with at least a role (the
/// scheduler counts as a publisher), or the author through their status link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Desk(Role),
    Author,
}

struct Rule {
    action: Action,
    from: &'static [State],
    to: State,
    by: Party,
    effects: &'static [Effect],
}

use State::*;

/// The spec's table, row for row.
const RULES: &[Rule] = &[
    Rule {
        action: Action::StartReview,
        from: &[Draft],
        to: InReview,
        by: Party::Desk(Role::Editor),
        effects: &[],
    },
    Rule {
        action: Action::RequestChanges,
        from: &[InReview],
        to: Draft,
        by: Party::Desk(Role::Editor),
        effects: &[Effect::EmailAuthor("changes_requested")],
    },
    Rule {
        action: Action::Approve,
        from: &[InReview],
        to: Approved,
        by: Party::Desk(Role::Editor),
        effects: &[Effect::EmailAuthor("approved")],
    },
    Rule {
        action: Action::Reject,
        from: &[Draft, InReview],
        to: Rejected,
        by: Party::Desk(Role::Editor),
        effects: &[Effect::EmailAuthor("rejected")],
    },
    Rule {
        action: Action::ReturnToReview,
        from: &[Approved, Scheduled],
        to: InReview,
        by: Party::Desk(Role::Editor),
        effects: &[],
    },
    Rule {
        action: Action::Schedule,
        from: &[Approved],
        to: Scheduled,
        by: Party::Desk(Role::Publisher),
        effects: &[],
    },
    Rule {
        action: Action::Unschedule,
        from: &[Scheduled],
        to: Approved,
        by: Party::Desk(Role::Publisher),
        effects: &[],
    },
    Rule {
        action: Action::Publish,
        from: &[Approved, Scheduled],
        to: Published,
        by: Party::Desk(Role::Publisher),
        effects: &[
            Effect::Webhook(WebhookEvent::Published),
            Effect::EmailAuthor("published"),
        ],
    },
    Rule {
        action: Action::Unpublish,
        from: &[Published],
        to: Approved,
        by: Party::Desk(Role::Publisher),
        effects: &[Effect::Webhook(WebhookEvent::Unpublished)],
    },
    Rule {
        action: Action::Withdraw,
        from: &[Draft, InReview, Approved, Scheduled],
        to: Withdrawn,
        by: Party::Desk(Role::Editor),
        effects: &[],
    },
    Rule {
        action: Action::Reopen,
        from: &[Rejected, Withdrawn],
        to: Draft,
        by: Party::Desk(Role::Editor),
        effects: &[],
    },
    // The author takes the piece back before it is published (the reason,
    // if any, is the note). Not in the spec's table, which is the desk's.
    Rule {
        action: Action::AuthorWithdraw,
        from: &[Draft, InReview, Approved, Scheduled],
        to: Withdrawn,
        by: Party::Author,
        effects: &[],
    },
];

/// What the caller asks for.
#[derive(Debug, Clone, Default)]
pub struct TransitionRequest {
    pub note: Option<String>,
    pub assignee: Option<i64>,
    pub publish_at: Option<DateTime<Utc>>,
    /// `reopen`, `return_to_review`: the piece's new response deadline, the
    /// window counted again from now (the author has had an answer; a new
    /// promise starts). `None` keeps the old one.
    pub reopened_respond_by: Option<DateTime<Utc>>,
}

/// A transition that may be applied as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub action: Action,
    pub from: State,
    pub to: State,
    pub note: Option<String>,
    /// `start_review`: who the piece is now assigned to.
    pub assignee: Option<i64>,
    /// `schedule`: when the scheduler publishes it.
    pub publish_at: Option<DateTime<Utc>>,
    pub effects: &'static [Effect],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("`{action}` needs the {needed} role")]
    RoleTooLow { action: Action, needed: Role },
    #[error("`{action}` is not possible from `{state}`")]
    NotFromState { action: Action, state: State },
    #[error("`{action}` needs `{field}`")]
    MissingField { action: Action, field: &'static str },
    #[error("`publish_at` must be in the future")]
    PublishAtInPast,
    #[error("`{action}` is the author's own, taken through their status link")]
    AuthorsOnly { action: Action },
    #[error(
        "the author has not confirmed that the piece is exclusive: `{action}` needs a note saying why it goes ahead"
    )]
    ExclusivityUnconfirmed { action: Action },
    #[error(
        "the author withdrew the piece through their status link: it is reopened only once they consent again (on that link, or by a new mail about the piece)"
    )]
    WithdrawnByAuthor { action: Action },
    /// An action outside the table (`hold`), taken at its own endpoint.
    #[error("`{action}` is not a transition: POST /api/v1/submissions/{{id}}/{action}")]
    NotATransition { action: Action },
}

fn rule(action: Action) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.action == action)
}

/// Checks `action` from `state` by someone with `role` (the scheduler acts as
/// a publisher) and returns the transition to apply.
pub fn plan(
    state: State,
    action: Action,
    role: Role,
    actor_id: Option<i64>,
    request: TransitionRequest,
    now: DateTime<Utc>,
) -> Result<Transition, WorkflowError> {
    plan_for(state, action, Party::Desk(role), actor_id, request, now)
}

/// [`plan`] for any party. Who may act is checked first: someone who may
/// never take an action learns nothing from the state.
pub fn plan_for(
    state: State,
    action: Action,
    party: Party,
    actor_id: Option<i64>,
    request: TransitionRequest,
    now: DateTime<Utc>,
) -> Result<Transition, WorkflowError> {
    let rule = rule(action).ok_or(WorkflowError::NotATransition { action })?;
    match (rule.by, party) {
        (Party::Desk(needed), Party::Desk(role)) if !role.includes(needed) => {
            return Err(WorkflowError::RoleTooLow { action, needed });
        }
        (Party::Desk(needed), Party::Author) => {
            return Err(WorkflowError::RoleTooLow { action, needed });
        }
        (Party::Author, Party::Desk(_)) => return Err(WorkflowError::AuthorsOnly { action }),
        _ => {}
    }
    if !rule.from.contains(&state) {
        return Err(WorkflowError::NotFromState { action, state });
    }
    let note = request
        .note
        .map(|note| note.trim().to_string())
        .filter(|note| !note.is_empty());
    let needs_note = matches!(action, Action::RequestChanges | Action::Unpublish);
    if needs_note && note.is_none() {
        return Err(WorkflowError::MissingField {
            action,
            field: "note",
        });
    }
    let publish_at = match action {
        Action::Schedule => {
            let at = request.publish_at.ok_or(WorkflowError::MissingField {
                action,
                field: "publish_at",
            })?;
            if at <= now {
                return Err(WorkflowError::PublishAtInPast);
            }
            Some(at)
        }
        _ => None,
    };
    let assignee = match action {
        Action::StartReview => request.assignee.or(actor_id),
        _ => None,
    };
    Ok(Transition {
        action,
        from: state,
        to: rule.to,
        note,
        assignee,
        publish_at,
        effects: rule.effects,
    })
}

/// Whether a desk's `action` emails the author (so the desk can say so
/// before and after).
pub fn emails_author(action: Action) -> bool {
    rule(action).is_some_and(|rule| {
        rule.effects
            .iter()
            .any(|effect| matches!(effect, Effect::EmailAuthor(_)))
    })
}

/// The actions `role` may take from `state`, in the table's order.
pub fn allowed_actions(state: State, role: Role) -> Vec<Action> {
    RULES
        .iter()
        .filter(|rule| rule.from.contains(&state))
        .filter(|rule| matches!(rule.by, Party::Desk(needed) if role.includes(needed)))
        .map(|rule| rule.action)
        .collect()
}

/// [`allowed_actions`] for a piece as it is now: a piece the author
/// withdrew is not reopened while `awaiting_author_consent`.
pub fn allowed_now(state: State, role: Role, awaiting_author_consent: bool) -> Vec<Action> {
    let mut actions = allowed_actions(state, role);
    if awaiting_author_consent {
        actions.retain(|action| *action != Action::Reopen);
    }
    actions
}

/// A withdrawal by the author is final for the desk: `reopen` waits until
/// they consent again (`submissions::withdrawal`).
pub fn check_author_consent(
    transition: &Transition,
    awaiting_author_consent: bool,
) -> Result<(), WorkflowError> {
    if transition.action == Action::Reopen && awaiting_author_consent {
        return Err(WorkflowError::WithdrawnByAuthor {
            action: transition.action,
        });
    }
    Ok(())
}

/// Whether the author may still take `action` from `state`.
pub fn author_may(state: State, action: Action) -> bool {
    rule(action).is_some_and(|rule| rule.by == Party::Author && rule.from.contains(&state))
}

/// A publisher puts a piece before readers (`publish`, or `schedule`, which
/// publishes later without asking again) only when the author confirmed it
/// is exclusive, or with a note saying why it goes ahead anyway. The
/// scheduler is not asked: the publisher answered when scheduling.
pub fn check_exclusivity(
    transition: &Transition,
    exclusive_confirmed: Option<bool>,
) -> Result<(), WorkflowError> {
    let puts_before_readers = matches!(transition.action, Action::Publish | Action::Schedule);
    if puts_before_readers && exclusive_confirmed != Some(true) && transition.note.is_none() {
        return Err(WorkflowError::ExclusivityUnconfirmed {
            action: transition.action,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn now() -> DateTime<Utc> {
        "2026-11-26T12:00:00Z".parse().unwrap()
    }

    fn request() -> TransitionRequest {
        TransitionRequest {
            note: Some("a note".into()),
            assignee: None,
            publish_at: Some(now() + Duration::hours(1)),
            reopened_respond_by: None,
        }
    }

    /// The spec's table, written out independently of `RULES`.
    const TABLE: &[(Action, &[State], State, Role)] = &[
        (Action::StartReview, &[Draft], InReview, Role::Editor),
        (Action::RequestChanges, &[InReview], Draft, Role::Editor),
        (Action::Approve, &[InReview], Approved, Role::Editor),
        (Action::Reject, &[Draft, InReview], Rejected, Role::Editor),
        (
            Action::ReturnToReview,
            &[Approved, Scheduled],
            InReview,
            Role::Editor,
        ),
        (Action::Schedule, &[Approved], Scheduled, Role::Publisher),
        (Action::Unschedule, &[Scheduled], Approved, Role::Publisher),
        (
            Action::Publish,
            &[Approved, Scheduled],
            Published,
            Role::Publisher,
        ),
        (Action::Unpublish, &[Published], Approved, Role::Publisher),
        (
            Action::Withdraw,
            &[Draft, InReview, Approved, Scheduled],
            Withdrawn,
            Role::Editor,
        ),
        (Action::Reopen, &[Rejected, Withdrawn], Draft, Role::Editor),
    ];

    #[test]
    fn every_cell_of_the_table_is_right_for_every_role() {
        for &(action, from, to, needed) in TABLE {
            for state in State::ALL {
                for role in [Role::Editor, Role::Publisher, Role::Admin] {
                    let result = plan(state, action, role, Some(7), request(), now());
                    match (role.includes(needed), from.contains(&state)) {
                        (false, _) => assert_eq!(
                            result,
                            Err(WorkflowError::RoleTooLow { action, needed }),
                            "{action} by {role} from {state}"
                        ),
                        (true, false) => assert_eq!(
                            result,
                            Err(WorkflowError::NotFromState { action, state }),
                            "{action} by {role} from {state}"
                        ),
                        (true, true) => {
                            assert_eq!(result.unwrap().to, to, "{action} by {role} from {state}")
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn allowed_actions_follow_the_table() {
        assert_eq!(
            allowed_actions(Draft, Role::Editor),
            vec![Action::StartReview, Action::Reject, Action::Withdraw]
        );
        assert_eq!(
            allowed_actions(Approved, Role::Editor),
            vec![Action::ReturnToReview, Action::Withdraw]
        );
        assert_eq!(
            allowed_actions(Approved, Role::Publisher),
            vec![
                Action::ReturnToReview,
                Action::Schedule,
                Action::Publish,
                Action::Withdraw
            ]
        );
        assert_eq!(
            allowed_actions(Published, Role::Editor),
            Vec::<Action>::new()
        );
        assert_eq!(
            allowed_actions(Published, Role::Admin),
            vec![Action::Unpublish]
        );
    }

    #[test]
    fn start_review_assigns_the_actor_or_the_named_assignee() {
        let own = plan(
            Draft,
            Action::StartReview,
            Role::Editor,
            Some(7),
            TransitionRequest::default(),
            now(),
        )
        .unwrap();
        assert_eq!(own.assignee, Some(7));
        let named = TransitionRequest {
            assignee: Some(9),
            ..TransitionRequest::default()
        };
        let other = plan(
            Draft,
            Action::StartReview,
            Role::Editor,
            Some(7),
            named,
            now(),
        )
        .unwrap();
        assert_eq!(other.assignee, Some(9));
    }

    #[test]
    fn the_desk_says_which_actions_email_the_author() {
        assert!(emails_author(Action::Approve));
        assert!(emails_author(Action::Reject));
        assert!(emails_author(Action::RequestChanges));
        assert!(!emails_author(Action::StartReview));
        assert!(!emails_author(Action::Unpublish));
    }

    #[test]
    fn schedule_needs_a_future_publish_at() {
        let missing = TransitionRequest::default();
        assert_eq!(
            plan(
                Approved,
                Action::Schedule,
                Role::Publisher,
                Some(1),
                missing,
                now()
            ),
            Err(WorkflowError::MissingField {
                action: Action::Schedule,
                field: "publish_at"
            })
        );
        let past = TransitionRequest {
            publish_at: Some(now() - Duration::seconds(1)),
            ..TransitionRequest::default()
        };
        assert_eq!(
            plan(
                Approved,
                Action::Schedule,
                Role::Publisher,
                Some(1),
                past,
                now()
            ),
            Err(WorkflowError::PublishAtInPast)
        );
    }

    #[test]
    fn request_changes_and_unpublish_need_a_note() {
        for (state, action, role) in [
            (InReview, Action::RequestChanges, Role::Editor),
            (Published, Action::Unpublish, Role::Publisher),
        ] {
            let blank = TransitionRequest {
                note: Some("   ".into()),
                ..TransitionRequest::default()
            };
            assert_eq!(
                plan(state, action, role, Some(1), blank, now()),
                Err(WorkflowError::MissingField {
                    action,
                    field: "note"
                })
            );
        }
    }

    #[test]
    fn decisions_email_the_author_and_publishing_tells_the_site() {
        let effects = |state, action, role| {
            plan(state, action, role, Some(1), request(), now())
                .unwrap()
                .effects
        };
        assert_eq!(
            effects(InReview, Action::Approve, Role::Editor),
            &[Effect::EmailAuthor("approved")]
        );
        assert_eq!(
            effects(Draft, Action::Reject, Role::Editor),
            &[Effect::EmailAuthor("rejected")]
        );
        assert!(
            effects(Approved, Action::Publish, Role::Publisher)
                .contains(&Effect::Webhook(WebhookEvent::Published))
        );
        assert_eq!(
            effects(Published, Action::Unpublish, Role::Admin),
            &[Effect::Webhook(WebhookEvent::Unpublished)]
        );
        assert!(effects(Draft, Action::StartReview, Role::Editor).is_empty());
    }

    #[test]
    fn only_the_author_withdraws_as_the_author_and_only_before_publication() {
        for state in State::ALL {
            let by_author = plan_for(
                state,
                Action::AuthorWithdraw,
                Party::Author,
                None,
                TransitionRequest::default(),
                now(),
            );
            let open = matches!(state, Draft | InReview | Approved | Scheduled);
            assert_eq!(by_author.is_ok(), open, "{state}");
            assert_eq!(author_may(state, Action::AuthorWithdraw), open, "{state}");
            assert_eq!(
                plan(
                    state,
                    Action::AuthorWithdraw,
                    Role::Admin,
                    Some(1),
                    request(),
                    now()
                ),
                Err(WorkflowError::AuthorsOnly {
                    action: Action::AuthorWithdraw
                })
            );
            assert!(!allowed_actions(state, Role::Admin).contains(&Action::AuthorWithdraw));
        }
        assert!(!author_may(Draft, Action::Withdraw));
        assert_eq!(
            plan_for(
                Draft,
                Action::Reject,
                Party::Author,
                None,
                TransitionRequest::default(),
                now()
            ),
            Err(WorkflowError::RoleTooLow {
                action: Action::Reject,
                needed: Role::Editor
            })
        );
    }

    #[test]
    fn publishing_without_confirmed_exclusivity_needs_a_note() {
        let noteless = TransitionRequest {
            note: Some("  ".into()),
            ..request()
        };
        for (state, action) in [(Approved, Action::Publish), (Approved, Action::Schedule)] {
            let bare = plan(
                state,
                action,
                Role::Publisher,
                Some(1),
                noteless.clone(),
                now(),
            )
            .unwrap();
            for answer in [None, Some(false)] {
                assert_eq!(
                    check_exclusivity(&bare, answer),
                    Err(WorkflowError::ExclusivityUnconfirmed { action })
                );
            }
            assert_eq!(check_exclusivity(&bare, Some(true)), Ok(()));
            let noted = plan(state, action, Role::Publisher, Some(1), request(), now()).unwrap();
            assert_eq!(check_exclusivity(&noted, None), Ok(()));
        }
        let approve = plan(
            InReview,
            Action::Approve,
            Role::Editor,
            Some(1),
            TransitionRequest::default(),
            now(),
        )
        .unwrap();
        assert_eq!(check_exclusivity(&approve, None), Ok(()));
    }

    #[test]
    fn names_round_trip() {
        for state in State::ALL {
            assert_eq!(state.as_str().parse::<State>().unwrap(), state);
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
        }
        for action in Action::ALL {
            assert_eq!(serde_json::to_value(action).unwrap(), action.as_str());
        }
    }

    #[test]
    fn a_piece_the_author_withdrew_waits_for_their_consent() {
        let reopen = plan(
            Withdrawn,
            Action::Reopen,
            Role::Admin,
            Some(1),
            request(),
            now(),
        )
        .unwrap();
        assert_eq!(
            check_author_consent(&reopen, true),
            Err(WorkflowError::WithdrawnByAuthor {
                action: Action::Reopen
            })
        );
        assert_eq!(check_author_consent(&reopen, false), Ok(()));
        assert!(!allowed_now(Withdrawn, Role::Admin, true).contains(&Action::Reopen));
        assert!(allowed_now(Withdrawn, Role::Editor, false).contains(&Action::Reopen));
    }

    #[test]
    fn a_hold_is_not_a_transition() {
        assert_eq!(
            plan(Draft, Action::Hold, Role::Admin, Some(7), request(), now()),
            Err(WorkflowError::NotATransition {
                action: Action::Hold
            })
        );
        for state in State::ALL {
            assert!(!allowed_actions(state, Role::Admin).contains(&Action::Hold));
        }
    }
}
