//! The `internal/debug` package: pass-through helpers used by tests.

use super::PackageDef;
use crate::error::Result;
use crate::value::{Args, Value};

fn pass(_: &mut crate::interp::Interp, a: &mut Args) -> Result<Value> {
    Ok(Value::stream(a.tables()?))
}

/// Build the package definition.
pub fn package() -> PackageDef {
    let mut p = PackageDef::default();
    p.t("pass", &[], &[], pass);
    p.t("opaque", &[], &[], pass);
    p.t("slurp", &[], &[], pass);
    p.t("sink", &[], &[], |_, a| {
        a.tables()?;
        Ok(Value::stream(vec![]))
    });
    p.f("null", &[], &["type"], None, |_, a| {
        let _ = a.opt_string("type")?;
        Ok(Value::Null)
    });
    p
}
