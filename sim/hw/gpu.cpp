// GPU catalog: the datasheet figures the roofline and the memory plan need, one entry per GPU model.
//
// Conventions, so that entries are comparable:
// - FLOP/s are dense (no 2:4 sparsity) tensor-core peaks; the datasheets list the sparse figure first.
// - hbm_bytes is the total that CUDA reports (torch.cuda.mem_get_info / PyTorch OOM messages "GPU 0 has a
//   total capacity of X GiB"), not the marketing figure: vLLM multiplies gpu_memory_utilization by this
//   total, so using the datasheet number would overstate the KV cache by ~1 GiB per 80 GB.
// - Bandwidths are one direction per GPU (NVLink "900 GB/s" on the datasheet is both directions).
// Figures marked "aiconfigurator" are from shared/data/gpu/aiconfigurator/systems/<gpu>.yaml, which in
// turn cites the NVIDIA datasheets.
#include "sim/hw/gpu.hpp"

#include <array>
#include <cctype>
#include <string>

#include "sim/core/errors.hpp"

namespace dynosim::sim::hw {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kTera = 1e12;
constexpr double kGB = 1e9;

// SMs: the datasheets / CUDA deviceQuery (H100 SXM 132, H100 PCIe 114, H200 132, A100 108, B200 148, L40S
// 142).
const std::array<GpuSpec, 6> kCatalog = {{
    // NVIDIA H100 SXM5 80GB. FLOP/s, HBM3 3.35 TB/s, NVLink 900 GB/s bidirectional, PCIe Gen5 x16:
    // NVIDIA H100 datasheet (nvidia.com/en-us/data-center/h100) via aiconfigurator h100_sxm.yaml
    // (989 TFLOPS bf16, 1978 fp8, mem_bw 3.35e12, intra_node_bw 450e9, pcie_bw 64e9).
    // Memory: 79.2 GiB reported by CUDA (PyTorch OOM messages on H100 80GB HBM3 show 79.18-79.33 GiB).
    {"H100-SXM", 989 * kTera, 1978 * kTera, 79.2 * kGiB, 3350 * kGB, 450 * kGB, 64 * kGB, 132},
    // NVIDIA H100 PCIe 80GB: 756.5 TFLOPS bf16 / 1513 fp8 dense, 2.0 TB/s HBM2e, no NVLink (the optional
    // bridge is ignored: TP traffic goes over PCIe Gen5 64 GB/s). aiconfigurator h100_pcie.yaml.
    // Memory: same 80 GB part as the SXM, 79.2 GiB visible to CUDA (assumed equal to the SXM).
    {"H100-PCIe", 756.5 * kTera, 1513 * kTera, 79.2 * kGiB, 2000 * kGB, 0, 64 * kGB, 114},
    // NVIDIA H200 SXM 141GB: same Hopper die as H100 SXM (989 / 1978 TFLOPS), HBM3e 4.8 TB/s, NVLink
    // 900 GB/s bidirectional. NVIDIA H200 datasheet via aiconfigurator h200_sxm.yaml.
    // Memory: 139.8 GiB reported by CUDA (PyTorch OOM messages on H200 show 139.80 GiB).
    {"H200", 989 * kTera, 1978 * kTera, 139.8 * kGiB, 4800 * kGB, 450 * kGB, 64 * kGB, 132},
    // NVIDIA A100 SXM4 80GB: 312 TFLOPS bf16 dense, no FP8 tensor cores, HBM2e 2.039 TB/s, NVLink3
    // 600 GB/s bidirectional, PCIe Gen4 32 GB/s. NVIDIA A100 datasheet via aiconfigurator a100_sxm.yaml.
    // Memory: 79.15 GiB reported by CUDA on A100 80GB (PyTorch OOM messages).
    {"A100-80GB", 312 * kTera, 0, 79.15 * kGiB, 2039 * kGB, 300 * kGB, 32 * kGB, 108},
    // NVIDIA B200 (HGX B200, 180 GB HBM3e): 2.25 PFLOPS bf16 / 4.5 PFLOPS fp8 dense, 7.7 TB/s, NVLink5
    // 1.8 TB/s bidirectional, PCIe Gen6 128 GB/s. Blackwell datasheet via aiconfigurator b200_sxm.yaml.
    // Memory: 178.35 GiB reported by CUDA on B200 (PyTorch OOM messages).
    {"B200", 2250 * kTera, 4500 * kTera, 178.35 * kGiB, 7700 * kGB, 900 * kGB, 128 * kGB, 148},
    // NVIDIA L40S 48GB GDDR6: 362.05 TFLOPS bf16 / 733 TFLOPS fp8 dense, 864 GB/s, no NVLink, PCIe Gen4
    // 32 GB/s. NVIDIA L40S datasheet via aiconfigurator l40s.yaml.
    // Memory: 44.4 GiB reported by CUDA on 48 GB Ada cards (PyTorch OOM messages show 44.3-44.5 GiB).
    {"L40S", 362.05 * kTera, 733 * kTera, 44.4 * kGiB, 864 * kGB, 0, 32 * kGB, 142},
}};

// Lower-case with '-', '_', ' ' and '.' removed, so "H100_SXM", "h100-sxm" and "H100 SXM" compare equal.
std::string normalize(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == '-' || c == '_' || c == ' ' || c == '.') continue;
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

struct Alias {
    std::string_view alias;  // normalized
    std::string_view canonical;
};

// Names people actually type for these parts (vendor SKU names, cloud instance shorthand).
constexpr std::array<Alias, 16> kAliases = {{
    {"h100", "H100-SXM"},     {"h100sxm5", "H100-SXM"},  {"h10080gb", "H100-SXM"},
    {"h100sxm80gb", "H100-SXM"}, {"h100pcie80gb", "H100-PCIe"}, {"h200sxm", "H200"},
    {"h200141gb", "H200"},    {"a100", "A100-80GB"},     {"a100sxm", "A100-80GB"},
    {"a100sxm80gb", "A100-80GB"}, {"a100sxm480gb", "A100-80GB"}, {"b200sxm", "B200"},
    {"b200180gb", "B200"},    {"l40s48gb", "L40S"},      {"hgxb200", "B200"},
    {"dgxh100", "H100-SXM"},
}};

}  // namespace

std::span<const GpuSpec> gpu_catalog() { return kCatalog; }

const GpuSpec& find_gpu(std::string_view name) {
    const std::string key = normalize(name);
    std::string_view canonical;
    for (const auto& a : kAliases)
        if (a.alias == key) canonical = a.canonical;
    for (const auto& g : kCatalog)
        if (normalize(g.name) == key || g.name == canonical) return g;
    std::string known;
    for (const auto& g : kCatalog) {
        if (!known.empty()) known += ", ";
        known += g.name;
    }
    throw core::InputError("unknown GPU '" + std::string(name) + "'; known GPUs: " + known);
}

}  // namespace dynosim::sim::hw
