#!/usr/bin/env python3
"""gen-edge-cases.py - write the hand-made edge-case stats fixtures.

    scripts/gen-edge-cases.py [FIXTURE_DIR]      (default: tests/fixtures)

writes FIXTURE_DIR/edge-cases.ndjson (Linux daemon) and
FIXTURE_DIR/edge-cases-windows.ndjson (Windows daemon). Each line is one
compact stats object (Go encoding style: no spaces, 20.10 key order, zero
scalars omitted, blkio lists [] on v1 / null on v2 and Windows). The
container name says which case it is. The goldens come from
scripts/docker-cli-golden.py (the real docker CLI). Expected CLI results
worked out by hand are in the comments; the golden files are the truth.
"""

import json
import os
import sys

U64 = 2**64 - 1
ZERO_T = "0001-01-01T00:00:00Z"
MiB = 1 << 20
HOST_RAM = 25276063744  # what the daemon reports as the limit of an unlimited container


def cid(n):
    # deterministic 64-hex ids: "e0" + case number, padded
    return (f"e{n:03d}" + "0123456789abcdef" * 4)[:64]


def throttling(p=0, t=0, tt=0):
    return {"periods": p, "throttled_periods": t, "throttled_time": tt}


def cpu_v1(total, percpu, system, online=2, kernel=None, user=None):
    d = {"cpu_usage": {"total_usage": total}}
    if percpu:
        d["cpu_usage"]["percpu_usage"] = percpu
    d["cpu_usage"]["usage_in_kernelmode"] = kernel if kernel is not None else (total // 4 // 10_000_000) * 10_000_000
    d["cpu_usage"]["usage_in_usermode"] = user if user is not None else (total * 3 // 4 // 10_000_000) * 10_000_000
    if system:
        d["system_cpu_usage"] = system
    if online:
        d["online_cpus"] = online
    d["throttling_data"] = throttling()
    return d


def cpu_zero():
    return {"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
            "throttling_data": throttling()}


def mem_v1(usage, total_inactive_file, inactive_file=None, limit=HOST_RAM, cache=None):
    if inactive_file is None:
        inactive_file = total_inactive_file
    cache = cache if cache is not None else total_inactive_file + 4096
    rss = max(usage - cache, 0)
    local = {"active_anon": 0, "active_file": 4096, "cache": cache, "dirty": 0,
             "hierarchical_memory_limit": 9223372036854771712,
             "hierarchical_memsw_limit": 9223372036854771712,
             "inactive_anon": rss, "inactive_file": inactive_file, "mapped_file": 0,
             "pgfault": 1200, "pgmajfault": 0, "pgpgin": 900, "pgpgout": 700,
             "rss": rss, "rss_huge": 0, "unevictable": 0, "writeback": 0}
    stats = {}
    for k in sorted(set(local) | {"total_" + k for k in local if not k.startswith("hierarchical")}):
        if k.startswith("total_"):
            v = local[k[6:]]
            if k == "total_inactive_file":
                v = total_inactive_file
            stats[k] = v
        else:
            stats[k] = local[k]
    d = {}
    if usage:
        d["usage"] = usage
        d["max_usage"] = min(usage + 2 * MiB, U64)
    d["stats"] = stats
    if limit:
        d["limit"] = limit
    return d


def mem_v2(usage, inactive_file, limit=HOST_RAM):
    stats = {"active_anon": 0, "active_file": 8192, "anon": usage - inactive_file - 12288,
             "anon_thp": 0, "file": inactive_file + 8192, "file_dirty": 0, "file_mapped": 0,
             "file_writeback": 0, "inactive_anon": usage - inactive_file - 12288,
             "inactive_file": inactive_file, "kernel_stack": 16384, "pgactivate": 0,
             "pgdeactivate": 0, "pgfault": 3300, "pglazyfree": 0, "pglazyfreed": 0,
             "pgmajfault": 0, "pgrefill": 0, "pgscan": 0, "pgsteal": 0, "shmem": 0,
             "slab": 120000, "slab_reclaimable": 50000, "slab_unreclaimable": 70000,
             "sock": 0, "thp_collapse_alloc": 0, "thp_fault_alloc": 0, "unevictable": 0,
             "workingset_activate": 0, "workingset_nodereclaim": 0, "workingset_refault": 0}
    return {"usage": usage, "stats": dict(sorted(stats.items())), "limit": limit}


def blk_v1(entries):
    """entries: list of (major, minor, op, value) for io_service_bytes_recursive."""
    lst = [{"major": a, "minor": b, "op": op, "value": v} for a, b, op, v in entries]
    d = {"io_service_bytes_recursive": lst}
    for k in ("io_serviced_recursive", "io_queue_recursive", "io_service_time_recursive",
              "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive",
              "sectors_recursive"):
        d[k] = []
    return d


def blk_v1_rw(read, write, dev=(8, 0)):
    a, b = dev
    both = min(read + write, U64)
    return blk_v1([(a, b, "Read", read), (a, b, "Write", write), (a, b, "Sync", both),
                   (a, b, "Async", 0), (a, b, "Discard", 0), (a, b, "Total", both)])


def blk_null(service_bytes=None):
    d = {"io_service_bytes_recursive": service_bytes}
    for k in ("io_serviced_recursive", "io_queue_recursive", "io_service_time_recursive",
              "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive",
              "sectors_recursive"):
        d[k] = None
    return d


def net(**ifs):
    out = {}
    for name, (rx, tx) in sorted(ifs.items()):
        out[name] = {"rx_bytes": rx, "rx_packets": max(rx // 500, 1 if rx else 0), "rx_errors": 0,
                     "rx_dropped": 0, "tx_bytes": tx, "tx_packets": max(tx // 500, 1 if tx else 0),
                     "tx_errors": 0, "tx_dropped": 0}
    return out


def sample(n, name, read, preread, cpu, precpu, mem, pids, blkio, networks=None,
           num_procs=0, storage=None, os_type=None, name_raw=None):
    """Assemble a sample. Without os_type: the Docker 20.10 key order. With
    os_type (only sent by API 1.52+ / Docker 29+; CLI 28 ignores it): the
    Docker 29 key order. name_raw: pre-encoded JSON text for the name."""
    d = {}
    if os_type:
        d["id"] = cid(n)
        if name is not None:
            d["name"] = name
        d.update({"os_type": os_type, "read": read, "cpu_stats": cpu, "memory_stats": mem})
        if networks:
            d["networks"] = networks
        d.update({"pids_stats": pids, "blkio_stats": blkio, "num_procs": num_procs,
                  "storage_stats": storage or {}, "preread": preread, "precpu_stats": precpu})
    else:
        d.update({"read": read, "preread": preread, "pids_stats": pids, "blkio_stats": blkio,
                  "num_procs": num_procs, "storage_stats": storage or {}, "cpu_stats": cpu,
                  "precpu_stats": precpu, "memory_stats": mem})
        if name is not None:
            d["name"] = name
        d["id"] = cid(n)
        if networks:
            d["networks"] = networks
    s = json.dumps(d, separators=(",", ":"), ensure_ascii=False)
    if name_raw is not None:
        s = s.replace(json.dumps(name, ensure_ascii=False), name_raw, 1)
    return s


T0 = "2026-11-24T10:00:00.5Z"
T1 = "2026-11-24T10:00:01.505123456Z"
SYS0 = 1_000_000_000_000
SYS1 = SYS0 + 2_000_000_000  # 1 s on 2 CPUs


def linux_cases():
    L = []
    v1pcpu = lambda t: [t // 2, t - t // 2]

    # 1 cgroup v2: no percpu, inactive_file, blkio lowercase read/write + null
    # lists, pids limit 2^64-1. CPU 25% (5e8 of 2e9 * 2).
    L.append(sample(1, "/edge-v2-basic", T1, T0,
                    {"cpu_usage": {"total_usage": 3_500_000_000, "usage_in_kernelmode": 1_000_000_000,
                                   "usage_in_usermode": 2_500_000_000},
                     "system_cpu_usage": SYS1, "online_cpus": 2,
                     "throttling_data": throttling()},
                    {"cpu_usage": {"total_usage": 3_250_000_000, "usage_in_kernelmode": 900_000_000,
                                   "usage_in_usermode": 2_350_000_000},
                     "system_cpu_usage": SYS0, "online_cpus": 2,
                     "throttling_data": throttling()},
                    mem_v2(52_428_800, 10_485_760),
                    {"current": 5, "limit": U64},
                    blk_null([{"major": 254, "minor": 0, "op": "read", "value": 4_096_000},
                              {"major": 254, "minor": 0, "op": "write", "value": 1_048_576},
                              {"major": 254, "minor": 16, "op": "read", "value": 512},
                              {"major": 254, "minor": 16, "op": "write", "value": 0}]),
                    net(eth0=(123_456, 7_890))))

    # 2 cgroup v1, online_cpus 2 < len(percpu) 4: 30.00% (not 60%).
    L.append(sample(2, "/edge-v1-online-lt-percpu", T1, T0,
                    cpu_v1(1_300_000_000, [700_000_000, 600_000_000, 0, 0], SYS1),
                    cpu_v1(1_000_000_000, [550_000_000, 450_000_000, 0, 0], SYS0),
                    mem_v1(8 * MiB, 2 * MiB), {"current": 3}, blk_v1_rw(0, 0),
                    net(eth0=(1000, 500))))

    # 3 cgroup v2 without online_cpus and without percpu: 0.00% despite deltas.
    L.append(sample(3, "/edge-v2-no-online-cpus", T1, T0,
                    {"cpu_usage": {"total_usage": 2_000_000_000, "usage_in_kernelmode": 0,
                                   "usage_in_usermode": 2_000_000_000},
                     "system_cpu_usage": SYS1, "throttling_data": throttling()},
                    {"cpu_usage": {"total_usage": 1_000_000_000, "usage_in_kernelmode": 0,
                                   "usage_in_usermode": 1_000_000_000},
                     "system_cpu_usage": SYS0, "throttling_data": throttling()},
                    mem_v2(4 * MiB, 0), {"current": 1, "limit": U64}, blk_null(),
                    net(eth0=(0, 0))))

    # 4 cpuDelta < 0 (fast restart inside an open stream): 0.00%.
    L.append(sample(4, "/edge-v1-cpu-delta-negative", T1, T0,
                    cpu_v1(24_219_018, v1pcpu(24_219_018), SYS1),
                    cpu_v1(1_787_587_582, v1pcpu(1_787_587_582), SYS0),
                    mem_v1(634_880, 0), {"current": 1}, blk_v1([]), net(eth0=(90, 0))))

    # 5 v1 total_inactive_file >= usage: falls through to local inactive_file:
    #   usage 10 MiB, total_inactive_file 12 MiB, inactive_file 3 MiB -> 7MiB
    L.append(sample(5, "/edge-v1-inactive-fallthrough", T1, T0,
                    cpu_v1(2_000_000_000, v1pcpu(2_000_000_000), SYS1),
                    cpu_v1(2_000_000_000, v1pcpu(2_000_000_000), SYS0),
                    mem_v1(10 * MiB, 12 * MiB, inactive_file=3 * MiB), {"current": 2},
                    blk_v1_rw(0, 0), net(eth0=(0, 0))))

    # 6 v1 both total_inactive_file and inactive_file >= usage: the full usage (10MiB)
    L.append(sample(6, "/edge-v1-inactive-both-ge-usage", T1, T0,
                    cpu_v1(2_000_000_000, v1pcpu(2_000_000_000), SYS1),
                    cpu_v1(2_000_000_000, v1pcpu(2_000_000_000), SYS0),
                    mem_v1(10 * MiB, 12 * MiB, inactive_file=10 * MiB), {"current": 2},
                    blk_v1_rw(0, 0), net(eth0=(0, 0))))

    # 7 memory limit 0 (absent): MEM % 0.00%, "X / 0B"
    L.append(sample(7, "/edge-v1-limit-zero", T1, T0,
                    cpu_v1(1_100_000_000, v1pcpu(1_100_000_000), SYS1),
                    cpu_v1(1_000_000_000, v1pcpu(1_000_000_000), SYS0),
                    mem_v1(20 * MiB, 5 * MiB, limit=0), {"current": 4}, blk_v1_rw(0, 0),
                    net(eth0=(10, 20))))

    # 8 two interfaces: rx 1.5 MB + 0.25 MB, tx 0.5 MB + 0.02 MB
    L.append(sample(8, "/edge-v1-two-networks", T1, T0,
                    cpu_v1(1_100_000_000, v1pcpu(1_100_000_000), SYS1),
                    cpu_v1(1_000_000_000, v1pcpu(1_000_000_000), SYS0),
                    mem_v1(20 * MiB, 5 * MiB, limit=512 * MiB), {"current": 4},
                    blk_v1_rw(0, 0), net(eth0=(1_500_000, 500_000), eth1=(250_000, 20_000))))

    # 9 %.3g rounding to "1e+03kB": rx 999500 B (999.5 kB), tx 999499 B (999 kB);
    #   block read 999.5 MB -> "1e+03MB", write 1000 B -> "1kB"
    L.append(sample(9, "/edge-v1-netio-1e3kB", T1, T0,
                    cpu_v1(1_100_000_000, v1pcpu(1_100_000_000), SYS1),
                    cpu_v1(1_000_000_000, v1pcpu(1_000_000_000), SYS0),
                    mem_v1(1023 * 1024 + 1000, 0, limit=1 << 30), {"current": 4},
                    blk_v1_rw(999_500_000, 1000), net(eth0=(999_500, 999_499))))

    # 10 counters near 2^64 (parse as u64, convert to float64 before subtracting)
    L.append(sample(10, "/edge-huge-counters", T1, T0,
                    cpu_v1(18_446_744_073_709_551_615, [9_223_372_036_854_775_807, 9_223_372_036_854_775_808],
                           18_446_744_073_700_000_000, kernel=U64 - 5, user=U64 - 7),
                    cpu_v1(18_446_744_072_709_551_615, [9_223_372_036_354_775_807, 9_223_372_036_354_775_808],
                           18_446_744_071_700_000_000, kernel=U64 - 9, user=U64 - 11),
                    mem_v1(U64 - 1, 0, limit=U64), {"current": U64, "limit": U64},
                    blk_v1_rw(U64, U64 - 1), net(eth0=(U64, U64 - 1))))

    # 11 empty sample of a stopped container (as in the real recording)
    L.append(sample(11, "/edge-empty-stopped", ZERO_T, ZERO_T, cpu_zero(), cpu_zero(), {}, {},
                    blk_null()))

    # 12 name with HTML-special characters, sent raw (like Docker 29, SetEscapeHTML(false))
    L.append(sample(12, "/web<b>&co", T1, T0,
                    cpu_v1(1_100_000_000, v1pcpu(1_100_000_000), SYS1),
                    cpu_v1(1_000_000_000, v1pcpu(1_000_000_000), SYS0),
                    mem_v1(3 * MiB, 0), {"current": 1}, blk_v1_rw(0, 0), net(eth0=(1, 2))))

    # 13 the same name \u-escaped as Go's default encoder (Docker <= 28) sends it
    L.append(sample(13, "/web<b>&co", T1, T0,
                    cpu_v1(1_100_000_000, v1pcpu(1_100_000_000), SYS1),
                    cpu_v1(1_000_000_000, v1pcpu(1_000_000_000), SYS0),
                    mem_v1(3 * MiB, 0), {"current": 1}, blk_v1_rw(0, 0), net(eth0=(1, 2)),
                    name_raw='"/web\\u003cb\\u003e\\u0026co"'))

    # 14 first sample of a stream (precpu zero, preread zero): lifetime ratio
    #    5e9 / 1e12 * 2 * 100 = 1.00%
    L.append(sample(14, "/edge-v1-first-sample", T1, ZERO_T,
                    cpu_v1(5_000_000_000, v1pcpu(5_000_000_000), SYS0), cpu_zero(),
                    mem_v1(6 * MiB, MiB), {"current": 2}, blk_v1_rw(4096, 0),
                    net(eth0=(656, 0))))

    # 15 > 100%: 1.5186 cores on a 2-CPU host -> 151.86%
    L.append(sample(15, "/edge-v1-over-100", T1, T0,
                    cpu_v1(11_518_600_000, [5_759_300_000, 5_759_300_000], SYS1),
                    cpu_v1(10_000_000_000, [5_000_000_000, 5_000_000_000], SYS0),
                    mem_v1(823 * MiB + 819 * 1024, 0, limit=2 << 30), {"current": 40},
                    blk_v1_rw(1_330_000_000, 469_000_000), net(eth0=(1_330_000_000, 469_000_000))))

    # 16 v1 without online_cpus (API < 1.27): falls back to len(percpu) = 4:
    #    2e8 / 4e9 * 4 * 100 = 20.00%
    L.append(sample(16, "/edge-v1-no-online-cpus", T1, T0,
                    cpu_v1(1_200_000_000, [300_000_000] * 4, SYS0 + 4_000_000_000, online=0),
                    cpu_v1(1_000_000_000, [250_000_000] * 4, SYS0, online=0),
                    mem_v1(2 * MiB, 0), {"current": 1}, blk_v1_rw(0, 0), net(eth0=(0, 0))))

    # 17 blkio oddities: dm double counting, op "" entry, Discard/Total ignored:
    #    read 1000+1000 = 2000 B, write 3000+3000 = 6000 B
    L.append(sample(17, "/edge-v1-blkio-mixed", T1, T0,
                    cpu_v1(1_000_000_000, v1pcpu(1_000_000_000), SYS1),
                    cpu_v1(1_000_000_000, v1pcpu(1_000_000_000), SYS0),
                    mem_v1(2 * MiB, 0), {"current": 1},
                    blk_v1([(8, 0, "Read", 1000), (8, 0, "Write", 3000), (8, 0, "Sync", 4000),
                            (8, 0, "Async", 0), (8, 0, "Discard", 77), (8, 0, "Total", 4000),
                            (253, 0, "Read", 1000), (253, 0, "Write", 3000), (253, 0, "", 555),
                            (253, 0, "Total", 4000)]),
                    net(eth0=(0, 0))))

    # 18 no memory stats map at all: the full usage; no networks key (--network none)
    L.append(sample(18, "/edge-no-stats-no-networks", T1, T0,
                    cpu_v1(1_000_000_000, v1pcpu(1_000_000_000), SYS1),
                    cpu_v1(1_000_000_000, v1pcpu(1_000_000_000), SYS0),
                    {"usage": 5 * MiB, "limit": HOST_RAM}, {"current": 1}, blk_v1_rw(0, 0)))

    # 19 systemDelta == 0 (same /proc/stat reading): 0.00%
    L.append(sample(19, "/edge-v1-system-delta-zero", T1, T0,
                    cpu_v1(1_500_000_000, v1pcpu(1_500_000_000), SYS0),
                    cpu_v1(1_000_000_000, v1pcpu(1_000_000_000), SYS0),
                    mem_v1(2 * MiB, 0), {"current": 1}, blk_v1_rw(0, 0), net(eth0=(0, 0))))

    # 20 no name at all (Name column prints "--")
    L.append(sample(20, None, T1, T0,
                    cpu_v1(1_000_000_000, v1pcpu(1_000_000_000), SYS1),
                    cpu_v1(1_000_000_000, v1pcpu(1_000_000_000), SYS0),
                    mem_v1(2 * MiB, 0), {"current": 1}, blk_v1_rw(0, 0), net(eth0=(0, 0))))

    # 21 a value that does not fit in uint64 (rx_bytes = 2^64): Go's decoder
    #    fails, so the CLI prints an invalid row ("--", ID ""). No daemon sends
    #    this; it shows what the CLI does with an undecodable object.
    L.append(sample(21, "/edge-u64-overflow-invalid", T1, T0,
                    cpu_v1(1_100_000_000, v1pcpu(1_100_000_000), SYS1),
                    cpu_v1(1_000_000_000, v1pcpu(1_000_000_000), SYS0),
                    mem_v1(2 * MiB, 0), {"current": 1}, blk_v1_rw(0, 0),
                    net(eth0=(2**64, 0))))
    return L


def windows_cases():
    W = []
    guid = "5a6e3f3c-1d2b-4b8e-9a51-8f1c0e7a2b94"

    def wnet(rx, tx):
        return {guid: {"rx_bytes": rx, "rx_packets": rx // 600, "rx_errors": 0, "rx_dropped": 0,
                       "tx_bytes": tx, "tx_packets": tx // 600, "tx_errors": 0, "tx_dropped": 0,
                       "endpoint_id": guid, "instance_id": ""}}

    def wcpu(total):
        return {"cpu_usage": {"total_usage": total, "usage_in_kernelmode": total // 3,
                              "usage_in_usermode": total - total // 3},
                "throttling_data": throttling()}

    def wmem(pws):
        return {"commitbytes": pws + 8 * MiB, "commitpeakbytes": pws + 20 * MiB,
                "privateworkingset": pws}

    storage = {"read_count_normalized": 1800, "read_size_bytes": 73_400_320,
               "write_count_normalized": 420, "write_size_bytes": 12_582_912}

    # 1 normal: 1.0030006 s * 4 procs = 40120024 intervals; used 4,000,000 -> 9.97%
    W.append(sample(1001, "/edge-win-normal",
                    "2026-11-24T02:15:01.1234567-08:00", "2026-11-24T02:15:00.1204561-08:00",
                    wcpu(123_456_789 + 4_000_000), wcpu(123_456_789), wmem(47_647_744), {},
                    blk_null(), wnet(1_234_567, 89_012), num_procs=4, storage=storage,
                    os_type="windows"))

    # 2 first sample: preread zero time, precpu zero -> Time.Sub saturates -> ~0.00%
    W.append(sample(1002, "/edge-win-first-sample",
                    "2026-11-24T02:15:00.1204561-08:00", ZERO_T,
                    wcpu(123_456_789), {"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0,
                                                      "usage_in_usermode": 0},
                                        "throttling_data": throttling()},
                    wmem(47_000_000), {}, blk_null(), wnet(1_200_000, 88_000), num_procs=4,
                    storage=storage, os_type="windows"))

    # 3 total_usage < precpu total (restart in an open stream): uint64 wrap quirk
    W.append(sample(1003, "/edge-win-cpu-wrap",
                    "2026-11-24T02:15:02.1264573-08:00", "2026-11-24T02:15:01.1234567-08:00",
                    wcpu(5_000_000), wcpu(127_456_789), wmem(20 * MiB), {}, blk_null(),
                    wnet(4_000, 2_000), num_procs=4, storage=storage, os_type="windows"))

    # 4 read == preread: possIntervals 0 -> 0.00%
    W.append(sample(1004, "/edge-win-same-read",
                    "2026-11-24T02:15:02.1264573-08:00", "2026-11-24T02:15:02.1264573-08:00",
                    wcpu(130_000_000), wcpu(127_456_789), wmem(20 * MiB), {}, blk_null(),
                    wnet(4_000, 2_000), num_procs=4, storage=storage, os_type="windows"))

    # 5 stopped/empty Windows sample
    W.append(sample(1005, "/edge-win-empty", ZERO_T, ZERO_T, cpu_zero(), cpu_zero(), {}, {},
                    blk_null(), os_type="windows"))
    return W


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "tests", "fixtures")
    for fname, lines in (("edge-cases.ndjson", linux_cases()),
                         ("edge-cases-windows.ndjson", windows_cases())):
        path = os.path.join(outdir, fname)
        with open(path, "w", encoding="utf-8") as f:
            for l in lines:
                json.loads(l)  # sanity
                f.write(l + "\n")
        print(f"wrote {os.path.normpath(path)} ({len(lines)} lines)", file=sys.stderr)


if __name__ == "__main__":
    main()
