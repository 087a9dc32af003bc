// The [kvbm] section's runtime side (scenario_kvbm_keys.cpp): its rules, the tiers built for one worker,
// and the per-tier figures collected into the summary after a run.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "sim/kv/kvbm.hpp"
#include "sim/metrics/summary.hpp"
#include "sim/scenario/scenario.hpp"

namespace dynosim::sim::scenario {

// "key = value: rule" for every broken [kvbm] rule (and the hardware sizes it is checked against).
std::vector<std::string> validate_kvbm(const ScenarioOptions& o);
// The tiers of one worker whose KV block (all its GPUs) takes `block_bytes`; null when KVBM is off.
// Throws core::InputError naming the key when a tier's size exceeds the machine or holds no block.
std::unique_ptr<kv::Kvbm> make_kvbm(const ScenarioOptions& o, double block_bytes);
// Adds the tiers of every worker's engine (those with KVBM) to `s.kvbm_tiers`.
void summarize_kvbm(const std::vector<const kv::Kvbm*>& workers, const kv::KvbmOptions& opts,
                    metrics::Summary& s);

}  // namespace dynosim::sim::scenario
