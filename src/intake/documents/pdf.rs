//! PDF through lopdf, behind guards.
//!
//! lopdf trusts its input, and some of its failures are not panics that
//! `catch_unwind` could contain but process aborts or unbounded work:
//! - its object parser recurses once per `[`/`<<`, so deep nesting overflows the stack
//!   (an abort, not a panic);
//! - it inflates every `FlateDecode` stream without a size limit, and allocates
//!   predictor rows and xref-stream fields from sizes written in the file;
//! - an xref stream with zero-width fields loops over an attacker-chosen count;
//! - parsed objects take ~60 bytes of memory per input byte, and its content-stream
//!   parser ~290, so object counts must be bounded before lopdf sees the data.
//!
//! So: the raw bytes are scanned first (position-independently, because lopdf parses
//! from offsets the file chooses); lopdf then runs on a worker thread with a stack
//! sized for the nesting we allowed, inside `catch_unwind`; every stream is decoded
//! by our own bounded decoders while lopdf loads (its filter hook), so lopdf never
//! inflates anything itself except xref streams, which the raw scan already bounded.
//! Page text is read by a small streaming content scanner instead of lopdf's
//! `extract_text`, whose content parser is the 290x one.
//!
//! Residual risk: lopdf parses every xref entry eagerly and separately, so entries
//! that point into each other (duplicates, overlapping objects) make it repeat work.
//! Memory stays bounded (whatever lopdf keeps is charged to the budgets, and dropped
//! once they are exceeded), CPU does not: a small crafted file can keep a worker busy
//! for a long time. The caller still gets `TimedOut` on time, but the worker thread
//! cannot be interrupted; at most `MAX_WORKERS` run at once (others wait for a slot
//! until their own deadline). lopdf also reports each unreadable object through
//! `log`, which a crafted file can make very chatty. Full isolation would need a
//! child process with resource limits.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Condvar, Mutex, PoisonError, mpsc};
use std::time::Instant;

use encoding_rs::WINDOWS_1252;
use lopdf::{Dictionary, Document, Encoding, Object, ObjectId, Reader, Stream};

use super::zip_limits::{inflate_zlib, is_zlib_header};
use super::{Deadline, DocumentError, DocumentLimits, ExtractedDocument, TextBuilder, clean_title};

/// Array/dictionary nesting we accept. Real documents stay in the tens.
const MAX_NESTING: u32 = 4_096;
/// Stack lopdf's parser uses per nesting level: measured ~3.5 KiB with optimised
/// dependencies, so this leaves room for unoptimised builds.
const STACK_PER_LEVEL: usize = 8 * 1024;
const WORKER_STACK: usize = 16 * 1024 * 1024 + MAX_NESTING as usize * STACK_PER_LEVEL;
/// Tokens lopdf may turn into objects (raw file plus object streams): ~120 bytes
/// of memory each, so this caps lopdf's object memory near 250 MiB. Ordinary PDFs
/// have one token per ~13 bytes, so this admits files up to ~25 MiB.
const MAX_TOKENS: u64 = 2_000_000;
/// PDF workers allowed to run at once (see the residual risk above).
const MAX_WORKERS: usize = 4;
/// lopdf parses ToUnicode CMaps eagerly; real ones are far smaller.
const MAX_CMAP_BYTES: usize = 1 << 20;
/// Bounds on predictor parameters, which lopdf turns into row allocations.
const MAX_COLUMNS: i64 = 100_000;
const MAX_COLORS: i64 = 64;
const MAX_BITS: i64 = 32;
/// lopdf allocates each xref-stream field width (`/W`) as a buffer.
const MAX_W_ENTRY: i64 = 1 << 20;
/// Page-tree `Parent` chains are walked recursively by lopdf.
const MAX_PARENT_CHAIN: usize = 64;

/// Number of running PDF workers, and the signal that one finished.
static LIVE_WORKERS: Mutex<usize> = Mutex::new(0);
static WORKER_FINISHED: Condvar = Condvar::new();

pub(super) fn extract(
    bytes: &[u8],
    limits: &DocumentLimits,
    deadline: &Deadline,
) -> Result<ExtractedDocument, DocumentError> {
    if !bytes.starts_with(b"%PDF-") {
        return Err(DocumentError::Malformed("missing %PDF- header".into()));
    }
    let raw_tokens = scan_raw(bytes, limits, deadline)?;
    run_worker(bytes.to_vec(), limits.clone(), deadline.at(), raw_tokens)
}

// ---------------------------------------------------------------------------
// Raw scan, before lopdf sees anything.
// ---------------------------------------------------------------------------

/// Returns the token count of the raw file.
fn scan_raw(
    bytes: &[u8],
    limits: &DocumentLimits,
    deadline: &Deadline,
) -> Result<u64, DocumentError> {
    // First, as it also bounds the work and memory of the checks after it.
    let shape = measure(bytes, deadline)?;
    if shape.nesting > MAX_NESTING {
        return Err(DocumentError::TooDeep);
    }
    if shape.tokens > MAX_TOKENS {
        return Err(DocumentError::TooLarge);
    }
    let filter_names = check_names(bytes, deadline)?;
    check_length_references(bytes, deadline)?;
    // Every filter in any chain is spelled somewhere in the file, so chains are no
    // longer than the number of filter names.
    probe_streams(
        bytes,
        filter_names + 1,
        limits.max_uncompressed_bytes,
        deadline,
    )?;
    Ok(shape.tokens)
}

fn is_pdf_whitespace(b: u8) -> bool {
    BYTE_CLASSES[usize::from(b)] & SPACE != 0
}

fn is_delimiter(b: u8) -> bool {
    BYTE_CLASSES[usize::from(b)] & DELIMITER != 0
}

fn is_regular(b: u8) -> bool {
    BYTE_CLASSES[usize::from(b)] & (SPACE | DELIMITER) == 0
}

/// Skips whitespace and comments, as lopdf's `space` does.
fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    loop {
        match bytes.get(i) {
            Some(&b) if is_pdf_whitespace(b) => i += 1,
            Some(b'%') => {
                i += bytes[i..]
                    .iter()
                    .position(|&b| b == b'\n' || b == b'\r')
                    .unwrap_or(bytes.len() - i);
            }
            _ => return i,
        }
    }
}

/// Reads a (possibly signed) integer at `i`: (value, end). Overlong numbers saturate.
fn read_int(bytes: &[u8], i: usize) -> Option<(i64, usize)> {
    let (negative, start) = match bytes.get(i) {
        Some(b'-') => (true, i + 1),
        Some(b'+') => (false, i + 1),
        _ => (false, i),
    };
    let digits = bytes
        .get(start..)?
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        return None;
    }
    let value = bytes[start..start + digits].iter().fold(0i64, |acc, d| {
        acc.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    Some((if negative { -value } else { value }, start + digits))
}

/// Decodes the name starting after a `/` at `start` (first 64 bytes), as lopdf does:
/// `#xx` escapes, ending at the first non-regular byte or malformed escape.
fn read_name(bytes: &[u8], start: usize) -> (Vec<u8>, usize) {
    let mut name = Vec::new();
    let mut i = start;
    while let Some(&b) = bytes.get(i) {
        if b == b'#' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
                break;
            };
            if name.len() < 64 {
                name.push(value);
            }
            i += 3;
        } else if is_regular(b) {
            if name.len() < 64 {
                name.push(b);
            }
            i += 1;
        } else {
            break;
        }
    }
    (name, i)
}

/// Checks every name in the file (anywhere: lopdf can be pointed at any offset) for
/// the values lopdf would act on unchecked. Returns how many filter names exist.
fn check_names(bytes: &[u8], deadline: &Deadline) -> Result<usize, DocumentError> {
    let mut filter_names = 0usize;
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|&b| b == b'/') {
        deadline.tick()?;
        let (name, end) = read_name(bytes, i + offset + 1);
        i = end.max(i + offset + 1);
        let bound = match name.as_slice() {
            // We have no bounded LZW decoder, and lopdf's own is unbounded.
            b"LZWDecode" => return Err(DocumentError::Unsupported),
            b"FlateDecode" | b"ASCII85Decode" => {
                filter_names += 1;
                continue;
            }
            b"W" => {
                check_w_array(bytes, end)?;
                continue;
            }
            b"Columns" => MAX_COLUMNS,
            b"Colors" => MAX_COLORS,
            b"BitsPerComponent" => MAX_BITS,
            _ => continue,
        };
        if let Some((value, _)) = read_int(bytes, skip_space(bytes, end))
            && value > bound
        {
            return Err(DocumentError::Malformed(
                "implausible image or predictor parameters".into(),
            ));
        }
    }
    Ok(filter_names)
}

/// A `/W [a b c]` array: xref-stream field widths (also CID font widths, whose
/// values are small too). Huge widths become allocations; all-zero widths make
/// lopdf loop over `/Index` counts without consuming input.
fn check_w_array(bytes: &[u8], end: usize) -> Result<(), DocumentError> {
    let mut i = skip_space(bytes, end);
    if bytes.get(i) != Some(&b'[') {
        return Ok(());
    }
    i += 1;
    let mut values = Vec::new();
    while let Some((value, next)) = read_int(bytes, skip_space(bytes, i)) {
        if value > MAX_W_ENTRY {
            return Err(DocumentError::Malformed("implausible /W array".into()));
        }
        values.push(value);
        i = next;
        if values.len() >= 3 {
            break;
        }
    }
    if values.len() == 3 && values.iter().all(|&v| v == 0) {
        return Err(DocumentError::Malformed("zero-width xref stream".into()));
    }
    Ok(())
}

/// lopdf resolves an indirect `/Length` by parsing the referenced object, which, if
/// it were a stream, would resolve its own `/Length`, recursing without bound. Real
/// length objects are integers, so refuse a `/Length` pointing at a dictionary/stream.
fn check_length_references(bytes: &[u8], deadline: &Deadline) -> Result<(), DocumentError> {
    let dictionary_objects = dictionary_object_ids(bytes, deadline)?;
    if dictionary_objects.is_empty() {
        return Ok(());
    }
    let mut i = 0;
    while let Some(offset) = bytes[i..].windows(7).position(|w| w == b"/Length") {
        deadline.tick()?;
        let (name, end) = read_name(bytes, i + offset + 1);
        i = end.max(i + offset + 1);
        if name != b"Length" {
            continue;
        }
        let Some((number, after_number)) = read_int(bytes, skip_space(bytes, end)) else {
            continue;
        };
        let Some((generation, after_generation)) = read_int(bytes, skip_space(bytes, after_number))
        else {
            continue;
        };
        if bytes.get(skip_space(bytes, after_generation)) == Some(&b'R')
            && dictionary_objects.contains(&(number, generation))
        {
            return Err(DocumentError::Malformed(
                "stream length refers to a stream".into(),
            ));
        }
    }
    Ok(())
}

/// Ids of every `N G obj` header whose object starts with `<<`, found by trying a
/// header parse at every digit run (headers can hide anywhere lopdf might look).
fn dictionary_object_ids(
    bytes: &[u8],
    deadline: &Deadline,
) -> Result<HashSet<(i64, i64)>, DocumentError> {
    let mut ids = HashSet::new();
    for i in 0..bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_digit()) {
            continue;
        }
        deadline.tick()?;
        let Some((number, after_number)) = read_int(bytes, i) else {
            continue;
        };
        let Some((generation, after_generation)) = read_int(bytes, skip_space(bytes, after_number))
        else {
            continue;
        };
        let keyword = skip_space(bytes, after_generation);
        if bytes.get(keyword..keyword + 3) == Some(b"obj") {
            let body = skip_space(bytes, keyword + 3);
            if bytes.get(body..body + 2) == Some(b"<<") {
                ids.insert((number, generation));
            }
        }
    }
    Ok(ids)
}

/// Decodes what follows every `stream` keyword the way a filter chain could, and
/// refuses if any layer exceeds the limit. This bounds the one decompression lopdf
/// still does itself (xref streams), wherever in the file they hide.
fn probe_streams(
    bytes: &[u8],
    max_layers: usize,
    limit: u64,
    deadline: &Deadline,
) -> Result<(), DocumentError> {
    let mut from = 0;
    while let Some(offset) = bytes[from..].windows(6).position(|w| w == b"stream") {
        deadline.check()?;
        let after = from + offset + 6;
        from = after;
        let start = match bytes.get(after..after + 2) {
            Some(b"\r\n") => after + 2,
            Some([b'\n' | b'\r', ..]) => after + 1,
            _ => continue,
        };
        probe_chain(&bytes[start..], max_layers, limit, deadline)?;
    }
    Ok(())
}

fn probe_chain(
    data: &[u8],
    max_layers: usize,
    limit: u64,
    deadline: &Deadline,
) -> Result<(), DocumentError> {
    let mut owned: Vec<u8>;
    let mut layer = data;
    for _ in 0..max_layers {
        let mut next = inflate_zlib(layer, limit, deadline)?;
        // ASCII85 alone expands at most 4x (`z`); it matters when it hides a zlib
        // stream. Checking its first bytes first keeps probing text cheap.
        if next.is_empty()
            && looks_like_ascii85(layer)
            && is_zlib_header(&ascii85(layer, u64::MAX, 2, deadline)?)
        {
            next = ascii85(layer, limit, usize::MAX, deadline)?;
        }
        if next.is_empty() {
            break;
        }
        owned = next;
        layer = &owned;
    }
    Ok(())
}

fn looks_like_ascii85(data: &[u8]) -> bool {
    data.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| (b'!'..=b'u').contains(&b) || b == b'z')
}

/// ASCII85 exactly as lopdf decodes it (stopping at the first invalid byte), refusing
/// output beyond `limit`; stops early (successfully) once `enough` bytes are out.
fn ascii85(
    data: &[u8],
    limit: u64,
    enough: usize,
    deadline: &Deadline,
) -> Result<Vec<u8>, DocumentError> {
    let mut out = Vec::new();
    let mut group: u32 = 0;
    let mut count = 0usize;
    for &c in data {
        deadline.tick()?;
        if c == b'z' && count == 0 {
            out.extend_from_slice(&[0; 4]);
        } else if c.is_ascii_whitespace() {
            continue;
        } else if (b'!'..=b'u').contains(&c) {
            group = group.wrapping_mul(85).wrapping_add(u32::from(c - b'!'));
            count += 1;
            if count == 5 {
                out.extend_from_slice(&group.to_be_bytes());
                group = 0;
                count = 0;
            }
        } else {
            break;
        }
        if out.len() as u64 > limit {
            return Err(DocumentError::TooLarge);
        }
        if out.len() >= enough {
            return Ok(out);
        }
    }
    if count > 0 {
        for _ in count..5 {
            group = group.wrapping_mul(85).wrapping_add(84);
        }
        out.extend_from_slice(&group.to_be_bytes()[..count - 1]);
    }
    Ok(out)
}

/// Upper bounds on what lopdf's parser could build from a buffer.
struct Shape {
    /// Deepest array/dictionary nesting any parse of the buffer could reach.
    nesting: u32,
    /// Tokens (each parsed object starts with at least one).
    tokens: u64,
}

/// Lexer states for the nesting bound below.
const WS: usize = 0;
const NAME: usize = 1;
const WORD: usize = 2;
const LT: usize = 3;
const GT: usize = 4;
const HEX: usize = 5;
const STR: usize = 6;
const ESC: usize = 7;
const COMMENT: usize = 8;
const STATES: usize = 9;

/// Byte classes, as flags, so the per-byte work is a table lookup.
const SPACE: u8 = 1;
const DELIMITER: u8 = 2;
/// Bytes that may continue a bare word: numbers and `true`/`false`/`null`/`R`.
const WORD_BYTE: u8 = 4;
const HEX_DIGIT: u8 = 8;

const BYTE_CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut flags = 0;
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0C | 0) {
            flags |= SPACE;
        }
        if matches!(
            b,
            b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
        ) {
            flags |= DELIMITER;
        }
        if b.is_ascii_digit()
            || matches!(
                b,
                b'+' | b'-'
                    | b'.'
                    | b't'
                    | b'r'
                    | b'u'
                    | b'e'
                    | b'f'
                    | b'a'
                    | b'l'
                    | b's'
                    | b'n'
                    | b'R'
            )
        {
            flags |= WORD_BYTE;
        }
        if b.is_ascii_hexdigit() {
            flags |= HEX_DIGIT;
        }
        table[i] = flags;
        i += 1;
    }
    table
};

/// Computes [`Shape`], stopping early once nesting exceeds [`MAX_NESTING`].
///
/// lopdf may start parsing at any offset, so a single left-to-right lexer is not
/// enough: a `(` seen here may be a string to lopdf or not. This runs all readings at
/// once (a small NFA whose states hold the deepest nesting that reaches them, with a
/// fresh depth-0 reading starting at every byte), treating a string as possibly ending
/// at any `)`. It over-approximates, but bare words that are not numbers or keywords
/// end a reading, so binary stream data does not accumulate depth.
fn measure(bytes: &[u8], deadline: &Deadline) -> Result<Shape, DocumentError> {
    // levels[state] is 1 + the deepest nesting of a reading in that state (0 = none);
    // `live` has a bit per state with a reading, so dead states cost nothing.
    let mut levels = [0u32; STATES];
    let mut live: u16 = 0;
    let mut deepest = 1u32;
    let mut tokens = 0u64;
    let mut previous_regular = false;
    for chunk in bytes.chunks(64 * 1024) {
        deadline.check()?;
        for &b in chunk {
            let class = BYTE_CLASSES[usize::from(b)];
            let regular = class & (SPACE | DELIMITER) == 0;
            if (regular && !previous_regular) || matches!(b, b'[' | b'(' | b'<' | b'/') {
                tokens += 1;
            }
            previous_regular = regular;

            levels[WS] = levels[WS].max(1);
            live |= 1 << WS;
            let mut next = [0u32; STATES];
            let mut next_live: u16 = 0;
            while live != 0 {
                let state = live.trailing_zeros() as usize;
                live &= live - 1;
                step(state, b, class, levels[state], &mut next, &mut next_live);
            }
            // Only `[` and `<<` deepen a reading.
            if matches!(b, b'[' | b'<') {
                deepest = deepest.max(next[WS]);
                if deepest > MAX_NESTING + 1 {
                    break;
                }
            }
            levels = next;
            live = next_live;
        }
        if deepest > MAX_NESTING + 1 {
            break;
        }
    }
    Ok(Shape {
        nesting: deepest - 1,
        tokens,
    })
}

#[inline(always)]
fn put(next: &mut [u32; STATES], live: &mut u16, state: usize, level: u32) {
    next[state] = next[state].max(level);
    *live |= 1 << state;
}

/// One NFA transition; `level` is 1 + nesting depth.
#[inline(always)]
fn step(state: usize, b: u8, class: u8, level: u32, next: &mut [u32; STATES], live: &mut u16) {
    let regular = class & (SPACE | DELIMITER) == 0;
    match state {
        NAME if regular => put(next, live, NAME, level),
        WORD if class & WORD_BYTE != 0 => put(next, live, WORD, level),
        WORD if regular => {}
        WS | NAME | WORD => between_tokens(b, class, level, next, live),
        LT => match b {
            b'<' => put(next, live, WS, level + 1),
            b'>' => put(next, live, WS, level),
            _ if class & (HEX_DIGIT | SPACE) != 0 => put(next, live, HEX, level),
            _ => {}
        },
        GT if b == b'>' && level > 1 => put(next, live, WS, level - 1),
        HEX => match b {
            b'>' => put(next, live, WS, level),
            _ if class & (HEX_DIGIT | SPACE) != 0 => put(next, live, HEX, level),
            _ => {}
        },
        STR => match b {
            b'\\' => put(next, live, ESC, level),
            b')' => {
                put(next, live, STR, level);
                put(next, live, WS, level);
            }
            _ => put(next, live, STR, level),
        },
        ESC => put(next, live, STR, level),
        COMMENT if b == b'\n' || b == b'\r' => put(next, live, WS, level),
        COMMENT => put(next, live, COMMENT, level),
        _ => {}
    }
}

#[inline(always)]
fn between_tokens(b: u8, class: u8, level: u32, next: &mut [u32; STATES], live: &mut u16) {
    match b {
        _ if class & SPACE != 0 => put(next, live, WS, level),
        b'%' => put(next, live, COMMENT, level),
        b'/' => put(next, live, NAME, level),
        b'(' => put(next, live, STR, level),
        b'[' => put(next, live, WS, level + 1),
        b']' if level > 1 => put(next, live, WS, level - 1),
        b'<' => put(next, live, LT, level),
        b'>' => put(next, live, GT, level),
        _ if class & WORD_BYTE != 0 => put(next, live, WORD, level),
        // `)`, braces, unmatched `]`, other words: no parse continues through here.
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// The worker: lopdf, with every stream decoded by us during loading.
// ---------------------------------------------------------------------------

/// Releases a worker slot when the worker thread ends (or was never started).
struct WorkerSlot;

impl WorkerSlot {
    /// Waits (until the deadline) for fewer than `MAX_WORKERS` workers to be running.
    fn acquire(deadline_at: Instant) -> Result<Self, DocumentError> {
        // The counter stays consistent even if a holder panicked, so poisoning is moot.
        let mut live = LIVE_WORKERS.lock().unwrap_or_else(PoisonError::into_inner);
        while *live >= MAX_WORKERS {
            let wait = deadline_at.saturating_duration_since(Instant::now());
            if wait.is_zero() {
                return Err(DocumentError::TimedOut);
            }
            live = WORKER_FINISHED
                .wait_timeout(live, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        *live += 1;
        Ok(WorkerSlot)
    }
}

impl Drop for WorkerSlot {
    fn drop(&mut self) {
        let mut live = LIVE_WORKERS.lock().unwrap_or_else(PoisonError::into_inner);
        *live = live.saturating_sub(1);
        WORKER_FINISHED.notify_one();
    }
}

fn run_worker(
    bytes: Vec<u8>,
    limits: DocumentLimits,
    deadline_at: Instant,
    raw_tokens: u64,
) -> Result<ExtractedDocument, DocumentError> {
    let slot = WorkerSlot::acquire(deadline_at)?;
    let (sender, receiver) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("pdf-extract".into())
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let _slot = slot;
            let deadline = Deadline::until(deadline_at);
            let result = catch_unwind(AssertUnwindSafe(|| {
                load_and_extract(&bytes, &limits, &deadline, raw_tokens)
            }))
            .unwrap_or_else(|_| Err(DocumentError::Malformed("PDF parser panicked".into())));
            // The caller may have given up (timeout); nobody to tell then.
            let _ = sender.send(result);
        })
        .map_err(|e| DocumentError::Internal(format!("cannot start PDF worker: {e}")))?;
    match receiver.recv_timeout(deadline_at.saturating_duration_since(Instant::now())) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(DocumentError::TimedOut),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(DocumentError::Malformed("PDF worker stopped".into()))
        }
    }
}

/// Per-load state for the stream filter. lopdf's filter hook is a plain `fn`, so the
/// state lives in a thread-local of the worker thread.
struct Sanitizer {
    /// Stream bytes (decoded or raw) we still accept.
    decoded_budget: u64,
    /// Tokens of object streams we still accept (shared with the raw file's).
    tokens_left: u64,
    /// Object elements lopdf may still keep.
    elements_left: u64,
    deadline: Deadline,
    error: Option<DocumentError>,
}

thread_local! {
    static SANITIZER: RefCell<Option<Sanitizer>> = const { RefCell::new(None) };
}

fn load_and_extract(
    bytes: &[u8],
    limits: &DocumentLimits,
    deadline: &Deadline,
    raw_tokens: u64,
) -> Result<ExtractedDocument, DocumentError> {
    let sanitizer = Sanitizer {
        decoded_budget: limits.max_uncompressed_bytes,
        tokens_left: MAX_TOKENS.saturating_sub(raw_tokens),
        elements_left: MAX_TOKENS,
        deadline: Deadline::until(deadline.at()),
        error: None,
    };
    SANITIZER.with(|cell| *cell.borrow_mut() = Some(sanitizer));
    let loaded = Reader {
        buffer: bytes,
        document: Document::new(),
    }
    .read(Some(sanitize_object));
    let mut sanitizer = SANITIZER
        .with(|cell| cell.borrow_mut().take())
        .ok_or_else(|| DocumentError::Internal("PDF sanitizer state lost".into()))?;
    let mut doc = match loaded {
        Ok(doc) => doc,
        Err(e) => {
            return Err(sanitizer
                .error
                .take()
                .unwrap_or(DocumentError::Malformed(format!("PDF: {e}"))));
        }
    };
    if doc.trailer.has(b"Encrypt") {
        return Err(DocumentError::Encrypted);
    }
    if let Some(error) = sanitizer.error.take() {
        return Err(error);
    }
    // Streams whose /Length was indirect get their bytes after the filter hook ran.
    for object in doc.objects.values_mut() {
        deadline.tick()?;
        if let Object::Stream(stream) = object
            && stream.dict.has(b"Filter")
        {
            sanitizer.sanitize(stream)?;
        }
    }
    let title = info_title(&doc);
    let text = pages_text(&doc, limits, deadline)?;
    Ok(ExtractedDocument { text, title })
}

/// lopdf's load-time filter hook, called for each top-level object and for each
/// object inside an object stream.
fn sanitize_object(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    let keep = SANITIZER.with(|cell| {
        let mut state = cell.borrow_mut();
        let Some(sanitizer) = state.as_mut() else {
            return false;
        };
        if sanitizer.error.is_some() {
            // Something was refused: drop everything else to stop the work.
            return false;
        }
        let result = match object {
            Object::Stream(stream) => sanitizer.sanitize(stream),
            _ => Ok(()),
        }
        .and_then(|()| sanitizer.charge_object(object));
        if let Err(error) = result {
            sanitizer.error = Some(error);
            return false;
        }
        true
    });
    if !keep {
        return None;
    }
    // lopdf keeps the (modified) `object` for top-level objects and ignores what we
    // return; for objects inside object streams it keeps what we return. Streams are
    // never inside object streams, so they need no copy.
    match object {
        Object::Stream(_) => Some((id, Object::Null)),
        other => Some((id, other.clone())),
    }
}

impl Sanitizer {
    /// Replaces the stream's content with its decoded form (filters removed), within
    /// the budgets, so lopdf never runs its own decoders on it.
    fn sanitize(&mut self, stream: &mut Stream) -> Result<(), DocumentError> {
        self.deadline.check()?;
        // lopdf fills in streams it could not measure while parsing after loading;
        // leave them (and their /Filter) for the pass over the loaded document.
        if stream.content.is_empty() && stream.start_position.is_some() {
            return Ok(());
        }
        if is_unneeded(&stream.dict) {
            stream.set_plain_content(Vec::new());
            return Ok(());
        }
        let decoded = self.decode(stream)?;
        if stream.dict.type_is(b"ObjStm") {
            // lopdf parses object streams into objects, from offsets they choose.
            let shape = measure(&decoded, &self.deadline)?;
            if shape.nesting > MAX_NESTING {
                return Err(DocumentError::TooDeep);
            }
            self.tokens_left = self
                .tokens_left
                .checked_sub(shape.tokens)
                .ok_or(DocumentError::TooLarge)?;
        }
        stream.set_plain_content(decoded);
        Ok(())
    }

    fn decode(&mut self, stream: &mut Stream) -> Result<Vec<u8>, DocumentError> {
        if !stream.dict.has(b"Filter") {
            // Raw content is charged too: streams whose /Length reaches over the objects
            // after them would otherwise multiply the file in memory.
            self.charge_bytes(stream.content.len())?;
            return Ok(std::mem::take(&mut stream.content));
        }
        let Ok(filters) = stream.filters() else {
            return Ok(Vec::new());
        };
        let predictor = predictor(
            stream
                .dict
                .get(b"DecodeParms")
                .and_then(Object::as_dict)
                .ok(),
        )?;
        let mut data = std::mem::take(&mut stream.content);
        for filter in filters {
            data = match filter.as_str() {
                "FlateDecode" => {
                    let inflated = inflate_zlib(&data, self.decoded_budget, &self.deadline)?;
                    match predictor {
                        Some((bytes_per_pixel, columns)) => {
                            lopdf::filters::png::decode_frame(&inflated, bytes_per_pixel, columns)
                                .unwrap_or_default()
                        }
                        None => inflated,
                    }
                }
                "ASCII85Decode" => ascii85(&data, self.decoded_budget, usize::MAX, &self.deadline)?,
                // Nothing else carries text that lopdf could decode (images use DCT,
                // JBIG2, CCITT; LZW was refused up front).
                _ => return Ok(Vec::new()),
            };
            self.charge_bytes(data.len())?;
        }
        Ok(data)
    }

    fn charge_bytes(&mut self, len: usize) -> Result<(), DocumentError> {
        self.decoded_budget = self
            .decoded_budget
            .checked_sub(len as u64)
            .ok_or(DocumentError::TooLarge)?;
        Ok(())
    }

    /// Counts the elements of every object lopdf keeps. In a well-formed file they
    /// come from distinct tokens, so this stays under the token bound; objects that
    /// overlap (entries pointing into each other via comments or strings) would not.
    fn charge_object(&mut self, object: &Object) -> Result<(), DocumentError> {
        let mut count = 0u64;
        let mut pending = vec![object];
        while let Some(object) = pending.pop() {
            count += 1;
            match object {
                Object::Array(items) => pending.extend(items),
                Object::Dictionary(dict) => pending.extend(dict.iter().map(|(_, v)| v)),
                Object::Stream(stream) => pending.extend(stream.dict.iter().map(|(_, v)| v)),
                _ => {}
            }
        }
        self.elements_left = self
            .elements_left
            .checked_sub(count)
            .ok_or(DocumentError::TooLarge)?;
        Ok(())
    }
}

/// Streams we never read text from: skip decoding them at all.
fn is_unneeded(dict: &Dictionary) -> bool {
    let name = |key: &[u8]| dict.get(key).and_then(Object::as_name).ok();
    matches!(
        name(b"Type"),
        Some(b"XRef" | b"XObject" | b"Metadata" | b"EmbeddedFile")
    ) || matches!(
        name(b"Subtype"),
        Some(b"Image" | b"Form" | b"Type1C" | b"CIDFontType0C" | b"OpenType")
    ) || dict.has(b"Length1")
        || dict.has(b"Length2")
        || dict.has(b"Length3")
}

/// PNG predictor parameters as lopdf reads them: (bytes per pixel, columns).
fn predictor(params: Option<&Dictionary>) -> Result<Option<(usize, usize)>, DocumentError> {
    let Some(params) = params else {
        return Ok(None);
    };
    let int =
        |key: &[u8], default: i64| params.get(key).and_then(Object::as_i64).unwrap_or(default);
    if !(10..=15).contains(&int(b"Predictor", 1)) {
        return Ok(None);
    }
    let columns = int(b"Columns", 1).max(1);
    let colors = int(b"Colors", 1).max(1);
    let bits = int(b"BitsPerComponent", 8).max(8);
    if columns > MAX_COLUMNS || colors > MAX_COLORS || bits > MAX_BITS {
        return Err(DocumentError::Malformed(
            "implausible predictor parameters".into(),
        ));
    }
    let bytes_per_pixel = usize::try_from(colors * bits / 8).unwrap_or(1);
    Ok(Some((
        bytes_per_pixel,
        usize::try_from(columns).unwrap_or(1),
    )))
}

fn info_title(doc: &Document) -> Option<String> {
    let info = match doc.trailer.get(b"Info").ok()? {
        Object::Reference(id) => doc.get_dictionary(*id).ok()?,
        Object::Dictionary(dict) => dict,
        _ => return None,
    };
    let title = info.get_deref(b"Title", doc).ok()?;
    clean_title(&lopdf::decode_text_string(title).ok()?)
}

// ---------------------------------------------------------------------------
// Page text: one paragraph per page.
// ---------------------------------------------------------------------------

fn pages_text(
    doc: &Document,
    limits: &DocumentLimits,
    deadline: &Deadline,
) -> Result<String, DocumentError> {
    let mut out = TextBuilder::new(limits.max_output_chars);
    let mut seen_pages = HashSet::new();
    let mut seen_contents = HashSet::new();
    let mut encodings: HashMap<usize, Option<Encoding<'_>>> = HashMap::new();
    for page_id in doc.page_iter() {
        deadline.check()?;
        if !seen_pages.insert(page_id) {
            continue;
        }
        // Pages sharing a content stream would repeat its text (and its cost).
        let contents: Vec<ObjectId> = doc
            .get_page_contents(page_id)
            .into_iter()
            .filter(|id| seen_contents.insert(*id))
            .collect();
        if contents.is_empty() {
            continue;
        }
        if !parent_chain_is_short(doc, page_id) {
            return Err(DocumentError::TooDeep);
        }
        let fonts = doc.get_page_fonts(page_id).unwrap_or_default();
        let mut page = PageText {
            out: &mut out,
            fonts: &fonts,
            encodings: &mut encodings,
            doc,
            state: TextState::default(),
        };
        for id in contents {
            if let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) {
                page.scan(&stream.content, deadline)?;
            }
        }
        out.end_paragraph();
    }
    Ok(out.finish())
}

/// lopdf collects page resources by recursing up the `Parent` chain.
fn parent_chain_is_short(doc: &Document, page_id: ObjectId) -> bool {
    let mut seen = HashSet::new();
    let mut current = doc.get_dictionary(page_id).ok();
    for _ in 0..MAX_PARENT_CHAIN {
        let Some(parent) =
            current.and_then(|d| d.get(b"Parent").and_then(Object::as_reference).ok())
        else {
            return true;
        };
        if !seen.insert(parent) {
            return true; // lopdf detects cycles itself
        }
        current = doc.get_dictionary(parent).ok();
    }
    false
}

fn font_encoding<'a>(font: &'a Dictionary, doc: &'a Document) -> Option<Encoding<'a>> {
    // lopdf debug-asserts this; a font dictionary without it is broken anyway.
    if !font.type_is(b"Font") {
        return None;
    }
    if let Ok(Object::Stream(cmap)) = font.get_deref(b"ToUnicode", doc)
        && cmap.content.len() > MAX_CMAP_BYTES
    {
        return None;
    }
    font.get_font_encoding(doc).ok()
}

/// Content-stream operands we keep (text operators need strings, numbers, names, arrays).
enum Operand {
    Number(f64),
    Bytes(Vec<u8>),
    Name(Vec<u8>),
    Array(Vec<Operand>),
    ArrayStart,
    DictStart,
    Other,
}

/// Operands pending before an operator beyond this mean garbage; they are dropped.
const MAX_OPERANDS: usize = 65_536;

#[derive(Default)]
struct TextState {
    font: Option<Vec<u8>>,
    line_y: Option<f64>,
    pending_newline: bool,
    pending_space: bool,
    line_has_text: bool,
}

struct PageText<'p, 'd> {
    out: &'p mut TextBuilder,
    fonts: &'p std::collections::BTreeMap<Vec<u8>, &'d Dictionary>,
    encodings: &'p mut HashMap<usize, Option<Encoding<'d>>>,
    doc: &'d Document,
    state: TextState,
}

impl PageText<'_, '_> {
    /// A streaming scan of one content stream: memory stays proportional to the
    /// operands of one operator, never to the whole stream.
    fn scan(&mut self, data: &[u8], deadline: &Deadline) -> Result<(), DocumentError> {
        let mut operands: Vec<Operand> = Vec::new();
        let mut i = 0;
        while i < data.len() {
            deadline.tick()?;
            let b = data[i];
            match b {
                _ if is_pdf_whitespace(b) => i += 1,
                b'%' => i = skip_space(data, i),
                b'(' => {
                    let (bytes, end) = literal_string(data, i + 1);
                    operands.push(Operand::Bytes(bytes));
                    i = end;
                }
                b'<' if data.get(i + 1) == Some(&b'<') => {
                    operands.push(Operand::DictStart);
                    i += 2;
                }
                b'<' => {
                    let (bytes, end) = hex_string(data, i + 1);
                    operands.push(Operand::Bytes(bytes));
                    i = end;
                }
                b'>' if data.get(i + 1) == Some(&b'>') => {
                    close(&mut operands, |o| matches!(o, Operand::DictStart));
                    operands.push(Operand::Other);
                    i += 2;
                }
                b'[' => {
                    operands.push(Operand::ArrayStart);
                    i += 1;
                }
                b']' => {
                    let items = close(&mut operands, |o| matches!(o, Operand::ArrayStart));
                    operands.push(Operand::Array(items));
                    i += 1;
                }
                b'/' => {
                    let (name, end) = read_name(data, i + 1);
                    operands.push(Operand::Name(name));
                    i = end;
                }
                _ if is_delimiter(b) => i += 1,
                _ => {
                    let len = data[i..].iter().take_while(|&&c| is_regular(c)).count();
                    let word = &data[i..i + len];
                    i += len;
                    if let Some(number) = parse_number(word) {
                        operands.push(Operand::Number(number));
                    } else if matches!(word, b"true" | b"false" | b"null") {
                        operands.push(Operand::Other);
                    } else {
                        if word == b"ID" {
                            i = skip_inline_image(data, i);
                        }
                        self.operator(word, &operands)?;
                        operands.clear();
                    }
                }
            }
            if operands.len() > MAX_OPERANDS {
                operands.clear();
            }
        }
        Ok(())
    }

    fn operator(&mut self, operator: &[u8], operands: &[Operand]) -> Result<(), DocumentError> {
        let number = |index_from_end: usize| match operands
            .len()
            .checked_sub(index_from_end)
            .map(|i| &operands[i])
        {
            Some(Operand::Number(n)) => Some(*n),
            _ => None,
        };
        match operator {
            b"Tf" => {
                if let Some(Operand::Name(name)) =
                    operands.len().checked_sub(2).map(|i| &operands[i])
                {
                    self.state.font = Some(name.clone());
                }
            }
            b"Tj" => self.show_last_string(operands)?,
            b"'" | b"\"" => {
                self.state.pending_newline = true;
                self.show_last_string(operands)?;
            }
            b"TJ" => {
                if let Some(Operand::Array(items)) = operands.last() {
                    for item in items {
                        match item {
                            Operand::Bytes(bytes) => self.show(bytes)?,
                            // Kerning this wide (thousandths of an em) is a word gap.
                            Operand::Number(n) if *n < -180.0 => self.state.pending_space = true,
                            _ => {}
                        }
                    }
                }
            }
            b"Td" | b"TD" => {
                let ty = number(1).unwrap_or(0.0);
                if ty.abs() > 0.01 {
                    self.state.pending_newline = true;
                    self.state.line_y = self.state.line_y.map(|y| y + ty);
                } else if number(2).unwrap_or(0.0) > 0.0 {
                    self.state.pending_space = true;
                }
            }
            b"Tm" => {
                let y = number(1);
                match (self.state.line_y, y) {
                    (Some(previous), Some(y)) if (previous - y).abs() > 0.01 => {
                        self.state.pending_newline = true
                    }
                    _ => self.state.pending_space = true,
                }
                self.state.line_y = y;
            }
            b"T*" => self.state.pending_newline = true,
            b"ET" => self.state.pending_space = true,
            _ => {}
        }
        Ok(())
    }

    fn show_last_string(&mut self, operands: &[Operand]) -> Result<(), DocumentError> {
        if let Some(Operand::Bytes(bytes)) = operands.last() {
            self.show(bytes)?;
        }
        Ok(())
    }

    /// Decodes a shown string with the current font's encoding and appends it.
    fn show(&mut self, bytes: &[u8]) -> Result<(), DocumentError> {
        let Some(text) = self.decode(bytes) else {
            return Ok(());
        };
        if text.is_empty() {
            return Ok(());
        }
        if self.state.line_has_text {
            if self.state.pending_newline {
                self.out.push('\n')?;
            } else if self.state.pending_space && !text.starts_with(' ') {
                self.out.push(' ')?;
            }
        }
        self.state.pending_newline = false;
        self.state.pending_space = false;
        self.state.line_has_text = true;
        self.out.push_str(&text)
    }

    fn decode(&mut self, bytes: &[u8]) -> Option<String> {
        let font: &Dictionary = self.fonts.get(self.state.font.as_ref()?)?;
        let key = std::ptr::from_ref::<Dictionary>(font) as usize;
        let doc = self.doc;
        let encoding = self
            .encodings
            .entry(key)
            .or_insert_with(|| font_encoding(font, doc));
        match encoding {
            Some(encoding) => encoding.bytes_to_string(bytes).ok(),
            // No usable encoding: Latin text in simple fonts still reads right this way.
            None if !font.has(b"DescendantFonts") => Some(
                WINDOWS_1252
                    .decode_without_bom_handling(bytes)
                    .0
                    .into_owned(),
            ),
            None => None,
        }
    }
}

/// Pops operands back to (and including) the marker, returning those after it.
fn close(operands: &mut Vec<Operand>, is_marker: impl Fn(&Operand) -> bool) -> Vec<Operand> {
    match operands.iter().rposition(is_marker) {
        Some(start) => {
            let items = operands.split_off(start + 1);
            operands.pop();
            items
        }
        None => Vec::new(),
    }
}

fn parse_number(word: &[u8]) -> Option<f64> {
    let first = *word.first()?;
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return None;
    }
    std::str::from_utf8(word)
        .ok()?
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
}

/// A literal string starting after `(`: (bytes, index after the closing `)`).
fn literal_string(data: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut depth = 1usize;
    while let Some(&b) = data.get(i) {
        i += 1;
        match b {
            b'\\' => {
                let Some(&escaped) = data.get(i) else { break };
                i += 1;
                match escaped {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(0x08),
                    b'f' => out.push(0x0C),
                    b'0'..=b'7' => {
                        let mut value = u32::from(escaped - b'0');
                        for _ in 0..2 {
                            match data.get(i) {
                                Some(&d @ b'0'..=b'7') => {
                                    value = value * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push(value.to_le_bytes()[0]);
                    }
                    // A backslash before a line break continues the line.
                    b'\r' => {
                        if data.get(i) == Some(&b'\n') {
                            i += 1;
                        }
                    }
                    b'\n' => {}
                    other => out.push(other),
                }
            }
            b'(' => {
                depth += 1;
                out.push(b);
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                out.push(b);
            }
            _ => out.push(b),
        }
    }
    (out, i)
}

/// A hex string starting after `<`: (bytes, index after `>`).
fn hex_string(data: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut high: Option<u8> = None;
    while let Some(&b) = data.get(i) {
        i += 1;
        if b == b'>' {
            break;
        }
        let Some(nibble) = (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok()) else {
            continue;
        };
        match high.take() {
            Some(h) => out.push(h << 4 | nibble),
            None => high = Some(nibble),
        }
    }
    if let Some(h) = high {
        out.push(h << 4);
    }
    (out, i)
}

/// Skips inline image data after `ID`, up to the `EI` that ends it.
fn skip_inline_image(data: &[u8], start: usize) -> usize {
    let mut i = start + 1; // the single white-space byte after ID
    while i + 1 < data.len() {
        let ends = data[i] == b'E'
            && data[i + 1] == b'I'
            && data
                .get(i.wrapping_sub(1))
                .is_some_and(|&b| is_pdf_whitespace(b))
            && data.get(i + 2).is_none_or(|&b| is_pdf_whitespace(b));
        if ends {
            return i + 2;
        }
        i += 1;
    }
    data.len()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use lopdf::content::{Content, Operation};
    use lopdf::{Stream, dictionary};

    use super::super::zip_limits::test_support::{build_zero_bomb, zlib_stream};
    use super::*;

    fn run(bytes: &[u8]) -> Result<ExtractedDocument, DocumentError> {
        let limits = DocumentLimits::default();
        extract(bytes, &limits, &Deadline::after(limits.time_budget))
    }

    fn build_pdf(pages: &[&[u8]], title: Option<&str>, compress: bool) -> Vec<u8> {
        save(pdf_document(pages, title, compress))
    }

    fn save(mut doc: Document) -> Vec<u8> {
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    /// Builds a PDF with lopdf's own document builder: one page per content stream.
    /// (lopdf writes a compressed xref stream, so loading exercises that path too.)
    fn pdf_document(pages: &[&[u8]], title: Option<&str>, compress: bool) -> Document {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font_id = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => "Helvetica",
        });
        let resources_id = doc.add_object(dictionary! {
            "Font" => dictionary! { "F1" => font_id },
        });
        let mut kids = Vec::new();
        for content in pages {
            let mut stream = Stream::new(dictionary! {}, content.to_vec());
            if compress {
                stream.compress().unwrap();
            }
            let content_id = doc.add_object(stream);
            let page_id = doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "Contents" => content_id,
            });
            kids.push(page_id.into());
        }
        let count = i64::try_from(kids.len()).unwrap();
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => kids,
                "Count" => count,
                "Resources" => resources_id,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            }),
        );
        let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog_id);
        if let Some(title) = title {
            let info_id = doc.add_object(dictionary! { "Title" => Object::string_literal(title) });
            doc.trailer.set("Info", info_id);
        }
        doc
    }

    const HELLO: &[u8] = b"BT /F1 12 Tf 72 712 Td (Hello PDF) Tj ET";

    #[test]
    fn hello_pdf() {
        let doc = run(&build_pdf(&[HELLO], Some("A Title"), false)).unwrap();
        assert_eq!(doc.text, "Hello PDF");
        assert_eq!(doc.title.as_deref(), Some("A Title"));
    }

    #[test]
    fn content_built_with_lopdf_operations_and_compression() {
        let content = Content {
            operations: vec![
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), 12.into()]),
                Operation::new("Td", vec![72.into(), 712.into()]),
                Operation::new("Tj", vec![Object::string_literal("Hello PDF")]),
                Operation::new("Td", vec![0.into(), (-14).into()]),
                Operation::new(
                    "TJ",
                    vec![Object::Array(vec![
                        Object::string_literal("second"),
                        (-250).into(),
                        Object::string_literal("line (with) \\ escapes"),
                    ])],
                ),
                Operation::new("ET", vec![]),
            ],
        };
        let page_two =
            b"BT /F1 12 Tf 1 0 0 1 72 700 Tm <50616765> Tj 1 0 0 1 120 700 Tm (two) Tj ET";
        let pdf = build_pdf(&[&content.encode().unwrap(), page_two], None, true);
        let doc = run(&pdf).unwrap();
        assert_eq!(
            doc.text,
            "Hello PDF\nsecond line (with) \\ escapes\n\nPage two"
        );
        assert_eq!(doc.title, None);
    }

    #[test]
    fn garbage_and_truncation_are_errors() {
        let pdf = build_pdf(&[HELLO], None, true);
        for cut in [0, 9, pdf.len() / 3, pdf.len() / 2, pdf.len() - 10] {
            let _ = run(&pdf[..cut]);
        }
        assert!(matches!(
            run(b"%PDF-1.4\ngarbage"),
            Err(DocumentError::Malformed(_))
        ));
        assert!(matches!(run(b"GIF89a"), Err(DocumentError::Malformed(_))));
        // Every single-byte corruption of a small PDF: errors or text, never a panic or hang.
        let small = build_pdf(&[HELLO], Some("t"), false);
        for i in (0..small.len()).step_by(7) {
            let mut corrupt = small.clone();
            corrupt[i] = corrupt[i].wrapping_add(0x55);
            if let Err(DocumentError::Malformed(message)) = run(&corrupt) {
                assert_ne!(message, "PDF parser panicked", "byte {i}");
            }
        }
    }

    #[test]
    fn deep_nesting_is_refused_before_lopdf() {
        let mut pdf = b"%PDF-1.4\n1 0 obj ".to_vec();
        pdf.extend(std::iter::repeat_n(b'[', 100_000));
        pdf.extend(b"\nendobj\ntrailer << /Root 1 0 R >>\nstartxref\n9\n%%EOF\n");
        assert!(matches!(run(&pdf), Err(DocumentError::TooDeep)));
        // Hidden inside a string from a left-to-right reading, still counted.
        let mut hidden = b"%PDF-1.4\n1 0 obj (".to_vec();
        hidden.extend(b"<<".repeat(50_000));
        hidden.extend(b")\nendobj\n%%EOF\n");
        assert!(matches!(run(&hidden), Err(DocumentError::TooDeep)));
    }

    #[test]
    fn nesting_measure_ignores_binary_noise() {
        // Generous: this checks the measure, not its speed, and a loaded CI
        // machine runs unoptimised test builds slowly.
        let deadline = Deadline::after(Duration::from_secs(120));
        let mut noise = Vec::with_capacity(1 << 18);
        let mut seed: u32 = 7;
        for _ in 0..(1 << 18) {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            noise.push(seed.to_le_bytes()[1]);
        }
        let shape = measure(&noise, &deadline).unwrap();
        assert!(shape.nesting < 64, "nesting {}", shape.nesting);
        let real = build_pdf(&[HELLO], Some("x"), true);
        assert!(measure(&real, &deadline).unwrap().nesting <= 4);
    }

    #[test]
    fn flate_bomb_stream_is_refused() {
        // A stream that inflates to 60 MiB of zeros.
        let compressed = zlib_stream(&build_zero_bomb("x", 60 << 20));
        assert!(compressed.len() < 1 << 20);
        let mut pdf = build_pdf(&[HELLO], None, false);
        // Append the bomb as an extra, unreferenced object: the raw probe must still see it.
        pdf.extend_from_slice(
            format!(
                "99 0 obj << /Length {} /Filter /FlateDecode >> stream\n",
                compressed.len()
            )
            .as_bytes(),
        );
        pdf.extend_from_slice(&compressed);
        pdf.extend_from_slice(b"\nendstream endobj\n");
        assert!(matches!(run(&pdf), Err(DocumentError::TooLarge)));
    }

    /// Appends `object` as object 99 in an incremental update (lopdf's writer will not
    /// write object streams itself).
    fn append_object(pdf: &[u8], root: Object, object: &[u8]) -> Vec<u8> {
        let text = String::from_utf8_lossy(pdf);
        let startxref = text.rfind("startxref").unwrap();
        let previous: usize = text[startxref + 9..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let mut out = pdf.to_vec();
        let offset = out.len();
        out.extend_from_slice(b"99 0 obj\n");
        out.extend_from_slice(object);
        out.extend_from_slice(b"\nendobj\n");
        let xref = out.len();
        let Object::Reference((root, _)) = root else {
            panic!("root is not a reference")
        };
        out.extend_from_slice(
            format!(
                "xref\n0 1\n0000000000 65535 f \n99 1\n{offset:010} 00000 n \ntrailer\n<< /Size 100 /Root {root} 0 R /Prev {previous} >>\nstartxref\n{xref}\n%%EOF\n"
            )
            .as_bytes(),
        );
        out
    }

    /// Nesting and object counts hidden in a compressed object stream, which only
    /// exist after decoding: caught by the load-time filter before lopdf parses them.
    #[test]
    fn hostile_object_streams_are_refused() {
        let doc = pdf_document(&[HELLO], None, false);
        let root = doc.trailer.get(b"Root").unwrap().clone();
        let pdf = save(doc);
        let with_object_stream = |body: &[u8]| {
            let mut content = b"98 0 ".to_vec();
            content.extend_from_slice(body);
            let mut stream = Stream::new(
                dictionary! { "Type" => "ObjStm", "N" => 1, "First" => 5 },
                content,
            );
            stream.compress().unwrap();
            let mut object = format!(
                "<< /Type /ObjStm /N 1 /First 5 /Filter /FlateDecode /Length {} >>\nstream\n",
                stream.content.len()
            )
            .into_bytes();
            object.extend_from_slice(&stream.content);
            object.extend_from_slice(b"\nendstream");
            append_object(&pdf, root.clone(), &object)
        };
        // A harmless object stream loads fine...
        assert_eq!(
            run(&with_object_stream(b"<< /A [1 2 3] >>")).unwrap().text,
            "Hello PDF"
        );
        // Nesting just under the limit is parsed, so the worker stack is big enough.
        let admitted = (MAX_NESTING - 8) as usize;
        let deep_but_allowed = format!("<< /A {}{} >>", "[".repeat(admitted), "]".repeat(admitted));
        let loaded = run(&append_object(
            &pdf,
            root.clone(),
            deep_but_allowed.as_bytes(),
        ));
        assert_eq!(loaded.unwrap().text, "Hello PDF");
        // ...a deep one or a huge one does not.
        let deep = run(&with_object_stream(&b"[".repeat(100_000)));
        assert!(matches!(deep, Err(DocumentError::TooDeep)), "{deep:?}");
        let many = run(&with_object_stream(&b"0 ".repeat(2_100_000)));
        assert!(matches!(many, Err(DocumentError::TooLarge)), "{many:?}");
    }

    /// A file whose xref entries point at objects that overlap: every stream's
    /// /Length runs to one shared `endstream`, so lopdf copies most of the file once
    /// per object. The kept bytes are charged, so this fails instead of filling memory.
    #[test]
    fn overlapping_streams_are_bounded() {
        let objects = 200;
        let filler = 100_000;
        let header =
            |id: usize, len: usize| format!("{id:06} 0 obj <</Length {len:010}>> stream\n");
        let header_len = header(0, 0).len();
        let start = b"%PDF-1.4\n".len();
        let data_end = start + objects * header_len + filler;
        let mut pdf = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for k in 0..objects {
            let offset = start + k * header_len;
            offsets.push(offset);
            pdf.extend_from_slice(header(k + 1, data_end - offset - header_len).as_bytes());
        }
        pdf.extend(std::iter::repeat_n(b' ', filler));
        pdf.extend_from_slice(b"\nendstream\nendobj\n");
        let xref = pdf.len();
        pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects + 1).as_bytes());
        for offset in offsets {
            pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        pdf.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects + 1
            )
            .as_bytes(),
        );
        let limits = DocumentLimits {
            max_uncompressed_bytes: 16 << 20,
            ..DocumentLimits::default()
        };
        let result = extract(&pdf, &limits, &Deadline::after(limits.time_budget));
        assert!(matches!(result, Err(DocumentError::TooLarge)), "{result:?}");
    }

    /// Objects hidden in a comment line all parse the same long array after it.
    #[test]
    fn overlapping_objects_are_bounded() {
        let objects = 120;
        let mut pdf = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for k in 0..objects {
            offsets.push(pdf.len());
            pdf.extend_from_slice(format!("{} 0 obj [ %", k + 1).as_bytes());
        }
        pdf.push(b'\n');
        pdf.extend(b"0 ".repeat(20_000));
        pdf.extend_from_slice(b"]\nendobj\n");
        let xref = pdf.len();
        pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects + 1).as_bytes());
        for offset in offsets {
            pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        pdf.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects + 1
            )
            .as_bytes(),
        );
        let result = run(&pdf);
        // Either bound may stop it first: the size budget, or on a slow,
        // loaded machine running an unoptimised build, the deadline.
        assert!(
            matches!(
                result,
                Err(DocumentError::TooLarge | DocumentError::TimedOut)
            ),
            "{result:?}"
        );
    }

    #[test]
    fn hostile_parameters_are_refused() {
        let base = b"%PDF-1.5\n1 0 obj << /Type /XRef /W [0 0 0] /Size 2000000000 >> stream\nendstream endobj\nstartxref\n9\n%%EOF\n";
        assert!(matches!(run(base), Err(DocumentError::Malformed(_))));
        let columns = b"%PDF-1.5\n1 0 obj << /DecodeParms << /Predictor 12 /Col#75mns 99999999999 >> >> endobj\n%%EOF\n";
        assert!(matches!(run(columns), Err(DocumentError::Malformed(_))));
        let lzw =
            b"%PDF-1.5\n1 0 obj << /Filter /LZWDecode >> stream\nxx\nendstream endobj\n%%EOF\n";
        assert!(matches!(run(lzw), Err(DocumentError::Unsupported)));
        let chain = b"%PDF-1.5\n1 0 obj << /Length 2 0 R >> stream\nx\nendstream endobj\n2 0 obj << /Length 1 0 R >> stream\nx\nendstream endobj\n%%EOF\n";
        assert!(matches!(run(chain), Err(DocumentError::Malformed(_))));
    }

    #[test]
    fn encrypted_is_refused() {
        let mut doc = pdf_document(&[HELLO], None, true);
        doc.trailer.set(
            "Encrypt",
            dictionary! { "Filter" => "Standard", "V" => 1, "R" => 2 },
        );
        assert!(matches!(run(&save(doc)), Err(DocumentError::Encrypted)));
    }

    #[test]
    fn sanitizer_decodes_once_and_defers_unfilled_streams() {
        let mut sanitizer = Sanitizer {
            decoded_budget: 1 << 20,
            tokens_left: MAX_TOKENS,
            elements_left: MAX_TOKENS,
            deadline: Deadline::after(Duration::from_secs(5)),
            error: None,
        };
        let content = HELLO.repeat(20);
        let mut stream = Stream::new(dictionary! {}, content.clone());
        stream.compress().unwrap();
        assert!(stream.dict.has(b"Filter"));
        sanitizer.sanitize(&mut stream).unwrap();
        assert_eq!(stream.content, content);
        assert!(!stream.dict.has(b"Filter"));

        let mut unfilled = Stream::with_position(dictionary! { "Filter" => "FlateDecode" }, 100);
        sanitizer.sanitize(&mut unfilled).unwrap();
        assert!(
            unfilled.dict.has(b"Filter"),
            "must be left for the post-load pass"
        );

        let mut image = Stream::new(dictionary! { "Subtype" => "Image" }, vec![1, 2, 3]);
        sanitizer.sanitize(&mut image).unwrap();
        assert!(image.content.is_empty());
    }

    #[test]
    fn content_scanner_handles_inline_images_and_garbage() {
        let limits = DocumentLimits::default();
        let deadline = Deadline::after(limits.time_budget);
        let doc = Document::new();
        let fonts = std::collections::BTreeMap::new();
        let mut encodings = HashMap::new();
        let mut out = TextBuilder::new(1000);
        let mut page = PageText {
            out: &mut out,
            fonts: &fonts,
            encodings: &mut encodings,
            doc: &doc,
            state: TextState::default(),
        };
        page.scan(
            b"BI /W 2 /H 2 ID \x00EI\xff(junk) EI Q ] ] >> << [[[ ((( \\",
            &deadline,
        )
        .unwrap();
        page.scan(&b"[".repeat(200_000), &deadline).unwrap();
        assert_eq!(out.finish(), "");
    }
}
