//! The Cournot solver: active set by one pass over the sorted costs, closed-form price over
//! it, then quantities, shares and the welfare measures (see the module above).

use super::{Demand, MarketError};

/// A Cournot equilibrium and what it costs. Vectors are indexed like the input costs.
#[derive(Debug, Clone, PartialEq)]
pub struct CournotOutcome {
    /// The equilibrium price (the intercept when nothing is produced).
    pub price: f64,
    /// Q = Σ q_i.
    pub total_quantity: f64,
    /// Each firm's quantity (0 for a firm priced out).
    pub quantities: Vec<f64>,
    /// q_i / Q (all 0 when Q = 0).
    pub shares: Vec<f64>,
    /// Number of firms that produce.
    pub active: usize,
    /// The price elasticity of demand at the equilibrium, −(dQ/dP)(P/Q).
    pub elasticity: f64,
    /// Industry Lerner index Σ s_i (P − c_i)/P (NaN when Q = 0).
    pub lerner: f64,
    /// Market-share HHI Σ s_i², in [1/n, 1] (NaN when Q = 0).
    pub hhi: f64,
    /// ∫_P^∞ D(p) dp (+∞ for constant elasticity ε ≤ 1).
    pub consumer_surplus: f64,
    /// Σ (P − c_i) q_i.
    pub producer_surplus: f64,
    /// output_loss + production_loss = W(efficient) − W(Cournot).
    pub deadweight_loss: f64,
    /// ∫_{c_min}^{P} (D(p) − Q) dp: units worth more than c_min left unsold.
    pub output_loss: f64,
    /// Σ (c_i − c_min) q_i: output made by costlier firms than necessary.
    pub production_loss: f64,
    /// The lowest marginal cost: the price under marginal-cost pricing.
    pub efficient_price: f64,
    /// D(c_min): the output under marginal-cost pricing.
    pub efficient_quantity: f64,
}

/// The Cournot equilibrium of firms with constant marginal costs `costs` facing `demand`.
///
/// Costs must be ≥ 0 (linear demand) or > 0 (constant elasticity), and not NaN; +∞ means
/// the firm cannot produce. Errors name the field or the firm: invalid demand parameters,
/// an invalid cost, no firms, or (constant elasticity) too few firms for an equilibrium.
pub fn cournot(demand: &Demand, costs: &[f64]) -> Result<CournotOutcome, MarketError> {
    demand.validate()?;
    if costs.is_empty() {
        return Err(MarketError::NoFirms);
    }
    let strictly_positive = matches!(demand, Demand::ConstantElasticity { .. });
    for (firm, &c) in costs.iter().enumerate() {
        let ok = !c.is_nan() && if strictly_positive { c > 0.0 } else { c >= 0.0 };
        if !ok {
            return Err(MarketError::InvalidCost {
                firm,
                value: c,
                valid: if strictly_positive {
                    "a number > 0 (or +inf for a firm that cannot produce) under constant-elasticity demand"
                } else {
                    "a number >= 0 (or +inf for a firm that cannot produce)"
                },
            });
        }
    }
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by(|&a, &b| costs[a].total_cmp(&costs[b]).then(a.cmp(&b)));
    let c_min = costs[order[0]];

    // Active set and price, by one pass over the sorted costs.
    let (active, price) = match *demand {
        Demand::Linear { intercept, .. } => {
            let (mut n, mut sum, mut price) = (0usize, 0.0f64, intercept);
            for &i in &order {
                if costs[i] < price {
                    n += 1;
                    sum += costs[i];
                    price = (intercept + sum) / (n as f64 + 1.0);
                } else {
                    break;
                }
            }
            (n, price)
        }
        Demand::ConstantElasticity { elasticity, .. } => {
            // The smallest n with n·ε > 1 always produce.
            let mut n = 1usize;
            while (n as f64) * elasticity <= 1.0 {
                n += 1;
                if n > costs.len() {
                    return Err(MarketError::NoEquilibrium {
                        elasticity,
                        firms: costs.iter().filter(|c| c.is_finite()).count(),
                    });
                }
            }
            if n > costs.len() || !costs[order[n - 1]].is_finite() {
                return Err(MarketError::NoEquilibrium {
                    elasticity,
                    firms: costs.iter().filter(|c| c.is_finite()).count(),
                });
            }
            let inv = 1.0 / elasticity;
            let mut sum: f64 = order[..n].iter().map(|&i| costs[i]).sum();
            let mut price = sum / (n as f64 - inv);
            for &i in &order[n..] {
                if costs[i] < price {
                    n += 1;
                    sum += costs[i];
                    price = sum / (n as f64 - inv);
                } else {
                    break;
                }
            }
            (n, price)
        }
    };

    // Quantities.
    let mut quantities = vec![0.0; costs.len()];
    match *demand {
        Demand::Linear { slope, .. } => {
            for &i in &order[..active] {
                quantities[i] = (price - costs[i]) / slope;
            }
        }
        Demand::ConstantElasticity { elasticity, scale } => {
            let q = scale * price.powf(-elasticity);
            for &i in &order[..active] {
                quantities[i] = elasticity * q * (1.0 - costs[i] / price);
            }
        }
    }
    let total_quantity: f64 = order[..active].iter().map(|&i| quantities[i]).sum();

    let efficient_price = c_min;
    let efficient_quantity = if c_min.is_finite() {
        demand.quantity(c_min)
    } else {
        0.0
    };
    if active == 0 {
        // Linear demand with every cost at or above the intercept: no trade at all, and none
        // would be efficient either.
        return Ok(CournotOutcome {
            price,
            total_quantity: 0.0,
            quantities,
            shares: vec![0.0; costs.len()],
            active: 0,
            elasticity: f64::INFINITY,
            lerner: f64::NAN,
            hhi: f64::NAN,
            consumer_surplus: 0.0,
            producer_surplus: 0.0,
            deadweight_loss: 0.0,
            output_loss: 0.0,
            production_loss: 0.0,
            efficient_price,
            efficient_quantity,
        });
    }

    let shares: Vec<f64> = quantities.iter().map(|q| q / total_quantity).collect();
    let (mut lerner, mut hhi, mut producer_surplus, mut production_loss) = (0.0, 0.0, 0.0, 0.0);
    for &i in &order[..active] {
        let (s, q, c) = (shares[i], quantities[i], costs[i]);
        lerner += s * (price - c) / price;
        hhi += s * s;
        producer_surplus += (price - c) * q;
        production_loss += (c - c_min) * q;
    }
    let consumer_surplus = match *demand {
        Demand::Linear { slope, .. } => slope * total_quantity * total_quantity / 2.0,
        Demand::ConstantElasticity { elasticity, scale } => {
            if elasticity > 1.0 {
                scale * price.powf(1.0 - elasticity) / (elasticity - 1.0)
            } else {
                f64::INFINITY
            }
        }
    };
    let output_loss = match *demand {
        // The triangle (P − c_min)²/(2b), free of cancellation.
        Demand::Linear { slope, .. } => (price - c_min) * (price - c_min) / (2.0 * slope),
        Demand::ConstantElasticity { .. } => {
            (demand.area(c_min, price) - total_quantity * (price - c_min)).max(0.0)
        }
    };
    Ok(CournotOutcome {
        price,
        total_quantity,
        quantities,
        shares,
        active,
        elasticity: demand.elasticity(price),
        lerner,
        hhi,
        consumer_surplus,
        producer_surplus,
        deadweight_loss: output_loss + production_loss,
        output_loss,
        production_loss,
        efficient_price,
        efficient_quantity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monopoly_linear() {
        // P = 10 − Q, c = 2: q = 4, P = 6, CS = 8, PS = 16, DWL = (6 − 2)²/2 = 8.
        let o = cournot(
            &Demand::Linear {
                intercept: 10.0,
                slope: 1.0,
            },
            &[2.0],
        )
        .unwrap();
        assert_eq!(o.price, 6.0);
        assert_eq!(o.total_quantity, 4.0);
        assert_eq!(o.consumer_surplus, 8.0);
        assert_eq!(o.producer_surplus, 16.0);
        assert_eq!(o.deadweight_loss, 8.0);
        assert_eq!(o.hhi, 1.0);
        assert_eq!(o.efficient_quantity, 8.0);
    }

    #[test]
    fn errors_name_the_field() {
        let lin = Demand::Linear {
            intercept: 10.0,
            slope: 1.0,
        };
        assert_eq!(cournot(&lin, &[]), Err(MarketError::NoFirms));
        assert!(matches!(
            cournot(&lin, &[1.0, f64::NAN]),
            Err(MarketError::InvalidCost { firm: 1, .. })
        ));
        assert!(matches!(
            cournot(&lin, &[-1.0]),
            Err(MarketError::InvalidCost { firm: 0, .. })
        ));
        let bad = Demand::Linear {
            intercept: 10.0,
            slope: 0.0,
        };
        assert!(matches!(
            cournot(&bad, &[1.0]),
            Err(MarketError::InvalidParameter { field: "slope", .. })
        ));
        let ce = Demand::ConstantElasticity {
            elasticity: 0.5,
            scale: 1.0,
        };
        // n·ε > 1 needs 3 firms.
        assert!(matches!(
            cournot(&ce, &[1.0, 1.0]),
            Err(MarketError::NoEquilibrium { firms: 2, .. })
        ));
        assert!(matches!(
            cournot(&ce, &[1.0, 1.0, f64::INFINITY]),
            Err(MarketError::NoEquilibrium { firms: 2, .. })
        ));
        assert!(cournot(&ce, &[1.0, 1.0, 1.0]).is_ok());
        assert!(matches!(
            cournot(&ce, &[0.0, 1.0, 1.0]),
            Err(MarketError::InvalidCost { firm: 0, .. })
        ));
        let msg = MarketError::InvalidParameter {
            field: "elasticity",
            value: -1.0,
            valid: "a finite number > 0",
        }
        .to_string();
        assert!(msg.contains("elasticity = -1"), "{msg}");
    }

    #[test]
    fn no_trade_when_costs_exceed_the_intercept() {
        let o = cournot(
            &Demand::Linear {
                intercept: 1.0,
                slope: 1.0,
            },
            &[1.0, 2.0],
        )
        .unwrap();
        assert_eq!(o.active, 0);
        assert_eq!(o.total_quantity, 0.0);
        assert_eq!(o.price, 1.0);
        assert!(o.hhi.is_nan() && o.lerner.is_nan());
        assert_eq!(o.deadweight_loss, 0.0);
    }
}
