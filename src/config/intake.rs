//! Mail in: who may post it, what is believed of it, the bounds on a
//! message, the acknowledgements it earns and the desk's rules for a piece.

use super::extraction::{self, ExtractionLimits};
use super::{Reader, desk};
use crate::calendar::ResponseWindow;
use crate::secret::Secret;

/// Bounds that keep a hostile message from hurting the server.
#[derive(Debug, Clone)]
pub struct IntakeLimits {
    /// `OPED_MAX_MESSAGE_BYTES` (default 25 MiB, at least 1024): larger
    /// messages are quarantined (CLI) or refused with 413 (HTTP).
    pub max_message_bytes: usize,
    /// No real submission has hundreds of parts; a message that does is built to hurt.
    pub max_mime_parts: usize,
    pub max_mime_depth: usize,
    /// HTML bodies above this are not sanitised; their text rendering is used.
    pub max_html_bytes: usize,
    /// How attachments are read: in a child process under OS limits, at
    /// most 3 per message, 15 s per message (see `intake::documents::budget`).
    pub extraction: ExtractionLimits,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        IntakeLimits {
            max_message_bytes: 25 * 1024 * 1024,
            max_mime_parts: 500,
            max_mime_depth: 16,
            max_html_bytes: 2 * 1024 * 1024,
            extraction: ExtractionLimits::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct IntakeConfig {
    /// `OPED_INBOUND_TOKEN`: the bearer secret of `POST /api/v1/inbound/messages`,
    /// at least 16 characters. Unset: that endpoint refuses every request.
    pub inbound_token: Option<Secret<String>>,
    /// `OPED_TRUSTED_AUTHSERV_ID`: the authserv-id of our own receiving server;
    /// only the topmost `Authentication-Results` header counts, and only when
    /// it names this id (`intake::auth_results`).
    pub trusted_authserv_id: Option<String>,
    /// The domain of `OPED_FROM` (`EmailConfig::from`): our outgoing
    /// Message-IDs end in it, which is how our own mail is recognised when it
    /// comes back.
    pub own_domain: String,
    /// `OPED_MAX_MESSAGE_BYTES` and the fixed parsing limits.
    pub limits: IntakeLimits,
    /// `OPED_ACK_LIMIT_PER_HOUR` (default 3): acknowledgements one sender can
    /// receive per hour, so a flood of mail cannot turn us into a spam cannon.
    pub ack_limit_per_hour: u32,
    /// `OPED_ACK_LIMIT_TOTAL_PER_HOUR` (default 100): acknowledgements all
    /// senders together can receive per hour, so a flood from many forged
    /// addresses cannot either.
    pub ack_limit_total_per_hour: u32,
    /// When the desk owes an answer (`config::desk`). Each piece's deadline
    /// is fixed when it arrives.
    pub window: ResponseWindow,
    /// `OPED_WORD_LIMIT` (default 1,200): longer pieces are flagged for
    /// editors and their acknowledgement says the desk prefers shorter ones.
    pub word_limit: u32,
    /// `OPED_DESK_LISTS`: the `List-Id`s (such as `oped.news.example`) of the
    /// desk's own Google Group or Mailman list, comma-separated, with or
    /// without their angle brackets. Mail they relay is read as sent
    /// directly (`intake::desk_list`).
    pub desk_lists: Vec<String>,
}

/// The shortest inbound token accepted: anything shorter can be guessed.
const MIN_TOKEN_LEN: usize = 16;

const ACKNOWLEDGEMENTS: &str = "acknowledgements (0 sends none)";

/// The intake's variables; `own_domain` is the sender's, read with the mail.
pub(super) fn read(read: &mut Reader, own_domain: &str) -> IntakeConfig {
    let limits = IntakeLimits {
        max_message_bytes: read.number(
            "OPED_MAX_MESSAGE_BYTES",
            IntakeLimits::default().max_message_bytes,
            1024..=usize::MAX,
            "bytes",
        ),
        extraction: extraction::read(read),
        ..IntakeLimits::default()
    };
    IntakeConfig {
        inbound_token: read.secret("OPED_INBOUND_TOKEN", |token| {
            if token.len() < MIN_TOKEN_LEN {
                return Err(format!(
                    "too short: use at least {MIN_TOKEN_LEN} random characters"
                ));
            }
            Ok(())
        }),
        trusted_authserv_id: read
            .optional("OPED_TRUSTED_AUTHSERV_ID")
            .map(|id| id.trim().to_string()),
        own_domain: own_domain.to_string(),
        limits,
        ack_limit_per_hour: read.number(
            "OPED_ACK_LIMIT_PER_HOUR",
            3,
            0..=u32::MAX,
            ACKNOWLEDGEMENTS,
        ),
        ack_limit_total_per_hour: read.number(
            "OPED_ACK_LIMIT_TOTAL_PER_HOUR",
            100,
            0..=u32::MAX,
            ACKNOWLEDGEMENTS,
        ),
        window: desk::response_window(read),
        word_limit: desk::word_limit(read),
        desk_lists: read.list(
            "OPED_DESK_LISTS",
            list_id,
            "is not a List-Id; give the list's id as its mail carries it in List-Id, \
             such as oped.news.example",
        ),
    }
}

/// A List-Id, without its angle brackets, lower-cased: compared without case.
fn list_id(entry: &str) -> Option<String> {
    let id = entry
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_ascii_lowercase();
    let valid = id.contains('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._+=".contains(c));
    valid.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::super::from_pairs as config;

    #[test]
    fn desk_lists_are_list_ids_and_a_bad_one_is_named() {
        let lists = config(&[(
            "OPED_DESK_LISTS",
            " <Oped.News.Example>, oped.lists.news.example ,",
        )])
        .unwrap()
        .intake
        .desk_lists;
        assert_eq!(lists, ["oped.news.example", "oped.lists.news.example"]);
        let err = config(&[("OPED_DESK_LISTS", "oped.news.example, Op-Ed group")]).unwrap_err();
        assert!(
            err.to_string()
                .contains("OPED_DESK_LISTS: \"Op-Ed group\" is not a List-Id"),
            "{err}"
        );
        assert!(config(&[]).unwrap().intake.desk_lists.is_empty());
    }

    #[test]
    fn message_size_token_and_acknowledgements_are_checked() {
        let read = config(&[
            ("OPED_MAX_MESSAGE_BYTES", "1048576"),
            ("OPED_INBOUND_TOKEN", "a-long-enough-token"),
            ("OPED_TRUSTED_AUTHSERV_ID", " mx.desk.example "),
            ("OPED_ACK_LIMIT_PER_HOUR", "0"),
        ])
        .unwrap();
        assert_eq!(read.intake.limits.max_message_bytes, 1 << 20);
        assert_eq!(read.intake.limits.max_mime_parts, 500);
        assert_eq!(
            read.intake.trusted_authserv_id.as_deref(),
            Some("mx.desk.example")
        );
        assert_eq!(read.intake.ack_limit_per_hour, 0);

        let err = config(&[
            ("OPED_MAX_MESSAGE_BYTES", "1000"),
            ("OPED_ACK_LIMIT_PER_HOUR", "many"),
        ])
        .unwrap_err();
        assert_eq!(
            err.problems,
            [
                "OPED_MAX_MESSAGE_BYTES=\"1000\" must be a whole number of bytes, at least 1024",
                "OPED_ACK_LIMIT_PER_HOUR=\"many\" must be a whole number of acknowledgements (0 sends none)",
            ]
        );
    }
}
