//! Writes a generated LEDES file:
//! `cargo run -p ledes --example generate -- LINE_ITEMS FORMAT PATH` (FORMAT: 1998b, 98bi, xml2.1…).

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let format: ledes::Format = args
        .next()
        .unwrap_or_else(|| "1998b".into())
        .parse()
        .expect("format");
    let path = args.next().unwrap_or_else(|| "generated.txt".into());
    let file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let bytes = ledes::generate::Generator::new(2024)
        .line_items(n)
        .invoices_per_file(n.div_ceil(1000).max(1))
        .format(format)
        .write_to(file)
        .expect("write");
    eprintln!("{path}: {n} line items, {bytes} bytes, {format}");
}
