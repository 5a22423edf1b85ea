//! Contract drafting, with no knowledge of the application: templates with typed variables
//! ([`template`]), the structured document they render to ([`doc`]), its DOCX ([`docx`]) and
//! HTML ([`html`]) forms, and word-level redlines with tracked changes ([`redline`]).

pub mod doc;
pub mod docx;
pub mod html;
pub mod redline;
pub mod template;

pub use doc::{Block, Document, Span};
pub use redline::{Redline, redline};
pub use template::{Answers, ClauseTexts, Problem, Schema};
