//! Data for the native benches: realistic Docker stats objects in the cgroup v2 shape a Docker 29
//! daemon streams (the same keys, order and units as `bridge/src/demo.rs` and the browser
//! benchmark's generator, `bench/lib/gen.mjs`), ~1.8 KB each, from a seeded PRNG.

/// 2025-01-01T00:00:00Z in seconds.
const START_S: i64 = 1_735_689_600;
const HOST_CPUS: u64 = 16;

/// xorshift64*: small, seeded, deterministic.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn jitter(&mut self) -> f64 {
        self.next_f64() * 2.0 - 1.0
    }
}

#[derive(Debug, Clone)]
struct Sim {
    id: String,
    name: String,
    base: f64,
    offset_ms: i64,
    cpu_ns: u64,
    rx: u64,
    tx: u64,
    age: u64,
    prev: Option<(String, String)>,
}

/// A fleet of simulated containers on one 16-CPU host, one object per container per second.
#[derive(Debug, Clone)]
pub struct Fleet {
    rng: Rng,
    sims: Vec<Sim>,
    tick: i64,
    system_ns: u64,
}

impl Fleet {
    pub fn new(containers: usize, seed: u64) -> Fleet {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let sims = (0..containers)
            .map(|i| {
                let mut id = String::with_capacity(64);
                while id.len() < 64 {
                    id.push_str(&format!(
                        "{:016x}",
                        (rng.next_f64() * (1u64 << 53) as f64) as u64
                    ));
                }
                id.truncate(64);
                Sim {
                    id,
                    name: format!("/svc-{i:04}"),
                    base: 0.05 + rng.next_f64() * 1.5,
                    offset_ms: (i as i64 * 700) / containers as i64,
                    cpu_ns: (rng.next_f64() * 1e6) as u64 * 1_000_000,
                    rx: (rng.next_f64() * 1e9) as u64,
                    tx: (rng.next_f64() * 1e9) as u64,
                    age: (rng.next_f64() * 3600.0) as u64,
                    prev: None,
                }
            })
            .collect();
        Fleet {
            rng,
            sims,
            tick: 0,
            system_ns: 3 * 86_400 * HOST_CPUS * 1_000_000_000,
        }
    }

    /// The next second: one object's JSON text per container.
    pub fn tick(&mut self) -> Vec<String> {
        let k = self.tick;
        self.tick += 1;
        self.system_ns += HOST_CPUS * 1_000_000_000;
        let system_ns = self.system_ns;
        let rng = &mut self.rng;
        self.sims
            .iter_mut()
            .map(|c| {
                c.age += 1;
                let cores = (c.base + 0.05 * rng.jitter()).max(0.0);
                c.cpu_ns += (cores * 1e6) as u64 * 1000;
                c.rx += (50_000.0 * (1.0 + 0.2 * rng.jitter())) as u64;
                c.tx += (120_000.0 * (1.0 + 0.2 * rng.jitter())) as u64;
                let ns = (rng.next_f64() * 3e6) as i64;
                let read = rfc3339(START_S + k, c.offset_ms * 1_000_000 + ns);
                object(c, read, system_ns)
            })
            .collect()
    }
}

fn rfc3339(unix_s: i64, nanos: i64) -> String {
    statscope_core::Timestamp::from_unix_ns(i128::from(unix_s) * 1_000_000_000 + i128::from(nanos))
        .to_rfc3339()
}

fn cpu_stats(total: u64, system: u64) -> String {
    let user = total / 10 * 7 / 1000 * 1000;
    format!(
        r#"{{"cpu_usage":{{"total_usage":{total},"usage_in_kernelmode":{},"usage_in_usermode":{user}}},"system_cpu_usage":{system},"online_cpus":{HOST_CPUS},"throttling_data":{{"periods":0,"throttled_periods":0,"throttled_time":0}}}}"#,
        total - user
    )
}

fn object(c: &mut Sim, read: String, system_ns: u64) -> String {
    const ZERO_CPU: &str = r#"{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}}"#;
    let cpu = cpu_stats(c.cpu_ns, system_ns);
    let (preread, precpu) = c
        .prev
        .clone()
        .unwrap_or_else(|| ("0001-01-01T00:00:00Z".into(), ZERO_CPU.into()));
    let usage = (120u64 << 20) + (c.age % 60) * 262_144;
    let file = (120u64 << 20) / 3;
    let text = format!(
        concat!(
            r#"{{"id":"{id}","name":"{name}","os_type":"linux","read":"{read}","cpu_stats":{cpu},"#,
            r#""memory_stats":{{"usage":{usage},"stats":{{"active_anon":0,"active_file":{half},"anon":{anon},"anon_thp":0,"file":{file},"file_dirty":0,"file_mapped":{mapped},"file_writeback":0,"inactive_anon":{anon},"inactive_file":{half},"kernel_stack":16384,"pgactivate":0,"pgdeactivate":0,"pgfault":{pgfault},"pglazyfree":0,"pglazyfreed":0,"pgmajfault":0,"pgrefill":0,"pgscan":0,"pgsteal":0,"shmem":0,"slab":65536,"slab_reclaimable":32768,"slab_unreclaimable":32768,"sock":0,"thp_collapse_alloc":0,"thp_fault_alloc":0,"unevictable":0,"workingset_activate":0,"workingset_nodereclaim":0,"workingset_refault":0}},"limit":536870912}},"#,
            r#""networks":{{"eth0":{{"rx_bytes":{rx},"rx_packets":{rxp},"rx_errors":0,"rx_dropped":0,"tx_bytes":{tx},"tx_packets":{txp},"tx_errors":0,"tx_dropped":0}}}},"#,
            r#""pids_stats":{{"current":9,"limit":18446744073709551615}},"#,
            r#""blkio_stats":{{"io_service_bytes_recursive":null,"io_serviced_recursive":null,"io_queue_recursive":null,"io_service_time_recursive":null,"io_wait_time_recursive":null,"io_merged_recursive":null,"io_time_recursive":null,"sectors_recursive":null}},"#,
            r#""num_procs":0,"storage_stats":{{}},"preread":"{preread}","precpu_stats":{precpu}}}"#
        ),
        id = c.id,
        name = c.name,
        read = read,
        cpu = cpu,
        usage = usage,
        half = file / 2,
        anon = usage - file,
        file = file,
        mapped = file / 8,
        pgfault = c.age * 120,
        rx = c.rx,
        rxp = c.rx / 900,
        tx = c.tx,
        txp = c.tx / 1200,
        preread = preread,
        precpu = precpu,
    );
    c.prev = Some((read, cpu));
    text
}
