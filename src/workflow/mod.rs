//! The editorial workflow: the pure state machine (`machine`), the
//! transaction that applies a transition (`service`), the response window's
//! release and hold (`window`), and the scheduler that publishes scheduled
//! pieces on time and releases those whose window closed (`scheduler`).

pub mod machine;
pub mod scheduler;
pub mod service;
pub mod window;

pub use machine::{
    Action, Effect, State, Transition, TransitionRequest, WorkflowError, allowed_actions,
    allowed_now, plan,
};
