// Options of Dynamo's KV block manager (KVBM) tiers below the engine's GPU pool (G1): G2 host pinned
// memory, G3 local disk, G4 remote storage. A tier with capacity 0 is absent; all absent (the default)
// leaves the engine exactly as it is without KVBM. docs/kvbm.md explains the model.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dynosim::sim::kv {

struct KvbmTierOptions {
    // Size of the tier per worker, GB (1e9 bytes); blocks = capacity / the worker's KV bytes per block.
    // 0 = tier absent. Range >= 0 and at most what the machine has (hardware.host_memory_gb_per_gpu,
    // hardware.disk_gb_per_gpu, times hardware.tp). Dynamo: DYN_KVBM_CPU_CACHE_GB / DYN_KVBM_DISK_CACHE_GB.
    double capacity_gb = 0;
    // Size in blocks instead of GB (DYN_KVBM_*_CACHE_OVERRIDE_NUM_BLOCKS); 0 = from capacity_gb. Range >= 0.
    std::int64_t num_blocks = 0;
    // Bandwidth of the tier's link to the tier above, GB/s per worker, each direction (PCIe for host, NVMe
    // for disk, the NIC for remote). Transfers on one direction of a link queue behind each other. > 0.
    double bandwidth_gbps = 0;
    // Fixed latency added to every transfer on the link (setup, DMA/IO submission), microseconds. >= 0.
    double latency_us = 0;
    // Which block the tier drops when full: lru, lfu or slru (kv/cache_policy.hpp).
    std::string policy = "lru";
};

struct KvbmOptions {
    // Host (G2): PCIe Gen5 x16 is 64 GB/s per direction on paper; ~50 GB/s is what pinned copies reach.
    KvbmTierOptions host{0, 0, 50, 10, "lru"};
    // Disk (G3): one PCIe Gen4 NVMe drive reads ~7 GB/s; writes are slower, ~5 GB/s is used for both.
    KvbmTierOptions disk{0, 0, 5, 100, "lru"};
    // Remote (G4): a 200 Gb/s NIC (25 GB/s) through an object/file store; ~10 GB/s effective.
    KvbmTierOptions remote{0, 0, 10, 1000, "lru"};
    // When a block is copied down: "register" (Dynamo's OffloadManager: every full block the engine
    // computes is offloaded to the next tier at once, and each tier cascades what it stores to the next)
    // or "evict" (a block is copied down only when the tier above drops it: exclusive victim tiers).
    std::string offload_trigger = "register";
    // Period of the tier-occupancy samples (kvbm_occupancy.csv), seconds of simulated time. > 0.
    double sample_interval_s = 1.0;

    bool enabled() const {
        for (const KvbmTierOptions* t : {&host, &disk, &remote})
            if (t->capacity_gb > 0 || t->num_blocks > 0) return true;
        return false;
    }
};

// Tier names in order, as used in keys and outputs.
inline constexpr const char* kKvbmTierNames[3] = {"host", "disk", "remote"};

}  // namespace dynosim::sim::kv
