//! Recognizing filters that select whole series by tag value, so scans can
//! skip files and drop rows of other series before merging.

use almanac_storage::TagFilter;
use arrow::datatypes::SchemaRef;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};

use almanac_storage::schema::is_tag;

/// The series filter `expr` amounts to, when it is `tag = 'v'`,
/// `tag IN ('a', 'b')` or an OR of equalities on one tag.
pub fn tag_filter(expr: &Expr, schema: &SchemaRef) -> Option<TagFilter> {
    let (column, mut values) = accepted_values(expr)?;
    let field = schema.field_with_name(&column).ok()?;
    if !is_tag(field) {
        return None;
    }
    values.sort();
    values.dedup();
    Some(TagFilter::new(column, values))
}

/// Every series filter among `filters` (they all hold, so all apply).
pub fn tag_filters(filters: &[Expr], schema: &SchemaRef) -> Vec<TagFilter> {
    let mut out = Vec::new();
    for filter in filters {
        collect_conjuncts(filter, schema, &mut out);
    }
    out
}

fn collect_conjuncts(expr: &Expr, schema: &SchemaRef, out: &mut Vec<TagFilter>) {
    if let Expr::BinaryExpr(BinaryExpr {
        left,
        op: Operator::And,
        right,
    }) = expr
    {
        collect_conjuncts(left, schema, out);
        collect_conjuncts(right, schema, out);
        return;
    }
    if let Some(f) = tag_filter(expr, schema) {
        out.push(f);
    }
}

/// `(column, values)` when `expr` holds exactly for rows whose column is one
/// of `values`. A NULL tag never equals a non-empty literal, so these
/// filters reject missing tags, which matches the storage-side semantics as
/// long as no value is `""`.
fn accepted_values(expr: &Expr) -> Option<(String, Vec<String>)> {
    match expr {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Eq,
            right,
        }) => {
            let (column, value) = match (column_name(left), string_literal(right)) {
                (Some(c), Some(v)) => (c, v),
                _ => (column_name(right)?, string_literal(left)?),
            };
            (!value.is_empty()).then(|| (column, vec![value]))
        }
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Or,
            right,
        }) => {
            let (lc, mut lv) = accepted_values(left)?;
            let (rc, rv) = accepted_values(right)?;
            if lc != rc {
                return None;
            }
            lv.extend(rv);
            Some((lc, lv))
        }
        Expr::InList(list) if !list.negated => {
            let column = column_name(&list.expr)?;
            let values = list
                .list
                .iter()
                .map(|e| string_literal(e).filter(|v| !v.is_empty()))
                .collect::<Option<Vec<_>>>()?;
            (!values.is_empty()).then_some((column, values))
        }
        _ => None,
    }
}

fn column_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Column(c) => Some(c.name.clone()),
        Expr::Cast(c) => column_name(&c.expr),
        Expr::TryCast(c) => column_name(&c.expr),
        _ => None,
    }
}

fn string_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Literal(value, _) => scalar_string(value),
        Expr::Cast(c) => string_literal(&c.expr),
        _ => None,
    }
}

fn scalar_string(value: &ScalarValue) -> Option<String> {
    match value {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Some(s.clone()),
        ScalarValue::Dictionary(_, inner) => scalar_string(inner),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use almanac_storage::schema::tag_arrow_type;
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::prelude::{col, lit};

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("host", tag_arrow_type(), true),
            Field::new("region", tag_arrow_type(), true),
            Field::new("usage", DataType::Float64, true),
        ]))
    }

    #[test]
    fn equalities_ors_and_in_lists_select_series() {
        let s = schema();
        let f = tag_filter(&col("host").eq(lit("a")), &s).unwrap();
        assert_eq!(f.values, vec!["a".to_string()]);
        let or = col("host").eq(lit("b")).or(lit("a").eq(col("host")));
        assert_eq!(tag_filter(&or, &s).unwrap().values, vec!["a", "b"]);
        let list = col("host").in_list(vec![lit("x"), lit("y")], false);
        assert_eq!(tag_filter(&list, &s).unwrap().values, vec!["x", "y"]);
        let dict = col("host").eq(lit(ScalarValue::Dictionary(
            Box::new(DataType::Int32),
            Box::new(ScalarValue::from("d")),
        )));
        assert_eq!(tag_filter(&dict, &s).unwrap().values, vec!["d"]);
    }

    #[test]
    fn anything_else_is_left_to_datafusion() {
        let s = schema();
        for e in [
            col("host").eq(lit("")),
            col("host").not_eq(lit("a")),
            col("usage").eq(lit("a")),
            col("host").eq(lit("a")).or(col("region").eq(lit("b"))),
            col("host").in_list(vec![lit("x")], true),
            col("host").eq(lit("a")).or(col("usage").gt(lit(1.0))),
        ] {
            assert!(tag_filter(&e, &s).is_none(), "{e}");
        }
        let both = col("host").eq(lit("a")).and(col("region").eq(lit("r")));
        assert_eq!(tag_filters(&[both], &s).len(), 2);
    }
}
