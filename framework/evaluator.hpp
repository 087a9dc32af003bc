// Runs trials: each trial is the base scenario plus the trial's overrides, simulated `replicates` times
// (sim.seed, sim.seed + 1, ...) on each of `traces` (when given) with the metrics averaged. Trials run on a pool of threads
// (run_scenario is re-entrant: it shares only immutable tables and mutex-guarded caches), either in the
// thread itself (isolation "none") or in a child forked per trial (isolation "process"), whose metrics come
// back through a pipe, so a trial that crashes or hangs (trial_timeout_s) fails alone.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "framework/metrics.hpp"

namespace dynosim::framework {

struct EvalRequest {
    std::uint64_t id = 0;
    std::vector<std::string> overrides;  // "key=value", TOML value syntax
};

struct EvalResult {
    std::uint64_t id = 0;
    bool ok = false;
    MetricMap metrics;
    std::string error;
    double wall_s = 0;
    std::int64_t seed = 0;
};

struct EvaluatorOptions {
    std::string scenario_text, scenario_source;
    std::filesystem::path base_dir = ".";
    std::vector<std::string> base_overrides;
    std::size_t threads = 1;          // >= 1
    bool process_isolation = false;
    double trial_timeout_s = 0;       // process isolation only; 0 = none
    std::int64_t replicates = 1;
    // Replicate over these traces too (workload.kind = "trace", workload.path = each); empty = the
    // scenario's own workload. Metrics are the mean over traces x replicates.
    std::vector<std::string> traces;
    double cost_per_gpu_hour = 2.0;
    // Called in the thread (or child process) right before a trial simulates; tests use it to crash one.
    std::function<void(const EvalRequest&)> before_trial;
    // When set, thread `slot` (0 .. threads-1) hands each trial to this function instead of simulating it
    // here: distributed evaluation (MPI ranks, distributed/mpi_study.hpp). Must not throw.
    std::function<EvalResult(const EvalRequest&, std::size_t slot)> remote;
};

// One trial, in the calling thread. Never throws: errors come back in EvalResult.
EvalResult evaluate_trial(const EvaluatorOptions& o, const EvalRequest& r);
// A result as text ("ok <seed>" and "name value" lines, exact doubles; or "error" and the message) and
// back (false when malformed): the process-isolation pipe and the MPI messages.
std::string encode_result(const EvalResult& r);
bool decode_result(const std::string& s, EvalResult& r);
// One trial in a forked child; the parent waits (with the timeout) and decodes the pipe.
EvalResult evaluate_trial_forked(const EvaluatorOptions& o, const EvalRequest& r);
// Held by a thread from creating a child's pipe until it has closed the child's end in this process, so
// that no other thread forks in between: a child holding another trial's write end would keep that
// trial's reader from seeing EOF until it exits (a hung trial would hold every trial forked beside it).
// Every fork of a helper process in a multi-threaded dynosim takes it (the optimizer plugin server too).
std::mutex& fork_mutex();

class Evaluator {
public:
    explicit Evaluator(EvaluatorOptions o);
    ~Evaluator();
    Evaluator(const Evaluator&) = delete;
    Evaluator& operator=(const Evaluator&) = delete;
    void submit(EvalRequest r);
    // Blocks until some submitted trial finishes; results come in completion order.
    EvalResult wait();
    std::size_t in_flight() const;

private:
    void work(std::size_t slot);
    EvaluatorOptions options_;
    mutable std::mutex mu_;
    std::condition_variable work_cv_, done_cv_;
    std::deque<EvalRequest> queue_;
    std::deque<EvalResult> done_;
    std::size_t in_flight_ = 0;
    bool stop_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace dynosim::framework
