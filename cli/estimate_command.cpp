// `dynosim estimate`: prices a static batch with the timing model: the prefill step of `batch` prompts of
// `isl` tokens (TTFT), then `osl - 1` decode steps of `batch` sequences whose context grows from isl + 1
// (TPOT is their mean), and the output throughput batch x osl / (TTFT + decode time).
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "sim/core/errors.hpp"
#include "sim/hw/gpu.hpp"
#include "sim/hw/model.hpp"
#include "sim/timing/roofline.hpp"
#include "sim/timing/table_model.hpp"

namespace dynosim::cli {
namespace {

namespace tm = dynosim::sim::timing;

struct EstimateArgs {
    std::string model = "Llama-3.1-8B";
    std::string gpu = "H100-SXM";
    std::string kind = "table";
    int batch = 1, isl = 1024, osl = 128;
    bool json = false;
    tm::TableTimingOptions timing;
};

void print_breakdown(const char* title, double total_ms, const std::vector<tm::OpCost>& ops) {
    fmt::print("\n{} ({:.3f} ms)\n", title, total_ms);
    fmt::print("  {:<26} {:>11} {:>7}  {}\n", "op (all layers)", "ms", "share", "source");
    for (const auto& op : ops)
        fmt::print("  {:<26} {:>11.4f} {:>6.1f}%  {}\n", op.op, op.ms, 100 * op.ms / total_ms, op.source);
}

nlohmann::json to_json(const std::vector<tm::OpCost>& ops) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& op : ops) j.push_back({{"op", op.op}, {"ms", op.ms}, {"source", op.source}});
    return j;
}

int run_estimate(const EstimateArgs& a) {
    if (a.batch < 1 || a.isl < 1 || a.osl < 1)
        throw sim::core::InputError("estimate: --batch, --isl and --osl must be >= 1");
    const auto model = sim::hw::resolve_model(a.model);
    const auto& gpu = sim::hw::find_gpu(a.gpu);
    std::vector<std::string> notes;
    auto timing = tm::make_timing_model(a.kind, model, gpu, a.timing, {}, &notes);
    auto* table = dynamic_cast<tm::TableTimingModel*>(timing.get());
    auto* roof = dynamic_cast<tm::RooflineModel*>(timing.get());
    auto seconds = [&](const tm::BatchShape& b) { return table ? table->step_seconds(b) : roof->step_seconds(b); };

    tm::BatchShape prefill;
    for (int i = 0; i < a.batch; ++i) prefill.prefills.push_back({a.isl, 0, true});
    const double ttft = seconds(prefill);
    tm::BatchShape decode;
    double decode_total = 0;
    for (int j = 1; j < a.osl; ++j) {
        decode.decode_context.assign(static_cast<std::size_t>(a.batch), a.isl + j);
        decode_total += seconds(decode);
    }
    const double tpot = a.osl > 1 ? decode_total / (a.osl - 1) : 0;
    decode.decode_context.assign(static_cast<std::size_t>(a.batch), a.isl + a.osl / 2);
    const double e2e = ttft + decode_total;
    const double throughput = a.batch * a.osl / e2e;
    const int gpus = a.timing.tp * a.timing.pp;
    if (a.json) {
        nlohmann::json j = {{"model", model.name}, {"gpu", gpu.name}, {"timing", a.kind}, {"backend", a.timing.backend},
                            {"tp", a.timing.tp}, {"pp", a.timing.pp}, {"ep", a.timing.ep}, {"attention_dp", a.timing.attention_dp}, {"batch", a.batch},
                            {"isl", a.isl}, {"osl", a.osl}, {"ttft_ms", ttft * 1e3}, {"tpot_ms", tpot * 1e3},
                            {"e2e_ms", e2e * 1e3}, {"output_tokens_per_s", throughput},
                            {"output_tokens_per_s_per_gpu", throughput / gpus}, {"notes", notes}};
        if (table) {
            j["prefill_breakdown"] = to_json(table->breakdown(prefill));
            j["decode_breakdown"] = to_json(table->breakdown(decode));
        }
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    fmt::print("{} on {} x{} (tp {} pp {} ep {}{}), {} timing, backend {}, weights {}, KV {}\n", model.name, gpu.name,
               gpus, a.timing.tp, a.timing.pp, a.timing.ep,
               a.timing.attention_dp > 1 ? fmt::format(" attention-dp {}", a.timing.attention_dp) : std::string(),
               a.kind, a.timing.backend, a.timing.weight_dtype,
               a.timing.kv_dtype);
    fmt::print("batch {} x isl {} -> osl {} (static batch: every prompt prefilled in one step, then decoded together)\n",
               a.batch, a.isl, a.osl);
    fmt::print("  TTFT        {:10.3f} ms\n", ttft * 1e3);
    fmt::print("  TPOT        {:10.3f} ms (mean over {} decode steps)\n", tpot * 1e3, a.osl - 1);
    fmt::print("  E2E         {:10.3f} ms\n", e2e * 1e3);
    fmt::print("  throughput  {:10.1f} output tok/s ({:.1f} per GPU)\n", throughput, throughput / gpus);
    if (table) {
        print_breakdown("prefill step", ttft * 1e3, table->breakdown(prefill));
        print_breakdown(fmt::format("decode step at context {}", a.isl + a.osl / 2).c_str(),
                        table->step_seconds(decode) * 1e3, table->breakdown(decode));
        notes = table->notes();
    }
    if (!notes.empty()) {
        fmt::print("\nnotes:\n");
        for (const auto& n : notes) fmt::print("  {}\n", n);
    }
    return 0;
}

}  // namespace

void add_estimate_command(CLI::App& app) {
    auto args = std::make_shared<EstimateArgs>();
    auto* cmd = app.add_subcommand("estimate", "price one forward pass and a static TTFT/TPOT/throughput estimate");
    cmd->add_option("--model", args->model, "built-in model name or path to a config.json (folder)")->capture_default_str();
    cmd->add_option("--gpu", args->gpu, "GPU name (H100-SXM, H200, A100-80GB, B200, L40S, H100-PCIe)")->capture_default_str();
    cmd->add_option("--tp", args->timing.tp, "tensor-parallel degree")->capture_default_str();
    cmd->add_option("--pp", args->timing.pp, "pipeline-parallel stages")->capture_default_str();
    cmd->add_option("--ep", args->timing.ep, "expert-parallel degree (1 or tp)")->capture_default_str();
    cmd->add_option("--attention-dp", args->timing.attention_dp,
                    "data-parallel attention ranks among the tp GPUs (1 = off; sglang, trtllm, vllm MoE)")
        ->capture_default_str();
    cmd->add_option("--batch", args->batch, "requests in the static batch")->capture_default_str();
    cmd->add_option("--isl", args->isl, "input (prompt) tokens per request")->capture_default_str();
    cmd->add_option("--osl", args->osl, "output tokens per request")->capture_default_str();
    cmd->add_option("--backend", args->timing.backend, "vllm, sglang or trtllm (whose kernel tables)")->capture_default_str();
    cmd->add_option("--weight-dtype", args->timing.weight_dtype, "bf16 or fp8")->capture_default_str();
    cmd->add_option("--kv-dtype", args->timing.kv_dtype, "bf16 or fp8")->capture_default_str();
    cmd->add_option("--timing", args->kind, "table or roofline")->capture_default_str();
    cmd->add_option("--data-dir", args->timing.data_dir, "shared data folder (holds gpu/aiconfigurator_csv)")->capture_default_str();
    cmd->add_option("--calibration", args->timing.calibration_file, "calibration file from `dynosim calib fit`");
    cmd->add_flag("--json", args->json, "print JSON instead of tables");
    cmd->callback([args] { exit_code() = run_estimate(*args); });
}

}  // namespace dynosim::cli
