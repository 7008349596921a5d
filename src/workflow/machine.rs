//! States, actions and who may do what: the spec's table, as data. Pure: the
//! clock comes in as an argument.

use chrono::{DateTime, Utc};

use crate::auth::Role;

pub use crate::domain::{Action, State};

/// What a transition sets in motion besides the state change; each becomes
/// an outbox row in the same transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// An email to the author, named by its template.
    EmailAuthor(&'static str),
    /// A webhook event to the site.
    Webhook(&'static str),
}

struct Rule {
    action: Action,
    from: &'static [State],
    to: State,
    role: Role,
    effects: &'static [Effect],
}

use State::*;

/// The spec's table, row for row.
const RULES: &[Rule] = &[
    Rule {
        action: Action::StartReview,
        from: &[Draft],
        to: InReview,
        role: Role::Editor,
        effects: &[],
    },
    Rule {
        action: Action::RequestChanges,
        from: &[InReview],
        to: Draft,
        role: Role::Editor,
        effects: &[Effect::EmailAuthor("changes_requested")],
    },
    Rule {
        action: Action::Approve,
        from: &[InReview],
        to: Approved,
        role: Role::Editor,
        effects: &[Effect::EmailAuthor("approved")],
    },
    Rule {
        action: Action::Reject,
        from: &[Draft, InReview],
        to: Rejected,
        role: Role::Editor,
        effects: &[Effect::EmailAuthor("rejected")],
    },
    Rule {
        action: Action::ReturnToReview,
        from: &[Approved, Scheduled],
        to: InReview,
        role: Role::Editor,
        effects: &[],
    },
    Rule {
        action: Action::Schedule,
        from: &[Approved],
        to: Scheduled,
        role: Role::Publisher,
        effects: &[],
    },
    Rule {
        action: Action::Unschedule,
        from: &[Scheduled],
        to: Approved,
        role: Role::Publisher,
        effects: &[],
    },
    Rule {
        action: Action::Publish,
        from: &[Approved, Scheduled],
        to: Published,
        role: Role::Publisher,
        effects: &[
            Effect::Webhook("opinion.published"),
            Effect::EmailAuthor("published"),
        ],
    },
    Rule {
        action: Action::Unpublish,
        from: &[Published],
        to: Approved,
        role: Role::Publisher,
        effects: &[Effect::Webhook("opinion.unpublished")],
    },
    Rule {
        action: Action::Withdraw,
        from: &[Draft, InReview, Approved, Scheduled],
        to: Withdrawn,
        role: Role::Editor,
        effects: &[],
    },
    Rule {
        action: Action::Reopen,
        from: &[Rejected, Withdrawn],
        to: Draft,
        role: Role::Editor,
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
    /// An action outside the table (`hold`), taken at its own endpoint.
    #[error("`{action}` is not a transition: POST /api/v1/submissions/{{id}}/{action}")]
    NotATransition { action: Action },
}

fn rule(action: Action) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.action == action)
}

/// Checks `action` from `state` by someone with `role` (the scheduler acts as
/// a publisher) and returns the transition to apply. The role is checked
/// first: someone who may never take an action learns nothing from the state.
pub fn plan(
    state: State,
    action: Action,
    role: Role,
    actor_id: Option<i64>,
    request: TransitionRequest,
    now: DateTime<Utc>,
) -> Result<Transition, WorkflowError> {
    let rule = rule(action).ok_or(WorkflowError::NotATransition { action })?;
    if !role.includes(rule.role) {
        return Err(WorkflowError::RoleTooLow {
            action,
            needed: rule.role,
        });
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

/// The actions `role` may take from `state`, in the table's order.
pub fn allowed_actions(state: State, role: Role) -> Vec<Action> {
    RULES
        .iter()
        .filter(|rule| rule.from.contains(&state) && role.includes(rule.role))
        .map(|rule| rule.action)
        .collect()
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
                .contains(&Effect::Webhook("opinion.published"))
        );
        assert_eq!(
            effects(Published, Action::Unpublish, Role::Admin),
            &[Effect::Webhook("opinion.unpublished")]
        );
        assert!(effects(Draft, Action::StartReview, Role::Editor).is_empty());
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
