//! Validates a LEDES file and prints the report: `cargo run -p ledes --example validate -- FILE`.

fn main() {
    let path = std::env::args().nth(1).expect("usage: validate FILE");
    let bytes = std::fs::read(&path).expect("read");
    let report = ledes::validate(&bytes, &ledes::ValidateOptions::default());
    print!("{}", report.render_text(&path));
}
