//! The example scenarios embedded in the binary (`counterweight scenarios`). The files
//! live in the repository's `scenarios/` folder.

/// An embedded example scenario.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// The name `counterweight run NAME` accepts (the file's stem).
    pub name: &'static str,
    /// One line for `counterweight scenarios`.
    pub summary: &'static str,
    /// The scenario file's text.
    pub toml: &'static str,
}

/// The scenario `counterweight run` uses when given none.
pub const DEFAULT: &str = "core-claim";

/// Every embedded example, in the order `counterweight scenarios` lists them.
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
    Example {
        name: "lock-in",
        summary: "Network effects lock in one platform; interoperability (from the start or mandated later) undoes it",
        toml: include_str!("../../../../scenarios/lock-in.toml"),
    },
    Example {
        name: "cournot",
        summary: "A Cournot market alone: five firms, one priced out; Lerner index = HHI / elasticity",
        toml: include_str!("../../../../scenarios/cournot.toml"),
    },
    Example {
        name: "market-power",
        summary: "Returns to scale -> share -> markup -> deadweight loss, and what forced diffusion does to each",
        toml: include_str!("../../../../scenarios/market-power.toml"),
    },
    Example {
        name: "harberger",
        summary: "A self-assessed tax on IP: allocative efficiency peaks where the tax rate equals the turnover rate",
        toml: include_str!("../../../../scenarios/harberger.toml"),
    },
    Example {
        name: "staking-2023",
        summary: "The real 2023 staking snapshot by layer: how far Lido's share moves under a network effect, with and without a 1/3 self-limit",
        toml: include_str!("../../../../scenarios/staking/snapshot-2023.toml"),
    },
    Example {
        name: "staking-operators",
        summary: "Operators needed to censor: Lido's 29 min-first operators vs an exchange of the same size (2023 snapshot)",
        toml: include_str!("../../../../scenarios/staking/operators.toml"),
    },
    Example {
        name: "staking-veto",
        summary: "A harmful governance action with and without a stakers' veto: who is harmed, what happens to the provider's share",
        toml: include_str!("../../../../scenarios/staking/veto.toml"),
    },
    Example {
        name: "veto-default",
        summary: "Lido Dual Governance veto simulation: can stakers block harmful proposals? (mainnet parameters)",
        toml: include_str!("../../../../scenarios/governance/simulate/default.toml"),
    },
    Example {
        name: "civil-society",
        summary: "Opinion dynamics: many camps of civil society, merged by one dominant platform or wide confidence",
        toml: include_str!("../../../../scenarios/civil-society.toml"),
    },
    Example {
        name: "three-forces",
        summary: "State, business and civic forces check each other; a state-business merger ends the balance",
        toml: include_str!("../../../../scenarios/three-forces.toml"),
    },
    Example {
        name: "fragile-world",
        summary: "d/acc: survival under private defence, openly diffused defence, a hegemon, defensive progress",
        toml: include_str!("../../../../scenarios/fragile-world.toml"),
    },
    Example {
        name: "gallery-brakes",
        summary: "The two brakes (diseconomies, diffusion); automation and proprietary tech remove them",
        toml: include_str!("../../../../scenarios/gallery/brakes.toml"),
    },
    Example {
        name: "gallery-forced-diffusion",
        summary: "An openness mandate and a non-compete ban restore the balance",
        toml: include_str!("../../../../scenarios/gallery/forced-diffusion.toml"),
    },
    Example {
        name: "gallery-tax",
        summary: "A proprietariness tax with an open rebate vs a wealth tax of equal revenue",
        toml: include_str!("../../../../scenarios/gallery/tax.toml"),
    },
    Example {
        name: "gallery-three-forces",
        summary: "When the three forces keep each other in check (beta < beta_c, restraint < self-limit) and what a merger does",
        toml: include_str!("../../../../scenarios/gallery/three-forces.toml"),
    },
    Example {
        name: "gallery-civil-society",
        summary: "Does one dominant platform merge civil society's camps into one movement? Deffuant and Hegselmann-Krause",
        toml: include_str!("../../../../scenarios/gallery/civil-society.toml"),
    },
    Example {
        name: "gallery-fragile-world",
        summary: "d/acc: open defence against a hegemon, and the rate of defensive progress that matches it",
        toml: include_str!("../../../../scenarios/gallery/fragile-world.toml"),
    },
];

/// One entry of the gallery of the essays' claims (`counterweight run --gallery`,
/// docs/gallery.md): an embedded example and the essay passage it models.
#[derive(Debug, Clone, Copy)]
pub struct GalleryEntry {
    /// The embedded example's name ([`find`]).
    pub example: &'static str,
    /// A short title for the claim.
    pub title: &'static str,
    /// The essay's words (a brief quotation).
    pub quote: &'static str,
}

/// The gallery, in the order of the essays' argument.
pub const GALLERY: &[GalleryEntry] = &[
    GalleryEntry {
        example: "core-claim",
        title: "Proportional vs increasing returns: the cheetah and the tortoise",
        quote: "Left: Proportional growth—small initial differences remain small; Right: Growth under economies of scale—small initial differences become very large over time.",
    },
    GalleryEntry {
        example: "two-oh-two",
        title: "The 2.02 example",
        quote: "If my resources are twice yours, the progress I can achieve is more than double; therefore, by next year, my resources might be 2.02 times yours. Over time, the most powerful entity will eventually control everything.",
    },
    GalleryEntry {
        example: "gallery-brakes",
        title: "The two historical brakes, and what automation and proprietary technology do to them",
        quote: "\"Diseconomies of scale\" slow down the cheetah, and \"diffusion effects\" are like a rubber hand pulling the tortoise closer to the cheetah. [...] Automation: allows global tasks to be completed with few people [...] Proliferation of proprietary technology [...] the \"diffusion of control\" is weaker than ever.",
    },
    GalleryEntry {
        example: "gallery-forced-diffusion",
        title: "Forced diffusion restores the balance",
        quote: "Solution: Force more \"diffusion.\" [...] EU standardization mandates [...] US ban on non-compete agreements [...] forces a partial \"open sourcing\" of \"tacit knowledge\" within companies.",
    },
    GalleryEntry {
        example: "gallery-tax",
        title: "A proprietariness tax vs a wealth tax of equal revenue",
        quote: "Levying corresponding taxes [...] based on their \"degree of proprietariness\" [...] if companies share technology with society (including through open source), the tax rate could drop to zero. [...] What we want to diffuse is not money, but the means of production.",
    },
    GalleryEntry {
        example: "lock-in",
        title: "Lock-in and adversarial interoperability",
        quote: "Adversarial interoperability is developing new products/services that can interface with existing products/services without permission from the existing manufacturer. [...] Users can remain on the network while avoiding the platform's value extraction mechanisms.",
    },
    GalleryEntry {
        example: "oligarchy",
        title: "Oligarchy as a phase transition",
        quote: "A corporation that is 10 times larger can gain 10 times the benefit from distorting the environment [...] The ability to distort is proportional to market share. [...] A global wealth tax might prevent the concentration of power among billionaires.",
    },
    GalleryEntry {
        example: "market-power",
        title: "Market power: returns to scale, share, markup, deadweight loss",
        quote: "Generally, the larger a corporation is, the more capable it is of \"distorting its surrounding environment\" [...] Mathematically, this is consistent with the logic of \"why a monopoly sets prices above marginal cost, increasing profits at the expense of social deadweight loss\" [...] The ability to distort is proportional to market share.",
    },
    GalleryEntry {
        example: "harberger",
        title: "A Harberger tax on IP: use it or sell it",
        quote: "Intellectual property \u{201c}Harberger taxes\u{201d} could incentivize companies to actually use their IP rather than hoard it",
    },
    GalleryEntry {
        example: "staking-2023",
        title: "Lido's share under a network effect, with and without a self-limit",
        quote: "Ethereum’s liquid staking protocol Lido manages roughly 24% of the network’s staked ETH—an enormous concentration. [...] The Ethereum community has wisely stated that even with these safeguards, Lido should never control all staked ETH.",
    },
    GalleryEntry {
        example: "staking-operators",
        title: "Capability vs control: operators needed to censor, min-first router vs one exchange",
        quote: "Lido is not a single entity: it is an internally decentralized DAO with dozens of node operators [...] It’s a designed system where capability concentrates but control remains distributed.",
    },
    GalleryEntry {
        example: "staking-veto",
        title: "A stakers' veto after a harmful governance action",
        quote: "It uses a \"dual governance\" design—ETH stakers have veto power over decisions.",
    },
    GalleryEntry {
        example: "gallery-three-forces",
        title: "Three forces: when the checks hold, and what a merger does",
        quote: "Our discomfort with concentrated power typically crystallizes around three distinct entities: government, business, and the organized masses we sometimes call \u{201c}the mob.\u{201d} [...] Each force brings genuine value. Each poses genuine danger.",
    },
    GalleryEntry {
        example: "gallery-civil-society",
        title: "Civil society or one movement: does a dominant platform merge the camps?",
        quote: "The ideal version emphasizes \u{201c}diverse institutions excelling in their domains\u{201d}; the reality often shows monolithic movements pursuing single agendas.",
    },
    GalleryEntry {
        example: "gallery-fragile-world",
        title: "The fragile world: open defence against a hegemon, and the rate of defensive progress",
        quote: "In a fragmented world with poor coordination, someone eventually uses such a weapon. Some argue that concentrating power (creating a benevolent hegemon) is the only safety mechanism. [...] build defensive technologies that scale with offensive ones, and distribute them openly to all.",
    },
];

/// Whether an embedded example is part of the gallery.
pub fn in_gallery(name: &str) -> bool {
    GALLERY.iter().any(|g| g.example == name)
}

/// Find an embedded example by name.
pub fn find(name: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_parses_and_every_gallery_entry_is_embedded() {
        for e in EXAMPLES {
            if let Err(err) = crate::scenario::parse(e.toml, e.name, None, &[]) {
                panic!("{}: {err:?}", e.name);
            }
        }
        for g in GALLERY {
            assert!(find(g.example).is_some(), "{} is not embedded", g.example);
            assert!(!g.title.is_empty() && !g.quote.is_empty());
        }
    }
}
