//! The example scenarios embedded in the binary (`counterweight scenarios`). The files
//! live in the repository's `scenarios/` folder.

/// An embedded example scenario.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    pub name: &'static str,
    pub summary: &'static str,
    pub toml: &'static str,
}

/// The scenario `counterweight run` uses when given none.
pub const DEFAULT: &str = "core-claim";

pub const EXAMPLES: &[Example] = &[
    Example {
        name: "core-claim",
        summary: "Proportional vs increasing returns, with and without forced diffusion",
        toml: include_str!("../../../../scenarios/core-claim.toml"),
    },
    Example {
        name: "cheetah-and-tortoise",
        summary: "Two actors, 2:1, under increasing returns; forced diffusion from t = 20",
        toml: include_str!("../../../../scenarios/cheetah-and-tortoise.toml"),
    },
    Example {
        name: "two-oh-two",
        summary: "The essay's arithmetic: 2x the resources become 2.02x after one year",
        toml: include_str!("../../../../scenarios/two-oh-two.toml"),
    },
    Example {
        name: "bouchaud-mezard",
        summary: "Exchange and random returns: a Pareto tail with exponent 1 + 2J/sigma^2",
        toml: include_str!("../../../../scenarios/bouchaud-mezard.toml"),
    },
    Example {
        name: "taxes",
        summary: "A proprietary tax with an open rebate vs a wealth tax",
        toml: include_str!("../../../../scenarios/taxes.toml"),
    },
    Example {
        name: "oligarchy",
        summary: "Yard-sale exchange: zeta > chi makes an oligarch holding 1 - chi/zeta; tax or antitrust prevent it",
        toml: include_str!("../../../../scenarios/oligarchy.toml"),
    },
];

/// Find an embedded example by name.
pub fn find(name: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.name == name)
}
