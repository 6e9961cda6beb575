fn main() {
    let path = std::env::args().nth(1).unwrap();
    let sets: Vec<String> = std::env::args().skip(2).collect();
    let exp = counterweight::scenario::load(std::path::Path::new(&path), &sets).unwrap_or_else(|e| panic!("{e}"));
    let out = counterweight::runner::run_experiment(&exp, &Default::default());
    match out {
        Err(e) => println!("ERR {e}"),
        Ok(out) => for (l, o) in &out.variants {
            let t = &o.metrics;
            let time = t.f64_column("time").unwrap();
            let top = t.f64_column("top1_share").unwrap();
            let gini = t.f64_column("gini").unwrap();
            let tot = t.f64_column("total").unwrap();
            let n = time.len();
            let idx: Vec<usize> = (0..n).step_by((n / 8).max(1)).chain([n - 1]).collect();
            println!("{l}: stops {:?}", o.early_stops);
            for i in idx { println!("  t={:7.2} top1={:.4} gini={:.4} total={:.4e}", time[i], top[i], gini[i], tot[i]); }
        }
    }
}
