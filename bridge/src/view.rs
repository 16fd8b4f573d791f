//! What each page shows, decided at the bridge: the fleet ranked, and per page the containers its
//! `statscope.subscribe` selects.
//!
//! The hub feeds every sample it relays into a native [`RateEngine`] ([`Ranker`]); about once a
//! second it ranks every container it knows, over every host, by each metric
//! ([`statscope_core::rank`], the rule the page applies too: the mean of the last 30 s of sample
//! time, up to the newest sample the hub has; CPU on the docker CLI's scale, 100 % = one core, where
//! a page may show another scale), and shares the result as a
//! [`Ranking`]. A page's [`View`] picks from it what the page shows: its hosts, its filter
//! ([`statscope_core::select::matches`]), its top N by its metric, its pinned containers, and at most
//! the per-page cap (`--max-per-page`), the busiest first. The server's client task forwards a page
//! only the samples and messages of the containers shown, each newly shown one after its history.
//!
//! Pure but for the engine's state: no I/O, no clock (the hub says when to rank).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use statscope_core::metrics::{Metric, METRICS};
use statscope_core::model::Sample;
use statscope_core::protocol::{Busiest, Fleet, FleetHost, Subscribe, Subscribed};
use statscope_core::rates::{Flag, Status};
use statscope_core::{rank, select};
use statscope_core::{EngineConfig, RateEngine};

/// One container as ranked.
#[derive(Clone, Debug)]
pub struct Ranked {
    /// `ID@HOST`.
    pub key: Arc<str>,
    pub name: String,
    pub running: bool,
    /// Its score by each metric ([`rank::score`]), in [`METRICS`] order; `None`: not ranked
    /// (stopped, or no value in the last 30 s).
    pub scores: Vec<Option<f64>>,
}

/// Every container the hub knows, ranked (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct Ranking {
    /// By key.
    pub containers: Vec<Ranked>,
    /// Host key → the name people know it by.
    pub host_names: BTreeMap<String, String>,
    /// The fleet overview this ranking gives.
    pub fleet: Fleet,
}

impl Ranking {
    /// Hosts the bridge follows.
    pub fn hosts(&self) -> usize {
        self.host_names.len()
    }
}

/// A container a page has stays in its top N while its score is at least this share of the N-th's
/// ([`View::select_from`]).
pub const STAY_WITHIN: f64 = 0.8;

/// Points the ranker keeps per container: the rank's 30 s at one sample a second, and some.
const RANKER_POINTS: usize = 40;

/// Samples the ranker holds before it applies them at once (a second of 100,000 containers).
const MAX_PENDING: usize = 100_000;

/// The hub's native engine, fed every sample, ranking on demand. Samples are applied to it in one
/// micro-batch per ranking, not per frame: an update costs the engine a pass over every container
/// (its clock and its ageing), so at 30,000 containers and a few hundred frames a second the hub
/// spent most of its time there (BENCHMARKS.md, "Fleet on NATS").
#[derive(Debug)]
pub struct Ranker {
    engine: RateEngine,
    pending: Vec<Sample>,
}

impl Default for Ranker {
    fn default() -> Self {
        Ranker {
            pending: Vec::new(),
            // Enough points for a score at Docker's one sample a second (the rank's 30 s, and
            // some); stopped containers leave after the engine's TTL.
            engine: RateEngine::new(EngineConfig {
                history_points: RANKER_POINTS,
                ..EngineConfig::default()
            }),
        }
    }
}

impl Ranker {
    /// Applies one micro-batch of samples (a tick's, over every host); whether a container it did
    /// not know came with them (the hub then ranks at once, so that pages showing it get it live
    /// rather than caught up a second later).
    pub fn update(&mut self, samples: &[Sample]) -> bool {
        if samples.is_empty() {
            return false;
        }
        let new = samples.iter().any(|s| self.engine.get(&s.key).is_none());
        self.pending.extend_from_slice(samples);
        if self.pending.len() >= MAX_PENDING {
            self.apply();
        }
        new
    }

    /// Applies the samples held, as one micro-batch.
    fn apply(&mut self) {
        if !self.pending.is_empty() {
            self.engine.update(&self.pending, None);
            self.pending.clear();
        }
    }

    /// Containers the engine knows.
    pub fn len(&self) -> usize {
        self.engine.len()
    }

    pub fn is_empty(&self) -> bool {
        self.engine.is_empty()
    }

    /// Ranks every container by every metric; `host_names` are the hosts the bridge follows.
    pub fn rank(&mut self, host_names: BTreeMap<String, String>) -> Ranking {
        self.apply();
        let cpu = METRICS
            .iter()
            .position(|m| m.metric == Metric::Cpu)
            .unwrap_or(0);
        // The ranking's end: the newest sample the hub has (sample time, as the page's window).
        let end_ms = self
            .engine
            .containers()
            .filter_map(|(_, c)| c.points().back().map(|p| p.t_ms()))
            .fold(f64::NEG_INFINITY, f64::max);
        let from = end_ms - rank::RANK_WINDOW_MS;
        let mut containers: Vec<Ranked> = self
            .engine
            .containers()
            .map(|(key, c)| {
                let running = c.status() != Status::Stopped;
                Ranked {
                    key: Arc::from(key.as_str()),
                    name: c.name().to_string(),
                    running,
                    scores: METRICS
                        .iter()
                        .map(|m| {
                            let recent = c
                                .points()
                                .iter()
                                .rev()
                                .take_while(|p| p.t_ms() > from)
                                .filter(|p| p.flag != Flag::Stopped)
                                .filter_map(|p| Some((p.t_ms(), (m.read)(p)?)));
                            if running {
                                rank::score(recent, end_ms)
                            } else {
                                None
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        containers.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        let mut hosts: BTreeMap<&str, FleetHost> = host_names
            .keys()
            .map(|h| {
                (
                    h.as_str(),
                    FleetHost {
                        host: h.clone(),
                        ..FleetHost::default()
                    },
                )
            })
            .collect();
        for c in &containers {
            let host = Sample::split_key(&c.key).1;
            let Some(h) = hosts.get_mut(host) else {
                continue;
            };
            h.containers += 1;
            if c.running {
                h.running += 1;
                let Some(rank) = c.scores[cpu] else {
                    continue;
                };
                if h.busiest.as_ref().is_none_or(|b| rank > b.cpu) {
                    h.busiest = Some(Busiest {
                        key: c.key.to_string(),
                        name: c.name.clone(),
                        cpu: (rank * 100.0).round() / 100.0,
                    });
                }
            }
        }
        let fleet = Fleet {
            hosts: hosts.into_values().collect(),
        };
        Ranking {
            containers,
            host_names,
            fleet,
        }
    }
}

/// What one page shows (see the module docs).
#[derive(Clone, Debug)]
pub struct View {
    pub subscribe: Subscribe,
    /// `--max-per-page`.
    pub cap: usize,
}

/// A view applied to a ranking: the keys shown, and what to tell the page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selected {
    pub shown: HashSet<Arc<str>>,
    pub said: Subscribed,
}

impl View {
    /// The containers this view shows of `ranking`, for a page that had none.
    pub fn select(&self, ranking: &Ranking) -> Selected {
        self.select_from(ranking, &HashSet::new())
    }

    /// The containers this view shows of `ranking`, for a page that was sent `before`: with a top
    /// N, one it has stays while it ranks within the first 2N and its score is at least
    /// [`STAY_WITHIN`] of the N-th's (so containers near the edge do not leave and come back,
    /// with their history each time, as close scores trade places; the page still draws its own
    /// top N of what it has, by the same rule).
    pub fn select_from(&self, ranking: &Ranking, before: &HashSet<Arc<str>>) -> Selected {
        let s = &self.subscribe;
        let metric = METRICS
            .iter()
            .position(|m| m.metric == s.metric)
            .unwrap_or(0);
        let matching: Vec<(&Arc<str>, Option<f64>)> = ranking
            .containers
            .iter()
            .filter(|c| {
                let host = Sample::split_key(&c.key).1;
                (s.hosts.is_empty() || s.hosts.iter().any(|h| h == host))
                    && select::matches(
                        &s.filter,
                        &c.key,
                        &c.name,
                        ranking.host_names.get(host).map_or("", String::as_str),
                    )
            })
            .map(|c| (&c.key, c.scores[metric]))
            .collect();
        let n = matching.len();
        let wanted = s.top.map_or(usize::MAX, |t| t as usize);
        let limit = wanted.min(self.cap);
        let mut shown: HashSet<Arc<str>> = if n > limit {
            // The busiest by the top-N rule (containers without a score are not among them).
            let keep = limit.saturating_mul(2).min(self.cap);
            let ranked = rank::top(&matching, keep);
            let mut shown: HashSet<Arc<str>> =
                ranked.iter().take(limit).map(|k| (*k).clone()).collect();
            // One the page has stays while its score is close to the N-th's (see above).
            let candidates: HashSet<&Arc<str>> = ranked.iter().copied().collect();
            let scores: std::collections::HashMap<&Arc<str>, f64> = matching
                .iter()
                .filter(|(k, _)| candidates.contains(k))
                .filter_map(|(k, s)| Some((*k, (*s)?)))
                .collect();
            let score = |key: &Arc<str>| scores.get(key).copied();
            if let Some(edge) = ranked.get(limit - 1).and_then(|k| score(k)) {
                shown.extend(
                    ranked
                        .iter()
                        .skip(limit)
                        .filter(|k| before.contains(**k))
                        .filter(|k| score(k).is_some_and(|s| s >= edge * STAY_WITHIN))
                        .map(|k| (*k).clone()),
                );
            }
            shown
        } else {
            matching.into_iter().map(|(k, _)| k.clone()).collect()
        };
        shown.extend(s.pinned.iter().map(|k| Arc::from(k.as_str())));
        Selected {
            said: Subscribed {
                shown: shown.len() as u64,
                matching: n as u64,
                total: ranking.containers.len() as u64,
                hosts: ranking.hosts() as u64,
                cap: self.cap as u64,
                capped: wanted > self.cap && n > self.cap,
            },
            shown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use statscope_core::Timestamp;

    /// A sample of container `c` on `host` at second `t`, busy `busy_per_mille` ‰ of one core.
    fn sample(host: &str, c: usize, name: &str, t: i64, busy_per_mille: u64) -> Sample {
        let ns = 1_000_000_000u64;
        Sample {
            key: Sample::key_of(&format!("{c:064x}"), "", host),
            name: name.into(),
            read: Timestamp::from_unix_ns(i128::from(1_795_496_400 + t) * 1_000_000_000),
            cpu_total: t as u64 * busy_per_mille * ns / 1000,
            cpu_system: t as u64 * 2 * ns,
            cpus: 2,
            ..Sample::default()
        }
    }

    /// Three hosts; on each, container i burns i × 10 % of a core.
    fn ranking() -> Ranking {
        let mut r = Ranker::default();
        for t in 1..=12 {
            let batch: Vec<Sample> = ["a", "b", "c"]
                .iter()
                .enumerate()
                .flat_map(|(h, host)| {
                    (0..5).map(move |i| {
                        let c = h * 10 + i;
                        sample(host, c, &format!("web-{i}"), t, (c as u64 + 1) * 10)
                    })
                })
                .collect();
            r.update(&batch);
        }
        let names = [("a", "alpha"), ("b", "beta"), ("c", "gamma")]
            .iter()
            .map(|(k, n)| (k.to_string(), n.to_string()))
            .collect();
        r.rank(names)
    }

    fn view(subscribe: Subscribe, cap: usize) -> View {
        View { subscribe, cap }
    }

    fn names(ranking: &Ranking, shown: &HashSet<Arc<str>>) -> Vec<String> {
        let mut names: Vec<String> = ranking
            .containers
            .iter()
            .filter(|c| shown.contains(&c.key))
            .map(|c| format!("{}@{}", c.name, Sample::split_key(&c.key).1))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_top_n_is_ranked_over_every_host() {
        let r = ranking();
        assert_eq!(r.containers.len(), 15);
        let top = view(
            Subscribe {
                top: Some(3),
                ..Subscribe::default()
            },
            500,
        )
        .select(&r);
        // The busiest: host c's web-4 (250 ‰), web-3, web-2.
        assert_eq!(names(&r, &top.shown), ["web-2@c", "web-3@c", "web-4@c"]);
        assert_eq!(
            top.said,
            Subscribed {
                shown: 3,
                matching: 15,
                total: 15,
                hosts: 3,
                cap: 500,
                capped: false
            }
        );
    }

    #[test]
    fn hosts_filter_and_pins_narrow_and_widen() {
        let r = ranking();
        let pinned = Sample::key_of(&format!("{:064x}", 0), "", "a");
        let sel = view(
            Subscribe {
                hosts: vec!["a".into(), "b".into()],
                filter: "WEB-1".into(),
                pinned: vec![pinned.clone()],
                ..Subscribe::default()
            },
            500,
        )
        .select(&r);
        assert_eq!(names(&r, &sel.shown), ["web-0@a", "web-1@a", "web-1@b"]);
        assert_eq!(sel.said.matching, 2);
        // The host's name for people matches too.
        let by_name = view(
            Subscribe {
                filter: "gamm".into(),
                ..Subscribe::default()
            },
            500,
        )
        .select(&r);
        assert_eq!(by_name.shown.len(), 5);
    }

    #[test]
    fn a_container_near_the_edge_of_the_top_n_stays_while_it_is_close() {
        let r = ranking();
        let top = |before: &HashSet<Arc<str>>| {
            view(
                Subscribe {
                    top: Some(4),
                    ..Subscribe::default()
                },
                500,
            )
            .select_from(&r, before)
        };
        let key = |name: &str, host: &str| {
            r.containers
                .iter()
                .find(|c| c.name == name && c.key.ends_with(&format!("@{host}")))
                .map(|c| c.key.clone())
                .expect("a container")
        };
        // The top 4: host c's web-4 … web-1 (25 … 22 %). web-0@c (21 %, 5th) was shown and is
        // within 80 % of the 4th: it stays; web-4@b (15 %, 6th) is not: it goes.
        let before: HashSet<Arc<str>> = [key("web-0", "c"), key("web-4", "b")].into();
        assert_eq!(
            names(&r, &top(&before).shown),
            ["web-0@c", "web-1@c", "web-2@c", "web-3@c", "web-4@c"]
        );
        assert_eq!(
            names(&r, &top(&HashSet::new()).shown),
            ["web-1@c", "web-2@c", "web-3@c", "web-4@c"]
        );
    }

    #[test]
    fn past_the_cap_a_page_gets_the_busiest_and_is_told() {
        let r = ranking();
        let all = view(Subscribe::default(), 4).select(&r);
        assert_eq!(all.shown.len(), 4);
        assert!(all.said.capped, "{:?}", all.said);
        assert_eq!(
            names(&r, &all.shown),
            ["web-1@c", "web-2@c", "web-3@c", "web-4@c"]
        );
        // A top within the cap is not capped.
        let top = view(
            Subscribe {
                top: Some(2),
                ..Subscribe::default()
            },
            4,
        )
        .select(&r);
        assert!(!top.said.capped);
        assert_eq!(top.shown.len(), 2);
    }

    #[test]
    fn the_fleet_says_each_hosts_containers_and_busiest() {
        let r = ranking();
        let hosts: Vec<(&str, u64, &str)> = r
            .fleet
            .hosts
            .iter()
            .map(|h| {
                (
                    h.host.as_str(),
                    h.containers,
                    h.busiest.as_ref().map_or("", |b| b.name.as_str()),
                )
            })
            .collect();
        assert_eq!(
            hosts,
            [("a", 5, "web-4"), ("b", 5, "web-4"), ("c", 5, "web-4")]
        );
        let c = &r.fleet.hosts[2];
        assert_eq!(c.running, 5);
        // 250 ‰ of a core on the docker CLI's scale (100 % = one core).
        assert!((c.busiest.as_ref().map_or(0.0, |b| b.cpu) - 25.0).abs() < 0.01);
    }
}
