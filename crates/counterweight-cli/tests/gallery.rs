//! `counterweight run --gallery`: the gallery of the essays' claims runs, writes one
//! directory with a run per entry and an index that shows every entry's pictures, and
//! every gallery scenario passes `counterweight check`.

use std::path::Path;

use assert_cmd::Command;
use counterweight::scenario::examples;

fn bin() -> Command {
    Command::cargo_bin("counterweight").unwrap()
}

#[test]
fn gallery_runs_and_the_index_shows_every_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("gallery");
    let started = std::time::Instant::now();
    bin()
        .args(["run", "--gallery", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let secs = started.elapsed().as_secs_f64();
    assert!(secs < 120.0, "the gallery took {secs:.1} s");

    let index = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!examples::GALLERY.is_empty());
    for g in examples::GALLERY {
        let dir = out.join(g.example);
        assert!(
            dir.join("report.html").is_file(),
            "{} has no report",
            g.example
        );
        assert!(
            dir.join("metrics.csv").is_file(),
            "{} has no metrics",
            g.example
        );
        assert!(
            index.contains(&format!("id=\"{}\"", g.example)),
            "{} not in the index",
            g.example
        );
        // Every picture the run directory holds is shown, whatever the model draws.
        let mut pictures = 0;
        for f in std::fs::read_dir(&dir).unwrap() {
            let name = f.unwrap().file_name().to_string_lossy().to_string();
            if name.ends_with(".png") {
                let rel = format!("{}/{name}", g.example);
                assert!(
                    index.contains(&format!("src=\"{rel}\"")),
                    "index misses {rel}"
                );
                pictures += 1;
            }
        }
        assert!(pictures >= 1, "{} has no pictures", g.example);
    }
    // Key numbers come from each model's key columns: a concentration entry keeps its
    // top-1 share and Gini; the d/acc entry shows survival, whose hegemon value is the
    // closed form e^(-100 · 0.01 · 1/2) = e^(-0.5) = 0.6065 (docs/dacc.md), to 3 decimals.
    let section = |name: &str| -> &str {
        let start = index
            .find(&format!("<section id=\"{name}\""))
            .unwrap_or_else(|| panic!("{name} not in the index"));
        let end = index[start..]
            .find("</section>")
            .map_or(index.len(), |e| start + e);
        &index[start..end]
    };
    let core = section("core-claim");
    assert!(core.contains("<th>top-1 share</th>") && core.contains("<th>Gini</th>"));
    let dacc = section("gallery-fragile-world");
    assert!(dacc.contains("<th>P(no catastrophe so far)</th>"), "{dacc}");
    let hegemon = dacc
        .split("<tr>")
        .find(|r| r.starts_with("<td>hegemon</td>"))
        .expect("a hegemon row");
    assert!(hegemon.contains("<td>0.607</td>"), "{hegemon}");
    assert!(!dacc.contains("<th>Gini</th>"));
    // Every picture the index references exists (relative paths: it opens from disk).
    for src in index.split("src=\"").skip(1) {
        let rel = &src[..src.find('"').unwrap()];
        assert!(Path::new(&out).join(rel).is_file(), "missing {rel}");
    }
    // All or nothing: no staging directory left next to it.
    for e in std::fs::read_dir(tmp.path()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(!name.contains(".partial"), "leftover {name}");
    }
}

#[test]
fn gallery_refuses_a_non_empty_output_directory() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("x"), "x").unwrap();
    bin()
        .args(["run", "--gallery", "--quiet", "--out"])
        .arg(tmp.path())
        .assert()
        .code(2);
}

#[test]
fn every_gallery_scenario_passes_check() {
    for g in examples::GALLERY {
        bin().args(["check", g.example]).assert().success();
    }
    // And the files in the repository (the gallery's own scenarios).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/gallery");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            bin().arg("check").arg(&p).assert().success();
            n += 1;
        }
    }
    assert!(n >= 3);
}

#[test]
fn gallery_entries_are_listed_as_such() {
    let out = bin().arg("scenarios").assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for g in examples::GALLERY {
        assert!(text.contains(g.example), "{} not listed", g.example);
    }
    assert!(text.contains("[gallery]"));
}
