//! What a near-duplicate fingerprint costs intake: the MinHash of a
//! 1,200-word text, and the comparison of two signatures. Run by hand:
//! `cargo run --release --example fingerprint_bench`; figures in BENCHMARKS.md.

use std::hint::black_box;
use std::time::Instant;

use oped::text::fingerprint::{fingerprint, similarity};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn main() {
    let mut rng = StdRng::seed_from_u64(42);
    let vocabulary: Vec<String> = (0..5_000)
        .map(|_| {
            let length = rng.random_range(2..10);
            (0..length).map(|_| rng.random_range('a'..='z')).collect()
        })
        .collect();
    let text: Vec<&str> = (0..1_200)
        .map(|_| vocabulary[rng.random_range(0..vocabulary.len())].as_str())
        .collect();
    let text = text.join(" ");

    let rounds = 5_000;
    let start = Instant::now();
    for _ in 0..rounds {
        black_box(fingerprint(black_box(&text)));
    }
    println!(
        "fingerprint of a 1,200-word text: {:?}",
        start.elapsed() / rounds
    );

    let print = fingerprint(&text).expect("long enough");
    let rounds = 1_000_000;
    let start = Instant::now();
    for _ in 0..rounds {
        black_box(similarity(black_box(&print.signature), &print.signature));
    }
    println!(
        "similarity of two signatures: {:?}",
        start.elapsed() / rounds
    );
}
