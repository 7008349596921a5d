//! What an editor's note is, wherever one is written: on a piece (the API
//! and the desk) or as the reason for a hold.

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;

/// Empty once trimmed, or longer than [`MAX_NOTE_CHARS`].
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("1 to {MAX_NOTE_CHARS} characters")]
pub struct NoteLength;

/// `text` trimmed, when that is a note.
pub fn checked(text: &str) -> Result<String, NoteLength> {
    let note = text.trim();
    if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
        return Err(NoteLength);
    }
    Ok(note.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_one_to_ten_thousand_characters_once_trimmed() {
        assert_eq!(
            checked("  held for a second reader \n"),
            Ok("held for a second reader".into())
        );
        assert_eq!(checked(" \n\t"), Err(NoteLength));
        let longest = "é".repeat(MAX_NOTE_CHARS);
        assert_eq!(checked(&format!(" {longest} ")), Ok(longest.clone()));
        assert_eq!(checked(&format!("{longest}e")), Err(NoteLength));
        assert_eq!(NoteLength.to_string(), "1 to 10000 characters");
    }
}
