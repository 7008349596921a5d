//! Near-duplicate detection: a MinHash signature of a text's three-word
//! shingles, and the LSH bands that find candidates by index. Two texts'
//! signatures agree in about the share of positions that their shingle sets
//! overlap (Jaccard similarity), so a resend with a changed paragraph scores
//! ~0.8–0.95 and two different pieces on one topic score near 0. Pure.
//!
//! The hashes are written out here (FNV-1a, then the SplitMix64 finaliser)
//! rather than taken from `std`, whose hasher may change between releases:
//! signatures are stored, and must compare equal across versions.

/// Values in a signature.
pub const SIGNATURE_LEN: usize = 64;
/// Bands of [`ROWS_PER_BAND`] values; two texts are candidates when any band
/// is equal. With 16 × 4, a pair at 0.5 similarity is found 64% of the time,
/// at 0.7 99%, at 0.3 12%.
pub const BANDS: usize = 16;
pub const ROWS_PER_BAND: usize = SIGNATURE_LEN / BANDS;
/// Words in a shingle.
const SHINGLE_WORDS: usize = 3;
/// Fewer words than this and a text is too short to call anything its twin.
pub const MIN_WORDS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub signature: Vec<i32>,
    pub bands: Vec<i64>,
}

/// The fingerprint of `text`, or `None` when it has fewer than
/// [`MIN_WORDS`] words. Case, punctuation and spacing do not count.
pub fn fingerprint(text: &str) -> Option<Fingerprint> {
    let words: Vec<u64> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(word_hash)
        .collect();
    if words.len() < MIN_WORDS {
        return None;
    }
    let mut minima = [u32::MAX; SIGNATURE_LEN];
    for shingle in words.windows(SHINGLE_WORDS) {
        let base = mix(shingle
            .iter()
            .fold(FNV_OFFSET, |hash, word| mix(hash ^ word)));
        // Multiply-shift hashing: one multiply and add a position, so the 64
        // positions cost little more than one strong hash of the shingle.
        for ((minimum, a), b) in minima.iter_mut().zip(&MULTIPLIERS).zip(&ADDENDS) {
            let hash = (base.wrapping_mul(*a).wrapping_add(*b) >> 32) as u32;
            *minimum = (*minimum).min(hash);
        }
    }
    let signature: Vec<i32> = minima.iter().map(|&m| m as i32).collect();
    let bands = signature
        .chunks(ROWS_PER_BAND)
        .enumerate()
        .map(|(band, rows)| {
            rows.iter()
                .fold(mix(FNV_OFFSET ^ band as u64), |hash, value| {
                    mix(hash ^ u64::from(*value as u32))
                }) as i64
        })
        .collect();
    Some(Fingerprint { signature, bands })
}

/// FNV-1a over the word's lower-case UTF-8, without allocating.
fn word_hash(word: &str) -> u64 {
    let mut hash = FNV_OFFSET;
    let mut buffer = [0u8; 4];
    for c in word.chars().flat_map(char::to_lowercase) {
        for byte in c.encode_utf8(&mut buffer).bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(FNV_PRIME);
        }
    }
    hash
}

/// The estimated similarity (0 to 1) of two signatures.
pub fn similarity(a: &[i32], b: &[i32]) -> f32 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f32 / a.len() as f32
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// SplitMix64's finaliser: every input bit moves every output bit.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// SplitMix64's sequence from `start`: fixed forever, since stored
/// signatures depend on it.
const fn splitmix_sequence<const N: usize>(start: u64) -> [u64; N] {
    let mut out = [0u64; N];
    let mut state = start;
    let mut i = 0;
    while i < N {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        out[i] = z;
        i += 1;
    }
    out
}

/// Each position's hash is `(a·x + b) >> 32` with an odd `a`.
const MULTIPLIERS: [u64; SIGNATURE_LEN] = made_odd(splitmix_sequence(0));
const ADDENDS: [u64; SIGNATURE_LEN] = splitmix_sequence(1 << 32);

/// Each number with its lowest bit set.
const fn made_odd<const N: usize>(mut numbers: [u64; N]) -> [u64; N] {
    let mut i = 0;
    while i < N {
        numbers[i] |= 1;
        i += 1;
    }
    numbers
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIECE: &str = "Libya's central bank and its two rival governments have spent a decade \
        arguing over who controls the country's oil revenue. Meanwhile salaries go unpaid, \
        hospitals run short of medicine and the dinar loses value every month. A unified budget, \
        agreed by both chambers and audited in public, would end the quarrel. It would let \
        municipalities plan, reassure lenders and give citizens a reason to trust the state \
        again. The parliament should vote on it before the summer recess.";

    fn percent(a: &str, b: &str) -> u32 {
        let a = fingerprint(a).unwrap();
        let b = fingerprint(b).unwrap();
        (similarity(&a.signature, &b.signature) * 100.0).round() as u32
    }

    #[test]
    fn a_resend_with_other_spacing_case_and_punctuation_is_the_same_text() {
        let resent = PIECE
            .to_uppercase()
            .replace(". ", ".\n\n  ")
            .replace(',', " ,");
        assert_eq!(percent(PIECE, &resent), 100);
        assert_eq!(fingerprint(PIECE), fingerprint(&resent));
    }

    #[test]
    fn a_lightly_edited_resend_is_near_and_shares_a_band() {
        let edited = PIECE
            .replace("a decade", "ten years")
            .replace("before the summer recess", "this month");
        let similar = percent(PIECE, &edited);
        assert!((60..100).contains(&similar), "{similar}");
        let (a, b) = (fingerprint(PIECE).unwrap(), fingerprint(&edited).unwrap());
        assert!(a.bands.iter().any(|band| b.bands.contains(band)));
    }

    #[test]
    fn a_different_piece_on_the_same_subject_is_far() {
        let other = "The quarrel over Libya's oil revenue is not a technical problem that a \
            budget can solve. It is a contest between armed coalitions, each of which needs \
            the money to pay its fighters. Until the militias are disarmed, any budget will be \
            a ceasefire on paper. Donors should fund demobilisation first, and only then ask \
            the two governments to agree on spending, audited or not, by the central bank.";
        assert!(percent(PIECE, other) < 20, "{}", percent(PIECE, other));
    }

    #[test]
    fn short_texts_have_no_fingerprint_and_signatures_are_stable() {
        assert_eq!(fingerprint("Too short to be anybody's op-ed."), None);
        let print = fingerprint(PIECE).unwrap();
        assert_eq!(print.signature.len(), SIGNATURE_LEN);
        assert_eq!(print.bands.len(), BANDS);
        // Stored signatures must compare equal across releases.
        assert_eq!(MULTIPLIERS[0], 0xe220_a839_7b1d_cdaf);
        assert_eq!(print, fingerprint(PIECE).unwrap());
    }
}
