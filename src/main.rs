use std::process::ExitCode;

fn main() -> ExitCode {
    // First of all: the environment holds OPED_JWT_SECRET and DATABASE_URL.
    // An undumpable process's /proc/<pid>/environ and /proc/<pid>/mem are
    // closed to its own user's other processes, among them a document
    // extractor a crafted attachment has taken over; and no core file keeps
    // them either.
    if let Err(err) = nix::sys::prctl::set_dumpable(false) {
        eprintln!("oped: cannot protect this process's memory from its children: {err}");
        // 75: the MTA keeps a message given to `oped ingest` for later.
        return ExitCode::from(oped::cli::EX_TEMPFAIL);
    }
    oped::cli::run()
}
