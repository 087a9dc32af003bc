// Table interpolation rules: the monotone cubic (exact on grid points, monotone and bounded between them),
// the held-out estimate of a grid cell from every axis that brackets it, and the collectives' envelope.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/timing/calibration.hpp"
#include "sim/timing/log_grid.hpp"
#include "sim/timing/op_tables.hpp"
#include "test_support.hpp"

using namespace dynosim::sim::timing;

TEST_CASE("monotone cubic interpolation is exact on grid points and monotone between", "[timing][table]") {
    // A curve that rises steeply, flattens, dips once and rises again: a cubic through it must not overshoot.
    const std::vector<double> x{1, 2, 4, 8, 16, 64, 256, 1024};
    const std::vector<double> v{1.0, 1.1, 4.0, 4.1, 3.9, 20.0, 21.0, 400.0};
    const LogCurve c(LogAxis(x, 1.0), v, Interp::kMonotoneCubic);
    const LogCurve lin(LogAxis(x, 1.0), v, Interp::kLinear);
    bool outside = false;
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(c.eval(x[i], &outside) == Approx(v[i]).epsilon(1e-12));
    bool differs = false;
    for (std::size_t i = 0; i + 1 < x.size(); ++i) {
        const double lo = std::min(v[i], v[i + 1]), hi = std::max(v[i], v[i + 1]);
        double prev = v[i];
        for (int s = 1; s < 16; ++s) {
            const double xm = x[i] * std::pow(x[i + 1] / x[i], s / 16.0);
            const double y = c.eval(xm, &outside);
            CHECK(y >= lo * (1 - 1e-12));
            CHECK(y <= hi * (1 + 1e-12));
            if (v[i + 1] >= v[i])
                CHECK(y >= prev * (1 - 1e-12));
            else
                CHECK(y <= prev * (1 + 1e-12));
            prev = y;
            differs = differs || std::abs(y / lin.eval(xm, &outside) - 1) > 1e-3;
        }
    }
    CHECK(differs);  // the rule is not the linear one in disguise
    CHECK_FALSE(outside);
    // Two axes: exact on every cell, each grid line the 1-D cubic, monotone along a between rows.
    const std::vector<double> a{1, 2, 4, 8}, b{16, 64, 256, 1024, 4096};
    std::vector<double> g;
    for (const double ai : a)
        for (const double bj : b) g.push_back(0.01 + 1e-6 * ai * bj * (1 + std::log(bj)));
    const LogGrid2 grid(LogAxis(a, 1.0), LogAxis(b, 2.0), g, Interp::kMonotoneCubic);
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = 0; j < b.size(); ++j)
            CHECK(grid.eval(a[i], b[j], &outside) == Approx(g[i * b.size() + j]).epsilon(1e-12));
    std::vector<double> col;
    for (std::size_t i = 0; i < a.size(); ++i) col.push_back(g[i * b.size() + 2]);
    const LogCurve along_a(LogAxis(a, 1.0), col, Interp::kMonotoneCubic);
    double prev = 0;
    for (double ai = 1; ai <= 8; ai *= 1.1) {
        const double y = grid.eval(ai, 256, &outside);
        CHECK(y == Approx(along_a.eval(ai, &outside)).epsilon(1e-12));
        CHECK(y >= prev);
        prev = y;
    }
    CHECK_FALSE(outside);
}

TEST_CASE("a missing grid cell is estimated from every axis that brackets it", "[timing][table]") {
    // GEMM-like grid over (m, n, k) = latency ~ m n k with a kernel switch: every cell at m = 13 is 1.5x
    // slower. Held out, the cell (13, 64, 64) is seen as a step by its n and k neighbours, not by m.
    const std::vector<double> m{8, 12, 13, 14, 16}, n{32, 64, 128}, k{32, 64, 128};
    std::vector<double> v;
    for (const double mi : m)
        for (const double ni : n)
            for (const double ki : k) v.push_back(std::log(1e-6 * mi * ni * ki * (mi == 13 ? 1.5 : 1.0)));
    std::vector<double> lm, ln, lk;
    for (const double x : m) lm.push_back(std::log(x));
    for (const double x : n) ln.push_back(std::log(x));
    for (const double x : k) lk.push_back(std::log(x));
    const std::span<const double> axes[3] = {lm, ln, lk};
    const std::size_t idx = (2 * n.size() + 1) * k.size() + 1;
    const double truth = v[idx];
    const double est = estimate_cell_log(axes, v, idx, Interp::kLinear);
    CHECK(std::exp(est - truth) == Approx(1).epsilon(1e-9));
    // Along m alone the step is invisible (about 1/1.5 of the truth).
    const double along_m =
        held_out_log(lm, v.data() + (idx - 2 * n.size() * k.size()), n.size() * k.size(), 2, Interp::kLinear);
    CHECK(std::exp(along_m - truth) < 0.7);
    // The held-out value takes no part in its own estimate.
    v[idx] += 5;
    CHECK(estimate_cell_log(axes, v, idx, Interp::kLinear) == Approx(est).epsilon(1e-12));
    // A cell no axis brackets (a corner) has no estimate.
    CHECK(std::isnan(estimate_cell_log(axes, v, 0, Interp::kLinear)));
    // The GEMM table fills an unmeasured cell the same way.
    const auto dir = dynosim::test::temp_dir("timing-missing-cell");
    const auto file = dir / "gemm_perf.csv";
    std::string csv = "framework,version,device,op_name,kernel_source,gemm_dtype,m,n,k,latency\n";
    for (const double mi : m)
        for (const double ni : n)
            for (const double ki : k)
                if (!(mi == 13 && ni == 64 && ki == 64))
                    csv += fmt::format("VLLM,0,H100,gemm,linear,bfloat16,{},{},{},{}\n", mi, ni, ki,
                                       1e-6 * mi * ni * ki * (mi == 13 ? 1.5 : 1.0));
    dynosim::test::write_file(file, csv);
    const auto table = read_gemm_table(file);
    const GemmGrid* grid = table->find("bfloat16");
    REQUIRE(grid != nullptr);
    bool outside = false;
    CHECK(grid->curve_over_m(64, 64, &outside).eval(13, &outside) ==
          Approx(1e-6 * 13 * 64 * 64 * 1.5).epsilon(1e-9));
    CHECK_FALSE(outside);
}

TEST_CASE("a missing GEMM cell trusts the axis that is smooth around it", "[timing][table]") {
    // Latency ~ m n k with two noisy measurements next to the cell (32, 256, 256): its lower neighbour along
    // n is 1.4x slow, its upper neighbour along k 1.3x. Both of those axes then overestimate it and outvote
    // m in a plain median; weighted by smoothness, m (clean around the cell) decides.
    const std::vector<double> m{8, 16, 32, 64, 128}, n{64, 128, 256, 512, 1024}, k{64, 128, 256, 512, 1024};
    auto latency = [](double mi, double ni, double ki) {
        double v = 1e-7 * mi * ni * ki;
        if (mi == 32 && ni == 128 && ki == 256) v *= 1.4;
        if (mi == 32 && ni == 256 && ki == 512) v *= 1.3;
        return v;
    };
    std::vector<double> v, lm, ln, lk;
    for (const double mi : m)
        for (const double ni : n)
            for (const double ki : k) v.push_back(std::log(latency(mi, ni, ki)));
    for (const double x : m) lm.push_back(std::log(x));
    for (const double x : n) ln.push_back(std::log(x));
    for (const double x : k) lk.push_back(std::log(x));
    const std::span<const double> axes[3] = {lm, ln, lk};
    const std::size_t idx = (2 * n.size() + 2) * k.size() + 2;
    const double truth = std::log(latency(32, 256, 256));
    CHECK(std::exp(estimate_cell_log(axes, v, idx, Interp::kLinear, Combine::kSmoothnessWeightedMedian) -
                   truth) == Approx(1).epsilon(1e-6));
    CHECK(std::exp(estimate_cell_log(axes, v, idx, Interp::kLinear, Combine::kMedian) - truth) > 1.1);
    // The roughness of each axis is read without the cell: changing it changes nothing.
    const double before = held_out_roughness(ln, v.data() + (idx - 2 * k.size()), k.size(), 2);
    CHECK(before > 0.1);
    v[idx] += 3;
    CHECK(held_out_roughness(ln, v.data() + (idx - 2 * k.size()), k.size(), 2) == before);
    CHECK(held_out_roughness(lm, v.data() + (idx - 2 * n.size() * k.size()), n.size() * k.size(), 2) < 1e-9);
    // The GEMM table fills the unmeasured cell by the same rule.
    const auto dir = dynosim::test::temp_dir("timing-smooth-axis");
    const auto file = dir / "gemm_perf.csv";
    std::string csv = "framework,version,device,op_name,kernel_source,gemm_dtype,m,n,k,latency\n";
    for (const double mi : m)
        for (const double ni : n)
            for (const double ki : k)
                if (!(mi == 32 && ni == 256 && ki == 256))
                    csv += fmt::format("VLLM,0,H100,gemm,linear,bfloat16,{},{},{},{}\n", mi, ni, ki,
                                       latency(mi, ni, ki));
    dynosim::test::write_file(file, csv);
    const auto table = read_gemm_table(file);
    const GemmGrid* grid = table->find("bfloat16");
    REQUIRE(grid != nullptr);
    bool outside = false;
    CHECK(grid->curve_over_m(256, 256, &outside).eval(32, &outside) ==
          Approx(latency(32, 256, 256)).epsilon(1e-6));
    CHECK_FALSE(outside);
}

TEST_CASE("a collective curve takes a spike above a larger message as noise", "[timing][table]") {
    const auto dir = dynosim::test::temp_dir("timing-comm-spike");
    const auto file = dir / "nccl_perf.csv";
    dynosim::test::write_file(
        file,
        "framework,version,device,op_name,kernel_source,nccl_dtype,num_gpus,message_size,latency\n"
        "T,2,H100,alltoall,NCCL,half,8,1024,0.0074\n"
        "T,2,H100,alltoall,NCCL,half,8,2048,0.0166\n"
        "T,2,H100,alltoall,NCCL,half,8,4096,0.0075\n"
        "T,2,H100,alltoall,NCCL,half,8,8192,0.0090\n"
        "T,2,H100,alltoall,NCCL,half,8,16384,0.0130\n");
    const auto t = read_comm_table(file);
    const CommCurve* c = t->find("alltoall", 8, "NCCL");
    REQUIRE(c != nullptr);
    bool outside = false;
    // 2048 elements cannot take longer than 4096 (it could be sent padded): priced at the 4096 value.
    CHECK(c->curve.eval(2048, &outside) == Approx(0.0075).epsilon(1e-12));
    CHECK(c->ms[1] == Approx(0.0166).epsilon(1e-12));  // the measurement itself is kept
    for (const double x : {1024.0, 4096.0, 8192.0, 16384.0})
        CHECK(c->curve.eval(x, &outside) ==
              Approx(c->ms[static_cast<std::size_t>(std::log2(x / 1024))]).epsilon(1e-12));
    CHECK_FALSE(outside);
}
