//! Text and metadata out of documents, for full-text search, preview and (later) e-discovery.
//!
//! [`kind_of`] names a document's kind from its file name and first bytes; [`extract`] returns
//! its searchable text and the fields worth showing above it (an email's sender, recipients,
//! date and subject; a Word file's title and author). Plain text, DOCX (the main document,
//! headers, footers, footnotes, endnotes and comments, read as XML straight from the zip, which
//! tolerates odd files better than an object model) and EML (MIME, HTML bodies turned to text)
//! are read here with limits on every size. PDF goes through `pdf-extract`, which panics on
//! malformed input by design: callers must run [`pdf_text`] isolated (the application runs it in
//! a child process with memory and time limits).

use std::io::Read;

/// What a document is, as far as text extraction cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Docx,
    Email,
    Pdf,
    /// Images, spreadsheets, archives…: no text we read (yet).
    Other,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Docx => "docx",
            Kind::Email => "email",
            Kind::Pdf => "pdf",
            Kind::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Text, Kind::Docx, Kind::Email, Kind::Pdf, Kind::Other]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// The kind of a document, by its extension, checked against its first bytes (a `.pdf` that
/// does not start with `%PDF-` is not read as PDF; a `.docx` must be a zip).
pub fn kind_of(filename: &str, bytes: &[u8]) -> Kind {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" if bytes.starts_with(b"%PDF-") => Kind::Pdf,
        "docx" | "docm" | "dotx" if bytes.starts_with(b"PK\x03\x04") => Kind::Docx,
        "eml" => Kind::Email,
        "txt" | "text" | "csv" | "md" | "log" | "json" | "xml" | "tsv" | "ledes" => Kind::Text,
        _ if ext.is_empty() && bytes.starts_with(b"%PDF-") => Kind::Pdf,
        _ => Kind::Other,
    }
}

/// Size limits, so a hostile file costs bounded memory and time.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Characters of text kept; the rest is cut (and [`Extracted::truncated`] says so).
    pub max_chars: usize,
    /// Bytes read out of one compressed part of a DOCX (a zip bomb stops here).
    pub max_part_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_chars: 4 * 1024 * 1024,
            max_part_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A document's text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Named fields shown above the text (`From`, `To`, `Date`, `Subject`, `Title`, `Author`…).
    pub fields: Vec<(String, String)>,
    /// The text, paragraphs separated by line breaks.
    pub text: String,
    /// Whether the text was cut at [`Limits::max_chars`].
    pub truncated: bool,
}

impl Extracted {
    /// The fields as `Name: value` lines, a blank line, then the text: what is indexed, so that
    /// an email can be found by its sender or subject.
    pub fn searchable(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.fields {
            s.push_str(k);
            s.push_str(": ");
            s.push_str(v);
            s.push('\n');
        }
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(&self.text);
        s
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("not a readable DOCX file: {0}")]
    Docx(String),
    #[error("not a readable email message")]
    Email,
    #[error("not a readable PDF file: {0}")]
    Pdf(String),
    #[error(
        "the {0} file is password-protected (encrypted): save a copy without a password and upload that"
    )]
    Protected(&'static str),
    #[error("{0} documents have no text to read")]
    NoText(&'static str),
}

/// The text of a document of kind `kind`. PDF is read here too, but see [`pdf_text`].
pub fn extract(kind: Kind, bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    let mut out = match kind {
        Kind::Text => Extracted {
            text: plain_text(bytes),
            ..Default::default()
        },
        Kind::Docx => docx(bytes, limits)?,
        Kind::Email => email(bytes)?,
        Kind::Pdf => Extracted {
            text: pdf_text(bytes)?,
            ..Default::default()
        },
        Kind::Other => return Err(ExtractError::NoText("these")),
    };
    out.truncated = cut(&mut out.text, limits.max_chars);
    Ok(out)
}

fn cut(s: &mut String, max_chars: usize) -> bool {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => {
            s.truncate(i);
            true
        }
        None => false,
    }
}

/// Text bytes as a string: UTF-8 (a byte-order mark dropped), UTF-16 with a byte-order mark,
/// otherwise Windows-1252/Latin-1 as the last resort (every byte means something there).
pub fn plain_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    let utf16 = |rest: &[u8], le: bool| {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, false);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// The parts of a Word file that hold text a reader sees, in reading order.
fn docx_parts(names: &[String]) -> Vec<String> {
    let mut parts = vec!["word/document.xml".to_string()];
    for prefix in ["word/header", "word/footer"] {
        let mut v: Vec<&String> = names
            .iter()
            .filter(|n| n.starts_with(prefix) && n.ends_with(".xml"))
            .collect();
        v.sort();
        parts.extend(v.into_iter().cloned());
    }
    for p in [
        "word/footnotes.xml",
        "word/endnotes.xml",
        "word/comments.xml",
    ] {
        if names.iter().any(|n| n == p) {
            parts.push(p.to_string());
        }
    }
    parts
}

fn read_part(
    zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    name: &str,
    limits: &Limits,
) -> Result<Option<Vec<u8>>, ExtractError> {
    let f = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(ExtractError::Docx(e.to_string())),
    };
    let mut buf = Vec::new();
    f.take(limits.max_part_bytes + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ExtractError::Docx(format!("{name}: {e}")))?;
    if buf.len() as u64 > limits.max_part_bytes {
        return Err(ExtractError::Docx(format!(
            "{name} unpacks to more than {} bytes",
            limits.max_part_bytes
        )));
    }
    Ok(Some(buf))
}

/// An OLE compound file: what Word writes for a password-protected .docx (and old .doc).
const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Whether a PDF declares encryption in a trailer (`/Encrypt`).
pub fn is_encrypted_pdf(bytes: &[u8]) -> bool {
    bytes.windows(8).any(|w| w == b"/Encrypt")
}

fn docx(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    if bytes.starts_with(&OLE_MAGIC) {
        return Err(ExtractError::Protected("Word"));
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| ExtractError::Docx(e.to_string()))?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    if !names.iter().any(|n| n == "word/document.xml") {
        return Err(ExtractError::Docx("it has no word/document.xml".into()));
    }
    let mut text = String::new();
    for part in docx_parts(&names) {
        if let Some(xml) = read_part(&mut zip, &part, limits)? {
            if !text.is_empty() && !text.ends_with("\n\n") {
                text.push('\n');
            }
            word_xml_text(&xml, &mut text)
                .map_err(|e| ExtractError::Docx(format!("{part}: {e}")))?;
            if text.len() > limits.max_chars.saturating_mul(4) {
                break;
            }
        }
    }
    let mut fields = vec![];
    if let Some(core) = read_part(&mut zip, "docProps/core.xml", limits)? {
        for (tag, label) in [("dc:title", "Title"), ("dc:creator", "Author")] {
            if let Some(v) = xml_element_text(&core, tag)
                && !v.trim().is_empty()
            {
                fields.push((label.to_string(), v.trim().to_string()));
            }
        }
    }
    Ok(Extracted {
        fields,
        text: text.trim_end().to_string(),
        truncated: false,
    })
}

/// How many tracked changes (`w:ins`, `w:del` runs; paragraph-mark revisions included) a Word
/// file's body carries: 0 for a file edited with tracking off.
pub fn docx_revisions(bytes: &[u8], limits: &Limits) -> Result<usize, ExtractError> {
    use quick_xml::events::Event;
    if bytes.starts_with(&OLE_MAGIC) {
        return Err(ExtractError::Protected("Word"));
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| ExtractError::Docx(e.to_string()))?;
    let Some(xml) = read_part(&mut zip, "word/document.xml", limits)? else {
        return Err(ExtractError::Docx("it has no word/document.xml".into()));
    };
    let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
    let mut buf = Vec::new();
    let mut n = 0;
    loop {
        match reader
            .read_event_into(&mut buf)
            .map_err(|e| ExtractError::Docx(format!("word/document.xml: {e}")))?
        {
            Event::Start(e) | Event::Empty(e) if matches!(e.name().as_ref(), "w:ins" | "w:del") => {
                n += 1
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(n)
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

fn push_ref(r: &quick_xml::events::BytesRef<'_>, out: &mut String) {
    match r.resolve_char_ref() {
        Ok(Some(c)) => out.push(c),
        _ => {
            if let Some(c) = entity(&r.xml10_content()) {
                out.push(c)
            }
        }
    }
}

/// Appends the text of a WordprocessingML part as a reader who accepts every tracked change
/// sees it: `w:t` runs (inserted ones too, deleted text left out), tabs and breaks, a line per
/// paragraph (a paragraph whose mark is a tracked deletion runs on into the next), and a line
/// per table row with a tab between cells.
fn word_xml_text(xml: &[u8], out: &mut String) -> Result<(), quick_xml::Error> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut in_text = false;
    let mut in_ppr = 0u32;
    let mut mark_deleted = false;
    let mut cells = 0u32;
    loop {
        match reader.read_event_into(&mut buf)? {
            Event::Start(e) => match e.name().as_ref() {
                "w:t" | "w:delText" => in_text = e.name().as_ref() == "w:t",
                "w:pPr" => in_ppr += 1,
                "w:del" if in_ppr > 0 => mark_deleted = true,
                "w:tc" => cells += 1,
                _ => {}
            },
            Event::Empty(e) => match e.name().as_ref() {
                "w:tab" | "w:ptab" => out.push('\t'),
                "w:br" | "w:cr" => out.push('\n'),
                "w:del" if in_ppr > 0 => mark_deleted = true,
                _ => {}
            },
            Event::End(e) => match e.name().as_ref() {
                "w:t" | "w:delText" => in_text = false,
                "w:pPr" => in_ppr = in_ppr.saturating_sub(1),
                "w:p" => {
                    if std::mem::take(&mut mark_deleted) {
                        // Accepted, the deletion joins this paragraph to the next.
                    } else if cells > 0 {
                        if !out.ends_with([' ', '\t', '\n']) {
                            out.push(' ');
                        }
                    } else {
                        out.push('\n');
                    }
                }
                "w:tc" => {
                    cells = cells.saturating_sub(1);
                    out.truncate(out.trim_end_matches(' ').len());
                    out.push('\t');
                }
                "w:tr" => {
                    if out.ends_with('\t') {
                        out.pop();
                    }
                    out.push('\n');
                }
                _ => {}
            },
            Event::Text(t) if in_text => out.push_str(&t.xml10_content()),
            Event::CData(t) if in_text => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => push_ref(&r, out),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

/// The text of the first element named `tag` in a small XML document.
fn xml_element_text(xml: &[u8], tag: &str) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut inside = false;
    let mut out = String::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) if e.name().as_ref() == tag => inside = true,
            Event::End(e) if e.name().as_ref() == tag => return Some(out),
            Event::Text(t) if inside => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if inside => push_ref(&r, &mut out),
            Event::Eof => return None,
            _ => {}
        }
        buf.clear();
    }
}

fn addresses(a: Option<&mail_parser::Address<'_>>) -> Option<String> {
    let a = a?;
    let v: Vec<String> = a
        .iter()
        .map(|x| match (x.name(), x.address()) {
            (Some(n), Some(e)) => format!("{n} <{e}>"),
            (None, Some(e)) => e.to_string(),
            (Some(n), None) => n.to_string(),
            (None, None) => String::new(),
        })
        .filter(|s| !s.is_empty())
        .collect();
    (!v.is_empty()).then(|| v.join(", "))
}

fn email(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    use mail_parser::MimeHeaders;
    let msg = mail_parser::MessageParser::default()
        .parse(bytes)
        .ok_or(ExtractError::Email)?;
    if msg.headers().is_empty() {
        return Err(ExtractError::Email);
    }
    let mut fields = vec![];
    let mut field = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            fields.push((k.to_string(), v));
        }
    };
    field("From", addresses(msg.from()));
    field("To", addresses(msg.to()));
    field("Cc", addresses(msg.cc()));
    field("Date", msg.date().map(|d| d.to_rfc3339()));
    field("Subject", msg.subject().map(str::to_string));
    let names: Vec<String> = msg
        .attachments()
        .filter_map(|a| a.attachment_name().map(str::to_string))
        .collect();
    if !names.is_empty() {
        field("Attachments", Some(names.join(", ")));
    }
    let mut text = String::new();
    for i in 0..msg.text_body_count() {
        if let Some(t) = msg.body_text(i) {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(t.trim_end());
        }
    }
    Ok(Extracted {
        fields,
        text,
        truncated: false,
    })
}

/// The text of a PDF. **May panic or run long on malformed files** (pdf-extract's choice):
/// call it only where a panic or a runaway is contained (a child process with limits).
pub fn pdf_text(bytes: &[u8]) -> Result<String, ExtractError> {
    if is_encrypted_pdf(bytes) {
        return Err(ExtractError::Protected("PDF"));
    }
    let text =
        pdf_extract::extract_text_from_mem(bytes).map_err(|e| ExtractError::Pdf(e.to_string()))?;
    // pdf-extract separates pages with form feeds and pads with blank lines.
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.replace('\u{c}', "\n").lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    Ok(out.trim().to_string())
}

/// A minimal Word file: the paragraphs as the body, `header` in the page header, `title` and
/// `author` as its properties. For fixtures and demo data (contract drafting uses a full
/// writer); it is read back by [`extract`] like any Word file.
pub fn simple_docx(title: &str, author: &str, header: &str, paragraphs: &[&str]) -> Vec<u8> {
    use std::io::Write;
    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
    const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
    let body: String = paragraphs
        .iter()
        .map(|p| {
            format!(
                "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
                esc(p)
            )
        })
        .collect();
    let files = [
        ("[Content_Types].xml", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/><Override PartName=\"/word/header1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml\"/><Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/></Types>".to_string()),
        ("_rels/.rels", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/></Relationships>".to_string()),
        ("word/_rels/document.xml.rels", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/header\" Target=\"header1.xml\"/></Relationships>".to_string()),
        ("word/document.xml", format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:document xmlns:w=\"{W}\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><w:body>{body}<w:sectPr><w:headerReference w:type=\"default\" r:id=\"rId1\"/></w:sectPr></w:body></w:document>")),
        ("word/header1.xml", format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:hdr xmlns:w=\"{W}\"><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:hdr>", esc(header))),
        ("docProps/core.xml", format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>{}</dc:title><dc:creator>{}</dc:creator></cp:coreProperties>", esc(title), esc(author))),
    ];
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in files {
        // Writing to memory cannot fail.
        let _ = w.start_file(name, opts);
        let _ = w.write_all(text.as_bytes());
    }
    w.finish().map(|c| c.into_inner()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
