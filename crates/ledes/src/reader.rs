//! Streaming reading over `std::io::BufRead`: invoices come out one at a time. Memory is bounded
//! by the largest invoice (its line items, when kept) plus one short string per invoice number
//! seen (to detect invoices split across the file), not by the file size.

use crate::finding::{Finding, Rule, Severity};
use crate::pipe::{PipeParser, ReadInvoice};
use crate::{Format, ValidateOptions};
use std::collections::VecDeque;
use std::io::{self, BufRead};

/// Reads and validates a LEDES file from a stream, yielding each invoice with its findings as
/// soon as its last line has been read.
///
/// The pipe formats are streamed line by line (lines longer than
/// [`ValidateOptions::max_record_len`] are reported, never buffered whole). LEDES XML is read
/// into memory first (up to [`ValidateOptions::max_xml_len`]).
///
/// ```
/// use ledes::{Reader, ValidateOptions};
/// let file = ledes::generate::Generator::new(7).line_items(50).invoices_per_file(3).to_vec();
/// let mut reader = Reader::new(&file[..], ValidateOptions::default());
/// let mut lines = 0;
/// for item in &mut reader {
///     assert!(!item.has_errors(), "{:?}", item.findings);
///     lines += item.invoice.unwrap().line_items.len();
/// }
/// assert_eq!(lines, 50);
/// assert!(reader.take_file_findings().is_empty());
/// assert_eq!(reader.line_items(), 50);
/// ```
pub struct Reader<R> {
    input: R,
    opts: ValidateOptions,
    parser: Option<PipeParser>,
    queue: VecDeque<ReadInvoice>,
    file_findings: Vec<Finding>,
    format: Option<Format>,
    buf: Vec<u8>,
    line_no: u64,
    started: bool,
    finished: bool,
    line_items: usize,
    keep: bool,
}

impl<R: BufRead> Reader<R> {
    /// A reader that keeps each invoice (`ReadInvoice::invoice`).
    pub fn new(input: R, opts: ValidateOptions) -> Reader<R> {
        Reader {
            input,
            keep: true,
            opts,
            parser: None,
            queue: VecDeque::new(),
            file_findings: Vec::new(),
            format: None,
            buf: Vec::new(),
            line_no: 0,
            started: false,
            finished: false,
            line_items: 0,
        }
    }

    /// Validation only: invoices are checked but not built (`ReadInvoice::invoice` is `None`).
    pub fn findings_only(mut self) -> Reader<R> {
        self.keep = false;
        self
    }

    /// The detected format (known after the first invoice, or the first call to `next`).
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// Line items read so far.
    pub fn line_items(&self) -> usize {
        self.parser
            .as_ref()
            .map_or(self.line_items, |p| p.line_items)
    }

    /// Findings not about any one invoice (header lines, empty file, read errors), drained.
    pub fn take_file_findings(&mut self) -> Vec<Finding> {
        if let Some(p) = &mut self.parser {
            self.file_findings.extend(p.take_file_findings());
        }
        std::mem::take(&mut self.file_findings)
    }

    /// True when reading stopped at the first error.
    pub fn stopped_early(&self) -> bool {
        self.parser.as_ref().is_some_and(|p| p.stopped)
    }

    /// Reads one line into `buf` (without the `\n`), keeping at most `max_record_len + 1` bytes.
    fn read_line(&mut self) -> io::Result<bool> {
        self.buf.clear();
        let cap = self.opts.max_record_len.saturating_add(1);
        let mut any = false;
        loop {
            let avail = self.input.fill_buf()?;
            if avail.is_empty() {
                return Ok(any);
            }
            any = true;
            match memchr::memchr(b'\n', avail) {
                Some(i) => {
                    let room = cap.saturating_sub(self.buf.len());
                    self.buf.extend_from_slice(&avail[..i.min(room)]);
                    self.input.consume(i + 1);
                    return Ok(true);
                }
                None => {
                    let n = avail.len();
                    let room = cap.saturating_sub(self.buf.len());
                    self.buf.extend_from_slice(&avail[..n.min(room)]);
                    self.input.consume(n);
                }
            }
        }
    }

    fn io_error(&mut self, e: &io::Error) {
        self.file_findings.push(
            Finding::new(
                Severity::Error,
                Rule::EmptyFile,
                format!("the file could not be read to the end: {e}"),
            )
            .at_line(self.line_no.max(1)),
        );
        self.finished = true;
    }

    fn start(&mut self) {
        self.started = true;
        match self.read_line() {
            Err(e) => self.io_error(&e),
            Ok(false) => {
                self.file_findings.push(
                    Finding::new(Severity::Error, Rule::EmptyFile, "the file is empty").at_line(1),
                );
                self.finished = true;
            }
            Ok(true) => {
                self.line_no = 1;
                let fmt = Format::detect(&self.buf);
                self.format = fmt;
                match fmt {
                    Some(f) if f.is_xml() => self.read_xml(),
                    _ => {
                        let mut p = PipeParser::new(self.opts.clone(), self.keep);
                        p.feed(&self.buf, 1);
                        self.parser = Some(p);
                    }
                }
            }
        }
    }

    fn read_xml(&mut self) {
        let mut all = std::mem::take(&mut self.buf);
        all.push(b'\n');
        let limit = self.opts.max_xml_len as u64;
        let res = io::Read::read_to_end(
            &mut io::Read::take(&mut self.input, limit.saturating_sub(all.len() as u64) + 1),
            &mut all,
        );
        self.finished = true;
        if let Err(e) = res {
            self.io_error(&e);
            return;
        }
        if all.len() as u64 > limit {
            self.file_findings.push(
                Finding::new(
                    Severity::Error,
                    Rule::RecordTooLong,
                    format!("the XML file is larger than the {limit} bytes accepted"),
                )
                .at_line(1),
            );
            return;
        }
        let parsed = crate::xml::read(&all, &self.opts, self.keep);
        self.format = parsed.format.or(self.format);
        self.file_findings.extend(parsed.file_findings);
        self.line_items = parsed.line_items;
        self.queue.extend(parsed.items);
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = ReadInvoice;

    fn next(&mut self) -> Option<ReadInvoice> {
        if !self.started {
            self.start();
        }
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if let Some(p) = &mut self.parser
                && let Some(item) = p.done.pop_front()
            {
                self.file_findings.extend(p.take_file_findings());
                return Some(item);
            }
            if self.finished {
                return None;
            }
            let Some(_) = &self.parser else {
                self.finished = true;
                return None;
            };
            match self.read_line() {
                Err(e) => {
                    self.io_error(&e);
                    if let Some(p) = &mut self.parser {
                        p.finish();
                    }
                }
                Ok(false) => {
                    self.finished = true;
                    if let Some(p) = &mut self.parser {
                        p.finish();
                    }
                }
                Ok(true) => {
                    self.line_no += 1;
                    let p = self.parser.as_mut().expect("parser");
                    p.feed(&self.buf, self.line_no);
                    if p.stopped {
                        p.finish();
                        self.finished = true;
                    }
                }
            }
        }
    }
}
