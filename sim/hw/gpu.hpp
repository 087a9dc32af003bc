// GPU catalog: the datasheet figures the roofline needs. Values are dense (no sparsity) tensor-core
// throughput and HBM/NVLink/PCIe bandwidth from the vendors' datasheets (cited per entry in gpu.cpp).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace dynosim::sim::hw {

struct GpuSpec {
    std::string name;              // canonical name used in configs, e.g. "H100-SXM"
    double bf16_flops = 0;         // dense BF16 tensor FLOP/s
    double fp8_flops = 0;          // dense FP8 tensor FLOP/s (0 when the GPU has no FP8)
    double hbm_bytes = 0;          // device memory, bytes
    double hbm_bw = 0;             // device memory bandwidth, bytes/s
    double nvlink_bw = 0;          // per-GPU NVLink bandwidth, one direction, bytes/s (0: none)
    double pcie_bw = 0;            // host link bandwidth, one direction, bytes/s
    int sms = 0;                   // streaming multiprocessors (0: unknown)
};

// All built-in GPUs (H100-SXM, H200, A100-80GB, B200, L40S at least).
std::span<const GpuSpec> gpu_catalog();
// Looks a GPU up by name, case-insensitively, accepting common aliases ("h100", "H100_SXM", "a100").
// Throws core::InputError listing the known names when not found.
const GpuSpec& find_gpu(std::string_view name);

}  // namespace dynosim::sim::hw
