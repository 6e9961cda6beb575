//! Common ownership (MHHI, ΔMHHI; O'Brien–Salop, Azar–Schmalz–Tecu): hand-computed test
//! vectors, a brute-force triple sum on random tables, every error, and `measure` with an
//! owners CSV. Deterministic: tolerances are rounding bounds (sums of a few dozen products
//! of numbers in [0, 1]: 1e-14).
//!
//! Run with `cargo test --release -p counterweight --test integration ownership`.

use counterweight::measure::{
    MeasureError, MeasureOptions, add_common_ownership, measure_reader, read_owners_reader,
};
use counterweight::metrics::ownership::{OwnershipError, Stake, common_ownership};

/// The definition, term by term: Σ_j Σ_k s_j s_k (Σ_i γ_ij β_ik)/(Σ_i γ_ij β_ij), with dense
/// matrices β[i][j], γ[i][j].
fn brute_force(shares: &[f64], beta: &[Vec<f64>], gamma: &[Vec<f64>]) -> f64 {
    let total: f64 = shares.iter().sum();
    let s: Vec<f64> = shares.iter().map(|x| x / total).collect();
    let mut mhhi = 0.0;
    for j in 0..s.len() {
        let den: f64 = (0..beta.len()).map(|i| gamma[i][j] * beta[i][j]).sum();
        for k in 0..s.len() {
            let num: f64 = (0..beta.len()).map(|i| gamma[i][j] * beta[i][k]).sum();
            mhhi += s[j] * s[k] * num / den;
        }
    }
    mhhi
}

#[test]
fn separate_owners_give_zero_delta() {
    // Each firm owned by its own investors (several per firm, partial stakes).
    let shares = [0.4, 0.3, 0.2, 0.1];
    let stakes = [
        Stake::new(0, 0, 0.6),
        Stake::new(1, 0, 0.4),
        Stake::new(2, 1, 1.0),
        Stake::new(3, 2, 0.3),
        Stake::new(4, 3, 0.05),
    ];
    let c = common_ownership(&shares, &stakes).unwrap();
    assert_eq!(c.delta_mhhi, 0.0);
    assert_eq!(c.mhhi, c.hhi);
    assert!((c.hhi - 0.30).abs() < 1e-15);
}

#[test]
fn one_owner_of_everything_is_a_monopoly() {
    let shares = [5.0, 3.0, 1.0, 1.0];
    let stakes: Vec<Stake> = (0..4).map(|j| Stake::new(0, j, 1.0)).collect();
    let c = common_ownership(&shares, &stakes).unwrap();
    assert!((c.mhhi - 1.0).abs() <= 1e-15, "{}", c.mhhi);
    assert!((c.delta_mhhi - (1.0 - 0.36)).abs() <= 1e-15);
    // Also when that one investor's stake is only 20% and everyone else is dispersed
    // (owns but does not control): the controlling owner is the same in every firm.
    let stakes: Vec<Stake> = (0..4).map(|j| Stake::new(0, j, 0.2)).collect();
    assert!((common_ownership(&shares, &stakes).unwrap().mhhi - 1.0).abs() <= 1e-15);
}

/// By hand: two firms with shares 1/2; investor A owns half of each, B the other half of
/// firm 0, C the other half of firm 1 (control = ownership). D_0 = 0.5² + 0.5² = 0.5 and
/// Σ_i γ_i0 β_i1 = 0.5 · 0.5 = 0.25 (only A), likewise for firm 1: ΔMHHI = 2 · (1/4)(0.25/0.5)
/// = 0.25, MHHI = 0.5 + 0.25 = 0.75.
#[test]
fn hand_vector_half_common_owner() {
    let stakes = [
        Stake::new(0, 0, 0.5),
        Stake::new(0, 1, 0.5),
        Stake::new(1, 0, 0.5),
        Stake::new(2, 1, 0.5),
    ];
    let c = common_ownership(&[1.0, 1.0], &stakes).unwrap();
    assert!((c.hhi - 0.5).abs() <= 1e-15);
    assert!((c.delta_mhhi - 0.25).abs() <= 1e-15);
    assert!((c.mhhi - 0.75).abs() <= 1e-15);
}

/// By hand, with control different from ownership: shares (0.6, 0.4). Firm 0: A owns 0.3
/// with control 0.6, B owns 0.7 with control 0.4. Firm 1: A owns 0.1 (control 0.1), C owns
/// 0.9 (control 0.9). D_0 = 0.6·0.3 + 0.4·0.7 = 0.46; firm 0's weight on firm 1 =
/// γ_A0 β_A1 = 0.6·0.1 = 0.06. D_1 = 0.1·0.1 + 0.9·0.9 = 0.82; firm 1's weight on firm 0 =
/// γ_A1 β_A0 = 0.1·0.3 = 0.03. ΔMHHI = 0.24·(0.06/0.46) + 0.24·(0.03/0.82).
#[test]
fn hand_vector_with_control() {
    let stakes = [
        Stake {
            investor: 0,
            firm: 0,
            ownership: 0.3,
            control: 0.6,
        },
        Stake {
            investor: 1,
            firm: 0,
            ownership: 0.7,
            control: 0.4,
        },
        Stake {
            investor: 0,
            firm: 1,
            ownership: 0.1,
            control: 0.1,
        },
        Stake {
            investor: 2,
            firm: 1,
            ownership: 0.9,
            control: 0.9,
        },
    ];
    let c = common_ownership(&[0.6, 0.4], &stakes).unwrap();
    let want = 0.24 * (0.06 / 0.46) + 0.24 * (0.03 / 0.82);
    assert!(
        (c.delta_mhhi - want).abs() <= 1e-15,
        "{} vs {want}",
        c.delta_mhhi
    );
    assert!((c.mhhi - (0.52 + want)).abs() <= 1e-15);
}

/// Random tables against the triple sum, including duplicate stakes of one investor in one
/// firm (they add up).
#[test]
fn random_tables_match_the_definition() {
    let mut state = 7u64;
    let mut u = || {
        state = counterweight::rng::mix64(state);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for case in 0..300 {
        let firms = 1 + (u() * 6.0) as usize;
        let investors = 1 + (u() * 5.0) as usize;
        let shares: Vec<f64> = (0..firms).map(|_| 0.01 + u()).collect();
        let mut beta = vec![vec![0.0; firms]; investors];
        let mut gamma = vec![vec![0.0; firms]; investors];
        let mut stakes = Vec::new();
        for j in 0..firms {
            // Split at most 1 among the investors, in up to two stakes each.
            let mut left = 1.0;
            for i in 0..investors {
                for _ in 0..2 {
                    if u() < 0.5 {
                        let f = left * u() * 0.5;
                        let c = f * (0.5 + u());
                        let c = c.min(1.0 / (2.0 * investors as f64));
                        left -= f;
                        beta[i][j] += f;
                        gamma[i][j] += c;
                        stakes.push(Stake {
                            investor: i,
                            firm: j,
                            ownership: f,
                            control: c,
                        });
                    }
                }
            }
            // Every firm gets an owner with positive ownership and control.
            let f = left * 0.5;
            beta[0][j] += f;
            gamma[0][j] += 0.01;
            stakes.push(Stake {
                investor: 0,
                firm: j,
                ownership: f,
                control: 0.01,
            });
        }
        let c = common_ownership(&shares, &stakes).unwrap();
        let want = brute_force(&shares, &beta, &gamma);
        assert!(
            (c.mhhi - want).abs() <= 1e-13 * want,
            "case {case}: {} vs {want}",
            c.mhhi
        );
        assert!(c.delta_mhhi >= 0.0 && c.mhhi >= c.hhi);
    }
}

#[test]
fn errors() {
    let s = [1.0, 1.0];
    assert!(matches!(
        common_ownership(&s, &[Stake::new(0, 0, 1.2), Stake::new(1, 1, 1.0)]),
        Err(OwnershipError::FractionOutOfRange {
            field: "fraction",
            index: 0,
            ..
        })
    ));
    assert!(matches!(
        common_ownership(
            &s,
            &[Stake {
                investor: 0,
                firm: 0,
                ownership: 0.5,
                control: -0.1
            }]
        ),
        Err(OwnershipError::FractionOutOfRange {
            field: "control",
            ..
        })
    ));
    assert_eq!(
        common_ownership(&s, &[Stake::new(0, 0, 1.0)]),
        Err(OwnershipError::FirmWithoutOwners { firm: 1 })
    );
    // Ownership without control is not an owner in the MHHI's sense.
    assert_eq!(
        common_ownership(
            &s,
            &[
                Stake::new(0, 0, 1.0),
                Stake {
                    investor: 1,
                    firm: 1,
                    ownership: 0.5,
                    control: 0.0
                }
            ]
        ),
        Err(OwnershipError::FirmWithoutOwners { firm: 1 })
    );
    assert!(matches!(
        common_ownership(
            &s,
            &[
                Stake::new(0, 0, 0.7),
                Stake::new(1, 0, 0.4),
                Stake::new(1, 1, 1.0)
            ]
        ),
        Err(OwnershipError::OwnedAboveOne {
            firm: 0,
            field: "fraction",
            ..
        })
    ));
    // Rounding in data is tolerated (three thirds written to 6 decimals and a remainder).
    assert!(
        common_ownership(
            &[1.0],
            &[
                Stake::new(0, 0, 0.333334),
                Stake::new(1, 0, 0.333333),
                Stake::new(2, 0, 0.333333)
            ]
        )
        .is_ok()
    );
    assert!(matches!(
        common_ownership(&s, &[Stake::new(0, 2, 1.0)]),
        Err(OwnershipError::UnknownFirm { firm: 2, .. })
    ));
    assert!(matches!(
        common_ownership(&[], &[]),
        Err(OwnershipError::Shares(_))
    ));
}

// --- measure with an owners table -------------------------------------------------------

const SHARES: &str = "firm,sales\nA,30\nB,30\nC,20\nD,20\n";

fn shares_opts() -> MeasureOptions {
    MeasureOptions {
        entity: Some("firm".into()),
        ..MeasureOptions::new("sales")
    }
}

/// A toy industry: four firms with an HHI of 0.26 (2,600), all four held 15% each by the
/// same two index funds (30% held in common, the rest by dispersed holders without control
/// who are left out): every firm's controlling owners are the same, so MHHI = 1 (10,000).
#[test]
fn measure_with_owners() {
    let owners = "investor,firm,fraction\n\
                  Index1,A,0.15\nIndex1,B,0.15\nIndex1,C,0.15\nIndex1,D,0.15\n\
                  Index2,A,0.15\nIndex2,B,0.15\nIndex2,C,0.15\nIndex2,D,0.15\n";
    let mut m = measure_reader(SHARES.as_bytes(), "shares.csv", &shares_opts()).unwrap();
    let o = read_owners_reader(owners.as_bytes(), "owners.csv").unwrap();
    assert!(!o.has_control);
    add_common_ownership(&mut m, &shares_opts(), &o, "shares.csv").unwrap();
    let hhi = m.table.f64_column("hhi").unwrap()[0];
    let mhhi = m.table.f64_column("mhhi").unwrap()[0];
    let delta = m.table.f64_column("delta_mhhi").unwrap()[0];
    assert!((hhi - 0.26).abs() < 1e-15);
    assert!((mhhi - 1.0).abs() < 1e-15);
    assert!((delta - 0.74).abs() < 1e-15);

    // With a control column: founders control A and B (each its own), funds control nothing
    // there: A and B then compete; C and D stay under the funds.
    let owners = "investor,firm,fraction,control\n\
                  FounderA,A,0.5,1\nFounderB,B,0.5,1\nFund,A,0.2,0\nFund,B,0.2,0\n\
                  Fund,C,0.3,0.3\nFund,D,0.3,0.3\n";
    let mut m = measure_reader(SHARES.as_bytes(), "shares.csv", &shares_opts()).unwrap();
    let o = read_owners_reader(owners.as_bytes(), "owners.csv").unwrap();
    assert!(o.has_control);
    add_common_ownership(&mut m, &shares_opts(), &o, "shares.csv").unwrap();
    // A's and B's managers answer to their founders alone: no weight on rivals. C's (and
    // D's) answer to the Fund, which also owns 20% of A and B: D_C = 0.3·0.3 = 0.09, weight
    // on D = 0.3·0.3/0.09 = 1, on A and B 0.3·0.2/0.09 = 2/3. Firm C contributes
    // s_C (s_A·2/3 + s_B·2/3 + s_D·1) = 0.2·(0.2 + 0.2 + 0.2) = 0.12, D the same: Δ = 0.24.
    let delta = m.table.f64_column("delta_mhhi").unwrap()[0];
    assert!((delta - 0.24).abs() < 1e-15, "{delta}");

    // Over time: one row per time, ownership applied at each.
    let shares_t = "t,firm,sales\n1,A,1\n1,B,1\n2,A,3\n2,B,1\n";
    let opts = MeasureOptions {
        time: Some("t".into()),
        ..shares_opts()
    };
    let owners = "investor,firm,fraction\nX,A,0.5\nX,B,0.5\nY,A,0.5\nZ,B,0.5\n";
    let mut m = measure_reader(shares_t.as_bytes(), "s.csv", &opts).unwrap();
    let o = read_owners_reader(owners.as_bytes(), "o.csv").unwrap();
    add_common_ownership(&mut m, &opts, &o, "s.csv").unwrap();
    let d = m.table.f64_column("delta_mhhi").unwrap();
    // Each firm's weight on the other is 0.25/0.5 = 1/2: Δ = 2 · s_A s_B / 2 = s_A s_B.
    assert!(
        (d[0] - 0.25).abs() < 1e-15 && (d[1] - 0.1875).abs() < 1e-15,
        "{d:?}"
    );
}

#[test]
fn measure_owners_errors() {
    let read = |text: &str| read_owners_reader(text.as_bytes(), "owners.csv");
    let e = read("investor,firm,fraction\nX,A,0.5\nY,A,1.5\n").unwrap_err();
    assert!(
        matches!(e, MeasureError::FractionOutOfRange { line: 3, .. }),
        "{e}"
    );
    assert!(
        e.to_string().contains("line 3") && e.to_string().contains("fraction"),
        "{e}"
    );
    let e = read("investor,firm,fraction,control\nX,A,0.5,-1\n").unwrap_err();
    assert!(e.to_string().contains("\"control\""), "{e}");
    let e = read("investor,firm,fraction\nX,A,0.6\nY,A,0.5\nZ,B,1\n").unwrap_err();
    assert!(matches!(e, MeasureError::OwnedAboveOne { .. }), "{e}");
    assert!(
        e.to_string().contains("\"A\"") && e.to_string().contains("lines 2, 3"),
        "{e}"
    );
    let e = read("investor,company,fraction\nX,A,0.5\n").unwrap_err();
    assert!(matches!(e, MeasureError::MissingColumn { .. }), "{e}");
    let e = read("investor,firm,fraction\nX,A,half\n").unwrap_err();
    assert!(matches!(e, MeasureError::NotNumeric { line: 2, .. }), "{e}");
    let e = read("investor,firm,fraction\n").unwrap_err();
    assert!(matches!(e, MeasureError::NoDataRows { .. }), "{e}");

    // A firm of the shares file with no owner.
    let mut m = measure_reader(SHARES.as_bytes(), "shares.csv", &shares_opts()).unwrap();
    let o = read("investor,firm,fraction\nX,A,1\nX,B,1\nX,C,1\n").unwrap();
    let e = add_common_ownership(&mut m, &shares_opts(), &o, "shares.csv").unwrap_err();
    assert!(
        matches!(&e, MeasureError::FirmWithoutOwners { firm, .. } if firm == "D"),
        "{e}"
    );
    assert!(
        e.to_string().contains("owners.csv") && e.to_string().contains("\"D\""),
        "{e}"
    );
    // Without an entity column the firms cannot be matched.
    let opts = MeasureOptions::new("sales");
    let mut m = measure_reader(SHARES.as_bytes(), "shares.csv", &opts).unwrap();
    let e = add_common_ownership(&mut m, &opts, &o, "shares.csv").unwrap_err();
    assert!(matches!(e, MeasureError::OwnersNeedEntity { .. }), "{e}");
}
