use std::process::ExitCode;

fn main() -> ExitCode {
    oped::cli::run()
}
