//! The end-to-end run's report: rates, latencies, statuses, the outcomes
//! stored against the outcomes meant, and what makes the run fail.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::end_to_end::{Exchange, Stored};
use crate::mix::{Kind, Mail};

pub struct EndToEndReport<'a> {
    mails: usize,
    exchanges: &'a [Exchange],
    wall: Duration,
    stored: &'a Stored,
    expected_outcomes: BTreeMap<String, i64>,
    /// Answers with another outcome than the mail's kind calls for.
    mismatches: Vec<Mismatch>,
}

struct Mismatch {
    index: usize,
    kind: Kind,
    got: String,
}

impl<'a> EndToEndReport<'a> {
    pub fn new(
        mails: &[Mail],
        exchanges: &'a [Exchange],
        wall: Duration,
        stored: &'a Stored,
    ) -> Self {
        let mut expected_outcomes = BTreeMap::new();
        for mail in mails {
            *expected_outcomes
                .entry(mail.kind.expected_outcome().to_string())
                .or_insert(0) += 1;
        }
        let mismatches = exchanges
            .iter()
            .filter(|exchange| exchange.error.is_none())
            .filter_map(|exchange| {
                let kind = mails[exchange.index].kind;
                let got = exchange.outcome.clone().unwrap_or_else(|| "(none)".into());
                (got != kind.expected_outcome()).then_some(Mismatch {
                    index: exchange.index,
                    kind,
                    got,
                })
            })
            .collect();
        EndToEndReport {
            mails: mails.len(),
            exchanges,
            wall,
            stored,
            expected_outcomes,
            mismatches,
        }
    }

    pub fn print(&self, concurrency: usize) {
        let seconds = self.wall.as_secs_f64();
        let mut latencies: Vec<Duration> = self.exchanges.iter().map(|e| e.latency).collect();
        latencies.sort();
        let percentile = |p: f64| {
            latencies
                .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
                .map_or(0.0, |latency| latency.as_secs_f64() * 1e3)
        };
        let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
        for exchange in self.exchanges {
            let key = exchange.status.map_or_else(
                || "transport error".to_string(),
                |status| status.to_string(),
            );
            *statuses.entry(key).or_insert(0) += 1;
        }
        let tables = &self.stored.tables;
        println!(
            "  sent {} of {} mails in {seconds:.2} s with {concurrency} clients",
            self.exchanges.len(),
            self.mails
        );
        println!(
            "  requests/s      {:>8.0}",
            self.exchanges.len() as f64 / seconds
        );
        println!(
            "  stored mails/s  {:>8.0}   (inbound_messages rows: {})",
            tables.inbound_messages as f64 / seconds,
            tables.inbound_messages
        );
        println!(
            "  submissions/s   {:>8.0}   (submissions rows: {})",
            tables.submissions as f64 / seconds,
            tables.submissions
        );
        println!(
            "  latency ms      p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
            percentile(0.50),
            percentile(0.90),
            percentile(0.99),
            percentile(1.0)
        );
        println!(
            "  statuses        {}",
            statuses
                .iter()
                .map(|(status, count)| format!("{status}: {count}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "  outcomes stored {}",
            self.stored
                .outcomes
                .iter()
                .map(|(outcome, count)| format!("{outcome} {count}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "  outcomes meant  {}",
            self.expected_outcomes
                .iter()
                .map(|(outcome, count)| format!("{outcome} {count}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "  other rows      revisions {}, attachments {}, correspondence {}; database {:.0} MB",
            tables.revisions,
            tables.attachments,
            tables.correspondence,
            tables.database_bytes as f64 / 1e6
        );
        println!(
            "  failed requests {}",
            self.exchanges.iter().filter(|e| e.error.is_some()).count()
        );
    }

    /// Everything that makes the run invalid.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let failed: Vec<&Exchange> = self
            .exchanges
            .iter()
            .filter(|e| e.error.is_some())
            .collect();
        if !failed.is_empty() {
            failures.push(format!("{} requests failed", failed.len()));
            for exchange in failed.iter().take(5) {
                failures.push(format!(
                    "mail {}: status {:?}: {}",
                    exchange.index,
                    exchange.status,
                    exchange.error.as_deref().unwrap_or_default()
                ));
            }
        }
        if self.exchanges.len() < self.mails {
            failures.push(format!(
                "only {} of {} mails were sent within the time limit",
                self.exchanges.len(),
                self.mails
            ));
        }
        if self.stored.tables.inbound_messages != self.mails as i64 {
            failures.push(format!(
                "inbound_messages holds {} rows, {} mails were sent",
                self.stored.tables.inbound_messages, self.mails
            ));
        }
        if !self.mismatches.is_empty() {
            failures.push(format!(
                "{} mails got another outcome than their kind's",
                self.mismatches.len()
            ));
            for mismatch in self.mismatches.iter().take(5) {
                failures.push(format!(
                    "mail {} ({}): expected {}, got {}",
                    mismatch.index,
                    mismatch.kind.label(),
                    mismatch.kind.expected_outcome(),
                    mismatch.got
                ));
            }
        }
        failures
    }
}
