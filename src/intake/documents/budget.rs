//! One extraction budget per message: how many documents are tried, how long
//! all of them may take together, and where each one runs.

use std::time::{Duration, Instant};

use super::sandbox::{self, ChildLimits};
use super::{DocumentKind, DocumentLimits, ExtractedDocument};

// The limits are configuration: they live with it, as values.
pub use crate::config::{ExtractionLimits, Runner};

/// Less than this left of the message's time is not worth a process.
const MIN_USEFUL_TIME: Duration = Duration::from_millis(100);

/// What remains of a message's budget while its documents are read.
pub struct MessageBudget<'a> {
    limits: &'a ExtractionLimits,
    tried: usize,
    /// Set when the first document is tried: a message without documents
    /// never reads the clock.
    deadline: Option<Instant>,
}

impl<'a> MessageBudget<'a> {
    pub fn new(limits: &'a ExtractionLimits) -> Self {
        MessageBudget {
            limits,
            tried: 0,
            deadline: None,
        }
    }

    /// Reads one document if the budget allows; the error is the reason
    /// stored with the attachment (including "not read: …").
    pub fn extract(
        &mut self,
        kind: DocumentKind,
        bytes: &[u8],
    ) -> Result<ExtractedDocument, String> {
        if self.tried >= self.limits.max_documents {
            return Err(format!(
                "not read: at most {} documents are read per message",
                self.limits.max_documents
            ));
        }
        let deadline = *self
            .deadline
            .get_or_insert_with(|| Instant::now() + self.limits.per_message);
        let left = deadline.saturating_duration_since(Instant::now());
        if left < MIN_USEFUL_TIME {
            return Err(format!(
                "not read: the message's {} s for reading documents were spent",
                self.limits.per_message.as_secs()
            ));
        }
        self.tried += 1;
        let time = self.limits.per_document.min(left);
        match &self.limits.runner {
            Runner::InProcess => super::extract(kind, bytes, &DocumentLimits::default())
                .map_err(|err| err.to_string()),
            Runner::Child(configured) => sandbox::extract_in_child(
                &sandbox::program(configured.as_ref())?,
                kind,
                bytes,
                ChildLimits {
                    wall: time,
                    cpu: time,
                    memory_bytes: self.limits.memory_bytes,
                    user: sandbox::child_user(self.limits.user.as_deref())?,
                },
            ),
        }
    }

    /// Documents tried so far.
    pub fn tried(&self) -> usize {
        self.tried
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_process(max_documents: usize) -> ExtractionLimits {
        ExtractionLimits {
            runner: Runner::InProcess,
            max_documents,
            ..ExtractionLimits::default()
        }
    }

    #[test]
    fn documents_past_the_limit_are_not_read() {
        let limits = in_process(2);
        let mut budget = MessageBudget::new(&limits);
        assert!(budget.extract(DocumentKind::Rtf, b"not rtf").is_err());
        assert_eq!(
            budget.extract(DocumentKind::Text, b"hi").unwrap().text,
            "hi"
        );
        let refused = budget.extract(DocumentKind::Text, b"hi").unwrap_err();
        assert_eq!(
            refused,
            "not read: at most 2 documents are read per message"
        );
        assert_eq!(budget.tried(), 2);
    }

    #[test]
    fn nothing_is_read_once_the_message_time_is_spent() {
        let limits = ExtractionLimits {
            per_message: Duration::ZERO,
            ..in_process(3)
        };
        let mut budget = MessageBudget::new(&limits);
        let refused = budget.extract(DocumentKind::Text, b"hi").unwrap_err();
        assert!(refused.starts_with("not read:"), "{refused}");
        assert_eq!(budget.tried(), 0);
    }

    #[test]
    fn production_runs_documents_in_a_child() {
        assert_eq!(ExtractionLimits::default().runner, Runner::Child(None));
    }
}
