//! `measure`: real data (Ethereum staking by entity), aggregation, times, and every error.

use std::io::Write;
use std::path::Path;

use counterweight::io::Column;
use counterweight::measure::{MeasureError, MeasureOptions, TimeKind, measure_csv, measure_reader};

const ETH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/eth-staking-entities-2023-04-19.csv"
);

fn f64_at(m: &counterweight::measure::Measurement, name: &str, row: usize) -> f64 {
    m.table
        .f64_column(name)
        .unwrap_or_else(|| panic!("no column {name}"))[row]
}

fn opt_at(m: &counterweight::measure::Measurement, name: &str, row: usize) -> Option<u64> {
    match m.table.column(name) {
        Some(Column::OptU64(v)) => v[row],
        c => panic!("{name}: {c:?}"),
    }
}

fn eth_opts() -> MeasureOptions {
    MeasureOptions {
        value: "eth_deposited".into(),
        entity: Some("entity".into()),
        time: None,
        top_k: 3,
        exclude: Vec::new(),
    }
}

/// (entity, eth_deposited) read by hand, independently of the csv crate.
fn eth_rows() -> Vec<(String, f64)> {
    let text = std::fs::read_to_string(ETH).expect("shared/data beside the repository");
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), "entity,eth_deposited,validators");
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].parse().unwrap())
        })
        .collect()
}

#[test]
fn eth_staking_entities() {
    let rows = eth_rows();
    let total: f64 = rows.iter().map(|r| r.1).sum();
    let m = measure_csv(Path::new(ETH), &eth_opts()).unwrap();
    assert_eq!(m.table.rows(), 1);
    assert!(m.times.is_empty());
    assert!(m.table.column("time").is_none());
    assert_eq!(m.table.names[0], "n_entities");
    assert_eq!(
        m.table.f64_column("n_entities").unwrap()[0],
        rows.len() as f64
    );
    assert_eq!(f64_at(&m, "total", 0), total);
    // Lido alone: 5792448 / total ≈ 0.309, below a third.
    let lido = 5_792_448.0 / total;
    assert!((lido - 0.31).abs() < 0.005, "{lido}");
    assert!((f64_at(&m, "top1_share", 0) - lido).abs() < 1e-15);
    // Lido + Other pass a third (and a half).
    assert_eq!(opt_at(&m, "nakamoto_1_3", 0), Some(2));
    assert_eq!(opt_at(&m, "nakamoto_1_2", 0), Some(2));
    // HHI computed independently.
    let hhi: f64 = rows.iter().map(|r| (r.1 / total).powi(2)).sum();
    assert!((f64_at(&m, "hhi", 0) - hhi).abs() < 1e-12);
    // Top-3 = Lido + Other + Coinbase.
    let top3 = (5_792_448.0 + 4_236_559.0 + 2_364_288.0) / total;
    assert!((f64_at(&m, "top3_share", 0) - top3).abs() < 1e-15);
    // final_values: sorted descending, Lido first.
    assert_eq!(m.final_values.len(), rows.len());
    assert_eq!(m.final_values[0], ("Lido".to_string(), 5_792_448.0));
    assert_eq!(m.final_values[1].0, "Other");
    assert!(m.final_values.windows(2).all(|w| w[0].1 >= w[1].1));
}

#[test]
fn eth_identified_entities_only() {
    // Without the "Other" aggregate (README caveat): Lido ≈ 40%, alone above a third.
    let text = std::fs::read_to_string(ETH).unwrap();
    let filtered: String = text
        .lines()
        .filter(|l| !l.starts_with("Other,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("identified.csv");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(filtered.as_bytes())
        .unwrap();
    let rows: Vec<_> = eth_rows().into_iter().filter(|r| r.0 != "Other").collect();
    let total: f64 = rows.iter().map(|r| r.1).sum();
    let m = measure_csv(&path, &eth_opts()).unwrap();
    let lido = 5_792_448.0 / total;
    assert!((lido - 0.40).abs() < 0.01, "{lido}");
    assert!((f64_at(&m, "top1_share", 0) - lido).abs() < 1e-15);
    assert_eq!(opt_at(&m, "nakamoto_1_3", 0), Some(1));
}

fn run(
    csv: &str,
    opts: &MeasureOptions,
) -> Result<counterweight::measure::Measurement, MeasureError> {
    measure_reader(csv.as_bytes(), "test.csv", opts)
}

#[test]
fn rows_of_one_entity_are_summed_and_rows_without_entity_are_holders() {
    let csv = "who,amount\na,1\nb,2\na,3\nc,4\n";
    let with = run(
        csv,
        &MeasureOptions {
            entity: Some("who".into()),
            ..MeasureOptions::new("amount")
        },
    )
    .unwrap();
    // a = 4, b = 2, c = 4.
    assert_eq!(with.table.f64_column("n_entities").unwrap(), vec![3.0]);
    assert_eq!(
        with.final_values,
        vec![("a".into(), 4.0), ("c".into(), 4.0), ("b".into(), 2.0)]
    );
    assert!((f64_at(&with, "hhi", 0) - (16.0 + 4.0 + 16.0) / 100.0).abs() < 1e-15);
    let without = run(csv, &MeasureOptions::new("amount")).unwrap();
    assert_eq!(without.table.f64_column("n_entities").unwrap(), vec![4.0]);
    assert_eq!(without.named_final_values()[0], ("line 5".into(), 4.0));
    assert_eq!(without.top_holders(1)[0].entity, "line 5");
    // [1,2,3,4] is vector A: Gini 0.25, HHI 0.3.
    assert!((f64_at(&without, "gini", 0) - 0.25).abs() < 1e-15);
    assert!((f64_at(&without, "hhi", 0) - 0.3).abs() < 1e-15);
}

#[test]
fn two_times() {
    // Times given out of order; numeric times sort numerically (10 after 9).
    let csv = "t,e,v\n10,a,5\n10,b,5\n9,a,1\n9,b,2\n9,c,3\n9,d,4\n10,c,0\n";
    let opts = MeasureOptions {
        value: "v".into(),
        entity: Some("e".into()),
        time: Some("t".into()),
        top_k: 2,
        exclude: Vec::new(),
    };
    let m = run(csv, &opts).unwrap();
    assert_eq!(m.times, vec!["9", "10"]);
    assert_eq!(
        m.table.names[..4],
        ["time", "time_label", "n_entities", "hhi"]
    );
    assert_eq!(m.table.column("time"), Some(&Column::F64(vec![9.0, 10.0])));
    assert_eq!(
        m.table.column("time_label"),
        Some(&Column::Str(vec!["9".into(), "10".into()]))
    );
    assert_eq!(m.time_kind, Some(TimeKind::Number));
    assert_eq!(m.table.f64_column("n_entities").unwrap(), vec![4.0, 3.0]);
    // t = 9: [1,2,3,4] (vector A); t = 10: [5,5,0].
    assert!((f64_at(&m, "gini", 0) - 0.25).abs() < 1e-15);
    assert!((f64_at(&m, "top2_share", 0) - 0.7).abs() < 1e-15);
    assert!((f64_at(&m, "hhi", 1) - 0.5).abs() < 1e-15);
    assert_eq!(opt_at(&m, "nakamoto_1_2", 1), Some(2));
    assert_eq!(f64_at(&m, "total", 1), 10.0);
    // final_values are the last time's.
    assert_eq!(
        m.final_values,
        vec![("a".into(), 5.0), ("b".into(), 5.0), ("c".into(), 0.0)]
    );
    // ISO dates are dates: in time order, `time` the decimal year, `time_label` as written.
    let csv = "date,v\n2024-02-01,1\n2023-12-31,2\n2024-02-01,3\n";
    let m = run(
        csv,
        &MeasureOptions {
            time: Some("date".into()),
            ..MeasureOptions::new("v")
        },
    )
    .unwrap();
    assert_eq!(m.times, vec!["2023-12-31", "2024-02-01"]);
    assert_eq!(m.time_kind, Some(TimeKind::Date));
    // 2023-12-31 is day 365 of 365 (ordinal0 364); 2024-02-01 is day 32 of 366.
    assert_eq!(
        m.table.column("time"),
        Some(&Column::F64(vec![
            2023.0 + 364.0 / 365.0,
            2024.0 + 31.0 / 366.0
        ]))
    );
    assert_eq!(
        m.table.column("time_label"),
        Some(&Column::Str(vec!["2023-12-31".into(), "2024-02-01".into()]))
    );
    assert_eq!(m.table.f64_column("n_entities").unwrap(), vec![1.0, 2.0]);
    // A time whose values are all zero gets undefined metrics, not an error.
    let csv = "t,v\n1,0\n1,0\n2,1\n";
    let m = run(
        csv,
        &MeasureOptions {
            time: Some("t".into()),
            ..MeasureOptions::new("v")
        },
    )
    .unwrap();
    assert!(f64_at(&m, "gini", 0).is_nan());
    assert_eq!(opt_at(&m, "nakamoto_1_3", 0), None);
    assert_eq!(f64_at(&m, "top1_share", 1), 1.0);
}

/// Error message as the CLI prints it.
fn err(csv: &str, opts: &MeasureOptions) -> (MeasureError, String) {
    let e = run(csv, opts).unwrap_err();
    let s = e.to_string();
    assert!(!s.contains('\n'), "one line: {s}");
    (e, s)
}

#[test]
fn error_file_not_found() {
    let e = measure_csv(
        Path::new("/nonexistent/stakes.csv"),
        &MeasureOptions::new("v"),
    )
    .unwrap_err();
    assert!(matches!(e, MeasureError::NotFound { .. }));
    assert_eq!(e.to_string(), "/nonexistent/stakes.csv: file not found");
    // A directory is not readable as a file.
    let dir = tempfile::tempdir().unwrap();
    let e = measure_csv(dir.path(), &MeasureOptions::new("v")).unwrap_err();
    assert!(matches!(e, MeasureError::Unreadable { .. }), "{e:?}");
    assert!(e.to_string().contains("cannot read"), "{e}");
}

#[test]
fn error_empty_file_and_no_rows() {
    let (e, s) = err("", &MeasureOptions::new("v"));
    assert!(matches!(e, MeasureError::EmptyFile { .. }), "{e:?}");
    assert_eq!(s, "test.csv: the file is empty (no header line)");
    let (e, s) = err("entity,v\n", &MeasureOptions::new("v"));
    assert!(matches!(e, MeasureError::NoDataRows { .. }), "{e:?}");
    assert_eq!(s, "test.csv: no data rows after the header");
}

#[test]
fn error_missing_column() {
    let opts = MeasureOptions {
        entity: Some("holder".into()),
        ..MeasureOptions::new("stake")
    };
    let (e, s) = err("entity,stake\na,1\n", &opts);
    assert!(matches!(e, MeasureError::MissingColumn { .. }));
    assert_eq!(
        s,
        "test.csv: no column \"holder\" (the columns are: entity, stake)"
    );
    let (_, s) = err("entity,stake\na,1\n", &MeasureOptions::new("value"));
    assert!(
        s.contains("\"value\"") && s.contains("entity, stake"),
        "{s}"
    );
}

#[test]
fn error_non_numeric() {
    let csv = "e,v\na,1\nb,2\nc,3\nd,4\ne,5\nf,twelve\n";
    let (e, s) = err(csv, &MeasureOptions::new("v"));
    match e {
        MeasureError::NotNumeric {
            line, ref value, ..
        } => {
            assert_eq!(line, 7);
            assert_eq!(value, "twelve");
        }
        _ => panic!("{e:?}"),
    }
    assert_eq!(
        s,
        "test.csv, line 7 (header = line 1): column \"v\" holds \"twelve\", which is not a number"
    );
    // An empty cell is not a number either.
    let (e, _) = err("e,v\na,\n", &MeasureOptions::new("v"));
    assert!(
        matches!(e, MeasureError::NotNumeric { line: 2, .. }),
        "{e:?}"
    );
}

#[test]
fn error_negative_or_non_finite() {
    let (e, s) = err("e,v\na,1\nb,-2\n", &MeasureOptions::new("v"));
    assert!(
        matches!(e, MeasureError::InvalidValue { line: 3, .. }),
        "{e:?}"
    );
    assert_eq!(
        s,
        "test.csv, line 3 (header = line 1): column \"v\" holds -2; values must be finite and >= 0"
    );
    let (e, _) = err("e,v\na,inf\n", &MeasureOptions::new("v"));
    assert!(
        matches!(e, MeasureError::InvalidValue { line: 2, .. }),
        "{e:?}"
    );
    let (e, _) = err("e,v\na,1\nb,NaN\n", &MeasureOptions::new("v"));
    assert!(
        matches!(e, MeasureError::InvalidValue { line: 3, .. }),
        "{e:?}"
    );
}

#[test]
fn error_all_zero() {
    let (e, s) = err("e,v\na,0\nb,0\n", &MeasureOptions::new("v"));
    assert!(matches!(e, MeasureError::AllZero { .. }), "{e:?}");
    assert_eq!(
        s,
        "test.csv: all values in column \"v\" are zero; shares are undefined"
    );
}

#[test]
fn error_ragged_row() {
    let (e, s) = err("e,v\na,1\nb\n", &MeasureOptions::new("v"));
    assert!(
        matches!(e, MeasureError::Malformed { line: 3, .. }),
        "{e:?}"
    );
    assert_eq!(
        s,
        "test.csv: not valid CSV at line 3: 1 fields where the header has 2"
    );
}

#[test]
fn whitespace_bom_and_blank_lines_are_tolerated() {
    let csv = "\u{feff}entity , v \n a , 1 \n\n b , 3 \n";
    let m = run(
        csv,
        &MeasureOptions {
            entity: Some("entity".into()),
            ..MeasureOptions::new("v")
        },
    )
    .unwrap();
    assert_eq!(m.final_values, vec![("b".into(), 3.0), ("a".into(), 1.0)]);
}

#[test]
fn error_not_utf8() {
    let bytes: &[u8] = b"e,v\na,1\n\xff\xfe,2\n";
    let e = measure_reader(bytes, "test.csv", &MeasureOptions::new("v")).unwrap_err();
    assert!(
        matches!(e, MeasureError::Malformed { line: 3, .. }),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "test.csv: not valid CSV at line 3: not UTF-8 text"
    );
}

#[test]
fn exclude_drops_an_entity() {
    let opts = MeasureOptions {
        exclude: vec!["Other".into()],
        ..eth_opts()
    };
    let m = counterweight::measure::measure_csv(std::path::Path::new(ETH), &opts).unwrap();
    let rows = eth_rows();
    let identified: f64 = rows
        .iter()
        .filter(|(e, _)| e != "Other")
        .map(|(_, v)| v)
        .sum();
    let top1 = m.table.f64_column("top1_share").unwrap()[0];
    assert!((top1 - 5_792_448.0 / identified).abs() < 1e-12);
    assert!(m.final_values.iter().all(|(e, _)| e != "Other"));
}

/// Columns in memory (a DataFrame's) give exactly what the same data as CSV gives.
#[test]
fn columns_equal_the_same_data_as_csv() {
    use counterweight::measure::{ValueColumn, measure_columns};
    let csv = "date,entity,stake\n2023-02,Lido,330\n2023-01,Lido,300\n2023-01,Coinbase,120\n2023-01,Lido,20\n2023-02,Other,260\n2023-02,Kraken,70.5\n";
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let col = |i: usize| -> Vec<String> { rows.iter().map(|r| r[i].to_string()).collect() };
    let numbers: Vec<Option<f64>> = rows.iter().map(|r| r[2].parse().ok()).collect();
    let text: Vec<Option<String>> = rows.iter().map(|r| Some(r[2].to_string())).collect();
    for (entity, time, exclude) in [
        (false, false, vec![]),
        (true, false, vec![]),
        (true, true, vec![]),
        (true, true, vec!["Other".to_string()]),
    ] {
        let mut opts = MeasureOptions::new("stake");
        opts.entity = entity.then(|| "entity".to_string());
        opts.time = time.then(|| "date".to_string());
        opts.exclude = exclude;
        let want = measure_reader(csv.as_bytes(), "t.csv", &opts).unwrap();
        let (e, t) = (col(1), col(0));
        for values in [ValueColumn::Numbers(&numbers), ValueColumn::Text(&text)] {
            let got = measure_columns(
                "frame",
                values,
                entity.then_some(e.as_slice()),
                time.then_some(t.as_slice()),
                &opts,
            )
            .unwrap();
            assert_eq!(got.table, want.table);
            assert_eq!(got.times, want.times);
            if entity {
                assert_eq!(got.final_values, want.final_values);
            }
        }
    }
    // Errors name the row (0-based) of the frame.
    let opts = MeasureOptions::new("v");
    let bad = [Some(1.0), Some(-2.0)];
    let e = measure_columns("frame", ValueColumn::Numbers(&bad), None, None, &opts).unwrap_err();
    assert!(
        matches!(e, MeasureError::InvalidRowValue { row: 1, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("row 1"), "{e}");
    let bad = [Some("1".to_string()), Some("x".to_string())];
    let e = measure_columns("frame", ValueColumn::Text(&bad), None, None, &opts).unwrap_err();
    assert!(
        matches!(e, MeasureError::NotNumericRow { row: 1, .. }),
        "{e}"
    );
}

/// Without an entity, time or group column the rows are kept as numbers (issue 15 item 2):
/// the result must be the one of the string form, which names each row `line N`. The
/// string form is obtained by giving every row an entity column holding exactly that name;
/// the file has blank lines, a quoted newline, CRLF endings and ties (so that the order of
/// equal values by name, `line 10` before `line 9`, is exercised).
#[test]
fn rows_as_numbers_equal_rows_named_by_line() {
    let mut lines = vec!["v,e,note".to_string()];
    let mut line = 1;
    for i in 0..40u32 {
        if i % 7 == 3 {
            lines.push(String::new()); // a blank line: the next row's line jumps
            line += 1;
        }
        line += 1;
        let v = [1.0, 2.5, 1.0, 0.0, 7.0][i as usize % 5];
        if i == 20 {
            // A quoted field over two physical lines: the row is on its first line.
            lines.push(format!("{v},line {line},\"two\r\nlines\""));
            line += 1;
        } else {
            lines.push(format!("{v},line {line},"));
        }
    }
    let csv = lines.join("\r\n") + "\r\n";
    let named = measure_reader(
        csv.as_bytes(),
        "t.csv",
        &MeasureOptions {
            entity: Some("e".into()),
            ..MeasureOptions::new("v")
        },
    )
    .unwrap();
    let rows = measure_reader(csv.as_bytes(), "t.csv", &MeasureOptions::new("v")).unwrap();
    assert!(rows.rows.is_some() && rows.final_values.is_empty());
    assert!(named.rows.is_none());
    assert_eq!(rows.table, named.table);
    assert_eq!(rows.named_final_values(), named.named_final_values());
    for n in [0, 1, 3, 10, 40, 100] {
        assert_eq!(rows.top_holders(n), named.top_holders(n), "top {n}");
    }
    assert_eq!(rows.final_count(), 40);
    let (mut a, mut b) = (rows.final_numbers(), named.final_numbers());
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    assert_eq!(a, b);
}
