//! The `zhiban` command: see `zhiban --help`.

fn main() -> std::process::ExitCode {
    zhiban_api::cli::main()
}
