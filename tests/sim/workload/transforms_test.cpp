#include <catch2/catch.hpp>

#include "sim/core/errors.hpp"
#include "sim/workload/transforms.hpp"
#include "sim/workload/workload_options.hpp"
#include "test_support.hpp"

using namespace dynosim::sim::workload;
using dynosim::sim::core::InputError;
using dynosim::sim::core::kNsPerSec;
using dynosim::sim::core::Rng;

namespace {
// One request per second at t = 0, 1, ..., n - 1 s, input_tokens = t + 1 to tell them apart.
Workload ticks(int n) {
    Workload w;
    for (int i = n - 1; i >= 0; --i) {  // reversed: transforms must not rely on input order
        Request r;
        r.arrival_ns = i * kNsPerSec;
        r.input_tokens = i + 1;
        r.output_tokens = 1;
        w.requests.push_back(r);
    }
    return w;
}
}  // namespace

TEST_CASE("finalize sorts by arrival, keeps ties in order and renumbers ids", "[workload]") {
    Workload w;
    for (const auto& [t, in] : std::vector<std::pair<std::int64_t, int>>{{5, 1}, {2, 2}, {5, 3}, {0, 4}}) {
        Request r;
        r.arrival_ns = t;
        r.input_tokens = in;
        r.id = 99;
        w.requests.push_back(r);
    }
    finalize(w);
    std::vector<int> order;
    for (const Request& r : w.requests) order.push_back(r.input_tokens);
    CHECK(order == std::vector<int>{4, 2, 1, 3});
    for (std::size_t i = 0; i < w.requests.size(); ++i) CHECK(w.requests[i].id == i);
}

TEST_CASE("time window keeps arrivals from its start up to before its end and re-bases times to the window start", "[workload]") {
    Workload w = ticks(100);
    Rng rng(1);
    apply_transforms(w, {.window_start_s = 10, .window_end_s = 20}, rng);
    REQUIRE(w.requests.size() == 10);
    CHECK(w.requests.front().arrival_ns == 0);
    CHECK(w.requests.front().input_tokens == 11);
    CHECK(w.requests.back().arrival_ns == 9 * kNsPerSec);
    CHECK(w.requests.back().id == 9);
}

TEST_CASE("rate scaling divides arrival times by the factor", "[workload]") {
    Workload w = ticks(10);
    Rng rng(1);
    apply_transforms(w, {.rate_scale = 4}, rng);
    REQUIRE(w.requests.size() == 10);
    CHECK(w.requests[3].arrival_ns == 750'000'000);
    CHECK(w.requests[9].arrival_ns == 2'250'000'000);
}

TEST_CASE("transforms apply in order: window, scaling, sampling, limit", "[workload]") {
    Workload w = ticks(1000);
    Rng rng(1);
    apply_transforms(w,
                     {.window_start_s = 100,
                      .window_end_s = 900,
                      .rate_scale = 2,
                      .sample_fraction = 0.5,
                      .max_requests = 100},
                     rng);
    REQUIRE(w.requests.size() == 100);
    // Window first (originals 100..899), then / 2, then about half survive: the 100 earliest span ~100 s.
    CHECK(w.requests.front().input_tokens >= 101);
    for (const Request& r : w.requests) CHECK(r.arrival_ns == (r.input_tokens - 101) * kNsPerSec / 2);
    CHECK(w.requests.back().arrival_ns > 60 * kNsPerSec);
    CHECK(w.requests.back().arrival_ns < 150 * kNsPerSec);
}

TEST_CASE("sampling keeps about the asked fraction, reproducibly, and whole sessions", "[workload]") {
    Workload base = ticks(10000);
    for (std::size_t i = 0; i < base.requests.size(); ++i)
        base.requests[i].session_id = static_cast<std::int64_t>(i % 2000);
    Workload a = base, b = base, c = base;
    Rng ra(5), rb(5), rc(6);
    apply_transforms(a, {.sample_fraction = 0.3}, ra);
    apply_transforms(b, {.sample_fraction = 0.3}, rb);
    apply_transforms(c, {.sample_fraction = 0.3}, rc);
    CHECK(static_cast<double>(a.requests.size()) == Approx(3000).epsilon(0.12));  // 2000 sessions of 5
    CHECK(a.requests.size() % 5 == 0);  // sessions kept or dropped whole
    CHECK(a.requests.size() == b.requests.size());
    bool differs = a.requests.size() != c.requests.size();
    for (std::size_t i = 0; !differs && i < a.requests.size(); ++i)
        differs = a.requests[i].arrival_ns != c.requests[i].arrival_ns;
    CHECK(differs);
}

TEST_CASE("transform options are validated", "[workload]") {
    TransformOptions o{
        .window_start_s = 5, .window_end_s = 2, .rate_scale = 0, .sample_fraction = 1.5, .max_requests = 0};
    const auto errs = o.validate();
    REQUIRE(errs.size() == 4);
    CHECK(errs[0] == "workload.transform.window_end_s = 2: must be > window_start_s (5), or < 0 for no end");
    CHECK(errs[1] == "workload.transform.rate_scale = 0: must be > 0 (2 = twice as fast)");
    Workload w = ticks(3);
    Rng rng(1);
    CHECK_THROWS_AS(apply_transforms(w, o, rng), InputError);
    CHECK(TransformOptions{}.is_identity());
}

TEST_CASE("build_workload loads, generates and transforms by kind", "[workload]") {
    WorkloadOptions o;
    o.kind = "generator";
    o.gen.arrival.rate = 10;
    o.gen.duration_s = 100;
    o.transform.max_requests = 50;
    const Workload g = build_workload(o, 3);
    CHECK(g.requests.size() == 50);
    CHECK(g.requests.back().id == 49);

    o.kind = "trace";
    o.path = (dynosim::test::data_dir() / "traces" / "vidur_processed" / "splitwise_code.csv").string();
    o.transform = {.window_start_s = 180, .window_end_s = 240};  // the code trace is idle in [40, 180) s
    const Workload t = build_workload(o, 3);
    CHECK(!t.requests.empty());
    CHECK(t.requests.back().arrival_ns < 60 * kNsPerSec);

    WorkloadOptions bad;
    bad.kind = "replay";
    CHECK(bad.validate() ==
          std::vector<std::string>{"workload.kind = \"replay\": must be one of trace, generator, servegen"});
    bad.kind = "trace";
    CHECK(bad.validate() ==
          std::vector<std::string>{"workload.path = \"\": a trace workload needs a trace file"});
    bad.kind = "generator";
    bad.gen.arrival.rate = 0;
    CHECK(bad.validate() == std::vector<std::string>{"workload.generator.arrival.rate = 0: must be > 0 req/s"});
    CHECK_THROWS_AS(build_workload(bad, 1), InputError);
}
