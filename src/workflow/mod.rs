//! The editorial workflow: the pure state machine (`machine`), the
//! transaction that applies a transition (`service`), and the scheduler that
//! publishes scheduled pieces on time (`scheduler`).

pub mod machine;
pub mod scheduler;
pub mod service;

pub use machine::{
    Action, Effect, State, Transition, TransitionRequest, WorkflowError, allowed_actions, plan,
};
