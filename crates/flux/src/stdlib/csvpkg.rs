//! The `csv` package: `csv.from` over annotated or raw CSV text.

use super::{stream, PackageDef};
use crate::error::Error;

/// Build the package definition.
pub fn package() -> PackageDef {
    let mut p = PackageDef::default();
    p.f("from", &[], &["csv", "file", "mode"], None, |_, a| {
        if a.opt("file").is_some() {
            return Err(Error::unsupported("csv.from(file:)"));
        }
        let Some(text) = a.opt_string("csv")? else {
            return Err(Error::rt("csv.from: must provide csv raw text or filename"));
        };
        match a.opt_string("mode")?.as_deref().unwrap_or("annotations") {
            "annotations" => stream(crate::csv::decode(&text)?),
            "raw" => stream(crate::csv::decode_raw(&text)?),
            m => Err(Error::rt(format!("csv.from: invalid mode {m:?}"))),
        }
    });
    p
}
