//! The LEDES e-billing formats this crate reads and writes, and how a file announces which one it is.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A LEDES e-billing file format.
///
/// ```
/// use ledes::Format;
/// assert_eq!(Format::detect(b"LEDES1998B[]\r\n"), Some(Format::Ledes1998B));
/// assert_eq!("98bi".parse::<Format>().unwrap(), Format::Ledes98BI);
/// assert_eq!("xml2.1".parse::<Format>().unwrap(), Format::Xml21);
/// assert_eq!(Format::Ledes1998B.to_string(), "LEDES 1998B");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Format {
    /// LEDES 1998B: pipe-delimited, 24 fields, first line `LEDES1998B[]`.
    Ledes1998B,
    /// LEDES 98BI V2 (international): the 24 fields plus 28 tax, currency and address fields,
    /// first line `LEDES98BI V2[]`.
    Ledes98BI,
    /// LEDES XML E-Billing 2.0.
    Xml20,
    /// LEDES XML E-Billing 2.1.
    Xml21,
    /// LEDES XML E-Billing 2.2 (2.1 plus tiered taxes).
    Xml22,
}

impl Format {
    /// All formats, in order of preference for writing.
    pub const ALL: [Format; 5] = [
        Format::Ledes1998B,
        Format::Ledes98BI,
        Format::Xml20,
        Format::Xml21,
        Format::Xml22,
    ];

    /// Recognises the format from the first bytes of a file (a UTF-8 byte order mark and leading
    /// blank space are skipped). Returns `None` when the bytes look like no LEDES format.
    pub fn detect(bytes: &[u8]) -> Option<Format> {
        let b = skip_bom_and_space(bytes);
        let head = &b[..b.len().min(16)];
        let upper: Vec<u8> = head.to_ascii_uppercase();
        if upper.starts_with(b"LEDES1998B") || upper.starts_with(b"LEDES98B[") {
            return Some(Format::Ledes1998B);
        }
        if upper.starts_with(b"LEDES98BI") || upper.starts_with(b"LEDES1998BI") {
            return Some(Format::Ledes98BI);
        }
        if b.first() == Some(&b'<') {
            return crate::xml::detect_version(&b[..b.len().min(64 * 1024)]);
        }
        None
    }

    /// The human name, e.g. `LEDES 1998B`, `LEDES XML 2.1`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Ledes1998B => "LEDES 1998B",
            Format::Ledes98BI => "LEDES 98BI V2",
            Format::Xml20 => "LEDES XML 2.0",
            Format::Xml21 => "LEDES XML 2.1",
            Format::Xml22 => "LEDES XML 2.2",
        }
    }

    /// The short identifier accepted by [`FromStr`], e.g. `1998b`, `98bi`, `xml2.1`.
    pub fn id(self) -> &'static str {
        match self {
            Format::Ledes1998B => "1998b",
            Format::Ledes98BI => "98bi",
            Format::Xml20 => "xml2.0",
            Format::Xml21 => "xml2.1",
            Format::Xml22 => "xml2.2",
        }
    }

    /// True for the pipe-delimited formats (1998B and 98BI).
    pub fn is_pipe(self) -> bool {
        matches!(self, Format::Ledes1998B | Format::Ledes98BI)
    }

    /// True for the LEDES XML formats.
    pub fn is_xml(self) -> bool {
        !self.is_pipe()
    }

    /// True when the format carries tax, currency and address data (98BI and XML).
    pub fn carries_tax(self) -> bool {
        self != Format::Ledes1998B
    }
}

pub(crate) fn skip_bom_and_space(bytes: &[u8]) -> &[u8] {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[start..]
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`Format`] name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown LEDES format {0:?}; expected one of 1998b, 98bi, xml2.0, xml2.1, xml2.2")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '_'))
            .flat_map(char::to_lowercase)
            .collect();
        let norm = norm.strip_prefix("ledes").unwrap_or(&norm);
        Ok(match norm {
            "1998b" | "98b" => Format::Ledes1998B,
            "98bi" | "1998bi" | "98biv2" | "1998biv2" | "98bintl" => Format::Ledes98BI,
            "xml2.0" | "xml20" | "xml2" => Format::Xml20,
            "xml2.1" | "xml21" | "xml" => Format::Xml21,
            "xml2.2" | "xml22" => Format::Xml22,
            _ => return Err(UnknownFormat(s.to_string())),
        })
    }
}
