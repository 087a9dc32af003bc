// GPU catalog: the required parts are present with datasheet-consistent figures, and lookups accept the
// names people type.
#include <catch2/catch.hpp>
#include <string>

#include "sim/core/errors.hpp"
#include "sim/hw/gpu.hpp"

using dynosim::sim::core::InputError;
using dynosim::sim::hw::find_gpu;
using dynosim::sim::hw::gpu_catalog;

TEST_CASE("gpu catalog holds the required GPUs with positive figures", "[hw][gpu]") {
    for (const char* name : {"H100-SXM", "H100-PCIe", "H200", "A100-80GB", "B200", "L40S"}) {
        const auto& g = find_gpu(name);
        INFO(name);
        CHECK(g.name == name);
        CHECK(g.bf16_flops > 1e14);
        CHECK(g.hbm_bytes > 40e9);
        CHECK(g.hbm_bw > 5e11);
        CHECK(g.pcie_bw > 0);
    }
    CHECK(gpu_catalog().size() >= 5);
    // Hopper: fp8 dense is twice bf16 dense; A100 has no fp8 tensor cores.
    CHECK(find_gpu("H100-SXM").fp8_flops == Approx(2 * find_gpu("H100-SXM").bf16_flops).epsilon(0.01));
    CHECK(find_gpu("A100-80GB").fp8_flops == 0);
    // H200 is the H100 die with more and faster memory.
    CHECK(find_gpu("H200").bf16_flops == find_gpu("H100-SXM").bf16_flops);
    CHECK(find_gpu("H200").hbm_bytes > find_gpu("H100-SXM").hbm_bytes);
    CHECK(find_gpu("H200").hbm_bw > find_gpu("H100-SXM").hbm_bw);
    CHECK(find_gpu("L40S").nvlink_bw == 0);
}

TEST_CASE("find_gpu accepts aliases, case- and separator-insensitively", "[hw][gpu]") {
    CHECK(find_gpu("h100").name == "H100-SXM");
    CHECK(find_gpu("H100_SXM").name == "H100-SXM");
    CHECK(find_gpu("h100-sxm").name == "H100-SXM");
    CHECK(find_gpu("h100-pcie").name == "H100-PCIe");
    CHECK(find_gpu("a100").name == "A100-80GB");
    CHECK(find_gpu("A100_80GB").name == "A100-80GB");
    CHECK(find_gpu("h200").name == "H200");
    CHECK(find_gpu("b200").name == "B200");
    CHECK(find_gpu("l40s").name == "L40S");
}

TEST_CASE("find_gpu error lists the known GPUs", "[hw][gpu]") {
    try {
        find_gpu("tpu-v5");
        FAIL("expected InputError");
    } catch (const InputError& e) {
        const std::string msg = e.what();
        CHECK(msg.find("tpu-v5") != std::string::npos);
        for (const auto& g : gpu_catalog()) CHECK(msg.find(g.name) != std::string::npos);
    }
}
