//! Where the CPU went: of the machine, this process, `oped serve` and the
//! extractors it starts, and PostgreSQL, from /proc.

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use crate::parse_mode::ParseFigures;

/// CPU time of the machine and of each party, from /proc, in clock ticks.
pub struct CpuSample {
    machine_busy: u64,
    machine_idle: u64,
    machine_iowait: u64,
    client: u64,
    server: u64,
    /// PostgreSQL backends (and autovacuum workers) of the bench database, by pid.
    postgres_ours: HashMap<u32, u64>,
    /// The postmaster and its shared helpers (WAL writer, checkpointer,
    /// background writer), by pid. Other databases' backends are not counted.
    postgres_shared: HashMap<u32, u64>,
}

impl CpuSample {
    pub fn take(server_pid: u32, database: &str) -> Self {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let fields: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|field| field.parse().ok())
            .collect();
        let field = |n: usize| fields.get(n).copied().unwrap_or(0);
        // user nice system idle iowait irq softirq steal (guest time is inside user).
        let machine_busy = field(0) + field(1) + field(2) + field(5) + field(6) + field(7);
        let (mut postgres_ours, mut postgres_shared) = (HashMap::new(), HashMap::new());
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
                if comm.trim() != "postgres" {
                    continue;
                }
                let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                match postgres_role(&String::from_utf8_lossy(&cmdline), database) {
                    PostgresRole::Ours => postgres_ours.insert(pid, process_ticks(pid)),
                    PostgresRole::Shared => postgres_shared.insert(pid, process_ticks(pid)),
                    PostgresRole::OtherDatabase => None,
                };
            }
        }
        CpuSample {
            machine_busy,
            machine_idle: field(3),
            machine_iowait: field(4),
            client: process_tree_ticks(std::process::id()),
            server: process_tree_ticks(server_pid),
            postgres_ours,
            postgres_shared,
        }
    }
}

enum PostgresRole {
    Ours,
    Shared,
    OtherDatabase,
}

/// Tells PostgreSQL processes apart by the title they set:
/// `postgres: 15/main: <user> <database> 127.0.0.1(port) <state>` for a
/// backend, `postgres: 15/main: autovacuum worker <database>`,
/// `postgres: 15/main: walwriter` for a helper; the postmaster keeps its path.
fn postgres_role(cmdline: &str, database: &str) -> PostgresRole {
    let words: Vec<&str> = cmdline
        .split(['\0', ' '])
        .filter(|w| !w.is_empty())
        .collect();
    if words.contains(&database) {
        PostgresRole::Ours
    } else if !cmdline.starts_with("postgres:") {
        PostgresRole::Shared
    } else if cmdline.contains("autovacuum worker")
        || cmdline.contains("[local]")
        || cmdline.contains('(')
    {
        PostgresRole::OtherDatabase
    } else {
        PostgresRole::Shared
    }
}

/// utime + stime of a process and of its children it has reaped: the
/// `oped extract` children that read the documents are part of the cost.
pub fn process_tree_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let Some((_, rest)) = stat.rsplit_once(") ") else {
        return 0;
    };
    // cutime and cstime are fields 16 and 17 (13 and 14 after the name).
    let reaped: u64 = rest
        .split_whitespace()
        .skip(13)
        .take(2)
        .filter_map(|field| field.parse::<u64>().ok())
        .sum();
    process_ticks(pid) + reaped
}

/// utime + stime of a process (all its threads), in clock ticks; 0 when gone.
fn process_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may hold spaces; the fields after it are positional
    // (state is field 3, utime 14, stime 15).
    let Some((_, rest)) = stat.rsplit_once(") ") else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let parse = |n: usize| {
        fields
            .get(n)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    parse(11) + parse(12)
}

pub fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

/// Where the machine's CPU went during the run: the client (this process),
/// `oped serve`, PostgreSQL, everything else, and idle. The client shares the
/// two cores with the server and the database, so it is part of the cost.
pub fn print_cpu(
    before: &CpuSample,
    after: &CpuSample,
    wall: Duration,
    mails: usize,
    parse: Option<&ParseFigures>,
) {
    let hz = clock_ticks_per_second();
    let seconds = |ticks: u64| ticks as f64 / hz;
    let grown = |after: &HashMap<u32, u64>, before: &HashMap<u32, u64>| -> u64 {
        after
            .iter()
            .map(|(pid, ticks)| ticks.saturating_sub(before.get(pid).copied().unwrap_or(0)))
            .sum()
    };
    let postgres_ours = grown(&after.postgres_ours, &before.postgres_ours);
    let postgres_shared = grown(&after.postgres_shared, &before.postgres_shared);
    let client = after.client.saturating_sub(before.client);
    let server = after.server.saturating_sub(before.server);
    let busy = after.machine_busy.saturating_sub(before.machine_busy);
    let idle = after.machine_idle.saturating_sub(before.machine_idle);
    let iowait = after.machine_iowait.saturating_sub(before.machine_iowait);
    let other = busy.saturating_sub(client + server + postgres_ours + postgres_shared);
    let capacity = busy + idle + iowait;
    let share = |ticks: u64| 100.0 * ticks as f64 / capacity.max(1) as f64;
    println!(
        "  cpu of the whole machine during the run ({:.1} core-seconds in {:.2} s; load average now {}):",
        seconds(capacity),
        wall.as_secs_f64(),
        load_average()
    );
    for (label, ticks) in [
        ("client (this bench)", client),
        ("oped + extractors", server),
        ("postgres backends", postgres_ours),
        ("postgres shared", postgres_shared),
        ("other processes", other),
        ("idle", idle),
        ("iowait", iowait),
    ] {
        println!(
            "    {label:<20} {:>6.1} s {:>5.1}%  {:>6.0} µs/mail",
            seconds(ticks),
            share(ticks),
            seconds(ticks) * 1e6 / mails as f64
        );
    }
    let cpu_per_mail = seconds(client + server + postgres_ours + postgres_shared) / mails as f64;
    println!(
        "    CPU per mail (client + oped + postgres): {:.2} ms; {} idle cores would give at most {:.0} mails/s \
         (an upper bound that ignores waiting)",
        cpu_per_mail * 1e3,
        cores(),
        cores() as f64 / cpu_per_mail
    );
    if share(other) > 10.0 {
        println!(
            "    WARNING: other processes used {:.0}% of the machine: these figures understate what it can do",
            share(other)
        );
    }
    if let Some(parse) = parse {
        let server_per_mail = seconds(server) * 1e6 / mails as f64;
        let parse_per_mail = parse.median_per_mail.as_secs_f64() * 1e6;
        println!(
            "    of oped's {server_per_mail:.0} µs/mail, ~{parse_per_mail:.0} µs is the parse step (parse mode, 1 thread); \
             the rest is HTTP, the pool, diesel, libpq and hashing"
        );
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The 1, 5 and 15 minute load averages: a busy machine skews every figure.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}
