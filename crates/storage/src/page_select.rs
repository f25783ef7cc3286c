//! Choosing which rows of a Parquet file to decode from its page index.
//!
//! Files are sorted by series then time, so the rows of one series are
//! contiguous and each page of a tag column covers a few series: its min/max
//! statistics tell which pages can hold a wanted tag value, and the time
//! column's pages which can hold the queried time range. Only the row ranges
//! every filter column allows are decoded. The selection is a superset of
//! the matching rows (pages are coarse); callers still filter rows exactly.

use std::ops::Range;

use parquet::arrow::arrow_reader::RowSelection;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::page_index::column_index::ColumnIndexMetaData;

use crate::prune::TagFilter;
use crate::schema::TIME_COLUMN;

/// The rows of the file that can match `filters` and the inclusive time
/// range `time`, or `None` when every row may (or the file has no page index).
pub fn row_selection(
    metadata: &ParquetMetaData,
    filters: &[TagFilter],
    time: Option<(i64, i64)>,
) -> Option<RowSelection> {
    let total = metadata.file_metadata().num_rows().max(0) as usize;
    selected_ranges(metadata, filters, time)
        .map(|kept| RowSelection::from_consecutive_ranges(kept.into_iter(), total))
}

/// The row ranges (sorted, disjoint, over the whole file) that
/// [`row_selection`] keeps, or `None` when every row may match.
pub fn selected_ranges(
    metadata: &ParquetMetaData,
    filters: &[TagFilter],
    time: Option<(i64, i64)>,
) -> Option<Vec<Range<usize>>> {
    let column_index = metadata.column_index()?;
    let offset_index = metadata.offset_index()?;
    let schema = metadata.file_metadata().schema_descr();
    let leaf = |name: &str| {
        schema
            .columns()
            .iter()
            .position(|c| c.path().parts().len() == 1 && c.name() == name)
    };
    let mut checks: Vec<(usize, PageCheck)> = Vec::new();
    if let Some((min, max)) = time {
        if let Some(i) = leaf(TIME_COLUMN) {
            checks.push((i, PageCheck::Time { min, max }));
        }
    }
    for f in filters {
        if let Some(i) = leaf(&f.column) {
            checks.push((i, PageCheck::Tag(f)));
        }
    }
    if checks.is_empty() {
        return None;
    }

    let mut kept: Vec<Range<usize>> = Vec::new();
    let mut first = 0usize;
    let mut narrowed = false;
    for (rg, row_group) in metadata.row_groups().iter().enumerate() {
        let rows = row_group.num_rows().max(0) as usize;
        let mut ranges: Vec<Range<usize>> = std::iter::once(0..rows).collect();
        for (column, check) in &checks {
            let (Some(index), Some(offsets)) = (
                column_index.get(rg).and_then(|c| c.get(*column)),
                offset_index.get(rg).and_then(|c| c.get(*column)),
            ) else {
                continue;
            };
            let pages = offsets.page_locations();
            let mut allowed = Vec::new();
            for (p, page) in pages.iter().enumerate() {
                let start = page.first_row_index.max(0) as usize;
                let end = pages
                    .get(p + 1)
                    .map_or(rows, |next| next.first_row_index.max(0) as usize);
                if check.may_match(index, p) {
                    push_range(&mut allowed, start..end);
                }
            }
            ranges = intersect(&ranges, &allowed);
        }
        if ranges.iter().map(|r| r.len()).sum::<usize>() < rows {
            narrowed = true;
        }
        kept.extend(ranges.into_iter().map(|r| r.start + first..r.end + first));
        first += rows;
    }
    narrowed.then_some(kept)
}

/// What a page must be able to contain.
enum PageCheck<'a> {
    /// A time in `[min, max]`.
    Time { min: i64, max: i64 },
    /// One of the filter's tag values.
    Tag(&'a TagFilter),
}

impl PageCheck<'_> {
    fn may_match(&self, index: &ColumnIndexMetaData, page: usize) -> bool {
        match (self, index) {
            (PageCheck::Time { min, max }, ColumnIndexMetaData::INT64(idx)) => {
                if idx.is_null_page(page) {
                    return false;
                }
                match (idx.min_value(page), idx.max_value(page)) {
                    (Some(lo), Some(hi)) => hi >= min && lo <= max,
                    _ => true,
                }
            }
            (PageCheck::Tag(filter), ColumnIndexMetaData::BYTE_ARRAY(idx)) => {
                // A page whose rows all lack the tag matches only a filter
                // accepting `""` (a missing tag reads as `""`), as does any
                // page with some such rows (or an unknown count of them).
                if idx.is_null_page(page) {
                    return filter.accepts_missing();
                }
                if filter.accepts_missing() && idx.null_count(page).is_none_or(|n| n > 0) {
                    return true;
                }
                match (idx.min_value(page), idx.max_value(page)) {
                    (Some(lo), Some(hi)) => filter
                        .values
                        .iter()
                        .any(|v| v.as_bytes() >= lo && v.as_bytes() <= hi),
                    _ => true,
                }
            }
            _ => true,
        }
    }
}

/// Appends `r`, joining it to the last range when they touch.
pub(crate) fn push_range(ranges: &mut Vec<Range<usize>>, r: Range<usize>) {
    if r.is_empty() {
        return;
    }
    match ranges.last_mut() {
        Some(last) if last.end >= r.start => last.end = last.end.max(r.end),
        _ => ranges.push(r),
    }
}

/// Rows in both sorted, disjoint range lists.
pub(crate) fn intersect(a: &[Range<usize>], b: &[Range<usize>]) -> Vec<Range<usize>> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let start = a[i].start.max(b[j].start);
        let end = a[i].end.min(b[j].end);
        if start < end {
            out.push(start..end);
        }
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow::array::{
        AsArray, DictionaryArray, Float64Array, RecordBatch, TimestampNanosecondArray,
    };
    use arrow::datatypes::{
        DataType, Field, Float64Type, Int32Type, Schema, TimestampNanosecondType,
    };

    use crate::files::{read_parquet, read_parquet_where, write_parquet, FileCodec};
    use crate::schema::{tag_arrow_type, time_arrow_type};

    /// 200 series × 500 points, sorted by series then time, as persisted.
    fn sorted_batch() -> RecordBatch {
        let (mut hosts, mut times, mut values) = (Vec::new(), Vec::new(), Vec::new());
        for h in 0..200 {
            for t in 0..500i64 {
                hosts.push(format!("host_{h:03}"));
                times.push(t * 10);
                values.push((h * 1000 + t) as f64);
            }
        }
        let hosts: DictionaryArray<Int32Type> = hosts.iter().map(String::as_str).collect();
        let schema = Schema::new(vec![
            Field::new("host", tag_arrow_type(), true),
            Field::new("v", DataType::Float64, true),
            Field::new(TIME_COLUMN, time_arrow_type(), false),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(hosts),
                Arc::new(Float64Array::from(values)),
                Arc::new(TimestampNanosecondArray::from(times)),
            ],
        )
        .unwrap()
    }

    /// (host, time, value) of every row.
    fn rows(batches: &[RecordBatch]) -> Vec<(String, i64, f64)> {
        let mut out = Vec::new();
        for b in batches {
            let hosts = b.column(0).as_dictionary::<Int32Type>();
            let names = hosts.values().as_string::<i32>();
            let v = b.column(1).as_primitive::<Float64Type>();
            let t = b.column(2).as_primitive::<TimestampNanosecondType>();
            for i in 0..b.num_rows() {
                let h = names.value(hosts.keys().value(i) as usize).to_string();
                out.push((h, t.value(i), v.value(i)));
            }
        }
        out
    }

    #[test]
    fn page_index_selects_a_superset_of_the_matching_rows_and_skips_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        write_parquet(&path, &sorted_batch(), FileCodec::Compact).unwrap();
        let all = rows(&read_parquet(&path, None).unwrap());
        assert_eq!(all.len(), 100_000);
        let filter = TagFilter::new("host", vec!["host_007".into(), "host_150".into()]);
        let time = (1_000, 1_990);
        let selected = rows(
            &read_parquet_where(&path, None, std::slice::from_ref(&filter), Some(time)).unwrap(),
        );
        let matches = |r: &&(String, i64, f64)| {
            filter.values.contains(&r.0) && r.1 >= time.0 && r.1 <= time.1
        };
        let expected: Vec<_> = all.iter().filter(matches).cloned().collect();
        let got: Vec<_> = selected.iter().filter(matches).cloned().collect();
        assert_eq!(expected.len(), 200);
        assert_eq!(got, expected);
        assert!(
            selected.len() < all.len() / 4,
            "decoded {} of {} rows",
            selected.len(),
            all.len()
        );
        // No filter, unbounded time: everything, in order.
        assert_eq!(
            rows(&read_parquet_where(&path, None, &[], None).unwrap()),
            all
        );
        // A value no page holds: nothing.
        let none = TagFilter::new("host", vec!["zzz".into()]);
        assert!(read_parquet_where(&path, None, &[none], None)
            .unwrap()
            .iter()
            .all(|b| b.num_rows() == 0));
    }

    /// A filter accepting `""` keeps the pages of rows without the tag, both
    /// pages without any value and pages where only some rows lack it.
    #[test]
    fn a_filter_for_the_empty_value_keeps_rows_without_the_tag() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        let batch = sorted_batch();
        // `rack` set on the first 150 series and missing from the rest: its
        // 300th page holds both.
        let racks: DictionaryArray<Int32Type> = (0..batch.num_rows())
            .map(|r| (r < 75_000).then_some("r1"))
            .collect();
        let mut fields: Vec<_> = batch.schema().fields().iter().cloned().collect();
        fields.push(Arc::new(Field::new("rack", tag_arrow_type(), true)));
        let mut columns = batch.columns().to_vec();
        columns.push(Arc::new(racks));
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
        write_parquet(&path, &batch, FileCodec::Fast).unwrap();
        let missing = TagFilter::new("rack", vec!["".into()]);
        let got = rows(&read_parquet_where(&path, None, &[missing], Some((0, 10))).unwrap());
        let hosts: std::collections::BTreeSet<&str> = got
            .iter()
            .filter(|r| r.1 <= 10)
            .map(|r| r.0.as_str())
            .collect();
        // A superset (pages are coarse) holding every series without it.
        for h in 150..200 {
            assert!(hosts.contains(format!("host_{h}").as_str()), "{hosts:?}");
        }
        assert!(hosts.len() < 60, "{hosts:?}");
    }

    #[test]
    fn intersections_of_sorted_ranges() {
        assert_eq!(intersect(&[0..10], &[2..4, 6..12]), vec![2..4, 6..10]);
        assert_eq!(
            intersect(&[0..3, 5..8], &[3..5]),
            Vec::<Range<usize>>::new()
        );
        assert_eq!(intersect(&[0..3, 5..8], &[0..100]), vec![0..3, 5..8]);
        let mut v = Vec::new();
        push_range(&mut v, 0..2);
        push_range(&mut v, 2..4);
        push_range(&mut v, 5..5);
        push_range(&mut v, 6..7);
        assert_eq!(v, vec![0..4, 6..7]);
    }
}
