// One study in one SQLite file (WAL journal): the study file and base scenario as run (so `study resume`
// needs nothing else), and one row per trial: point, parameters, status, metrics, objective and constraint
// values, seed, wall time, error. A trial row is written when the trial starts (status "running") and
// rewritten when it ends, each in its own transaction, so a killed study loses no finished trial and
// resume knows which ones were in flight. Optimizer state is not stored: it is rebuilt on resume by
// replaying the stored trials through the optimizer (same seed, same asks), which keeps every optimizer's
// state exact without a serializer per optimizer.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "framework/metrics.hpp"

struct sqlite3;

namespace dynosim::framework {

struct TrialRecord {
    std::uint64_t id = 0;
    std::vector<double> point;                     // encoded (optimizers::Point)
    std::map<std::string, std::string> params;     // active dimensions: key -> value as written in TOML
    std::string status = "running";                // running, feasible, infeasible, failed
    MetricMap metrics;                             // empty unless simulated
    std::vector<double> objectives;                // metric values in their own units, one per objective
    std::vector<double> constraints;               // signed: <= 0 satisfied (outcome, then a-priori)
    std::int64_t seed = 0;                         // sim.seed of the (first) replicate
    double wall_s = 0;                             // wall time of the trial
    std::string error;                             // why it failed or which constraint ruled it out

    bool finished() const { return status != "running"; }
};

struct StoredStudy {
    std::string name, source, text, scenario_text, optimizer;
    std::uint64_t seed = 0;
};

class StudyStorage {
public:
    // Opens or creates the file (":memory:" for a throwaway study). Throws core::InputError naming the path.
    explicit StudyStorage(const std::filesystem::path& path);
    ~StudyStorage();
    StudyStorage(const StudyStorage&) = delete;
    StudyStorage& operator=(const StudyStorage&) = delete;

    std::optional<StoredStudy> study() const;
    void create_study(const StoredStudy& s);
    void put_trial(const TrialRecord& t);
    std::vector<TrialRecord> trials() const;
    const std::filesystem::path& path() const { return path_; }

private:
    void exec(const std::string& sql) const;
    sqlite3* db_ = nullptr;
    std::filesystem::path path_;
};

}  // namespace dynosim::framework
