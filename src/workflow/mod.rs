//! The editorial workflow: the pure state machine (`machine`) and the
//! transaction that applies a transition (`service`).

pub mod machine;
pub mod service;

pub use machine::{
    Action, Effect, State, Transition, TransitionRequest, WorkflowError, allowed_actions, plan,
};
