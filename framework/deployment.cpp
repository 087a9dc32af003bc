#include "framework/deployment.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <map>

namespace dynosim::framework {

std::string served_model_id(const std::string& model) {
    static const std::map<std::string, std::string> ids = {
        {"Llama-3.1-8B", "meta-llama/Llama-3.1-8B-Instruct"},
        {"Llama-3.1-70B", "meta-llama/Llama-3.1-70B-Instruct"},
        {"Qwen3-32B", "Qwen/Qwen3-32B"},
        {"Qwen3-30B-A3B", "Qwen/Qwen3-30B-A3B"},
    };
    auto it = ids.find(model);
    return it == ids.end() ? model : it->second;
}

namespace {

namespace sc = sim::scenario;

std::string num(double v) { return fmt::format("{:g}", v); }

struct Pool {
    std::string role;  // "agg", "prefill", "decode"
    std::int32_t workers = 1, tp = 1, max_num_seqs = 0, max_num_batched_tokens = 0;
};

// Engine flags of one pool, as the engine's own CLI spells them (the Dynamo worker wrappers accept the
// same flags).
std::vector<std::string> engine_flags(const sc::ScenarioOptions& o, const Pool& p) {
    const auto& e = o.engine;
    std::vector<std::string> f;
    auto add = [&f](std::string k, std::string v) {
        f.push_back(std::move(k));
        f.push_back(std::move(v));
    };
    const std::int32_t seqs = p.max_num_seqs > 0 ? p.max_num_seqs : e.max_num_seqs;
    const std::int32_t tokens = p.max_num_batched_tokens > 0 ? p.max_num_batched_tokens : e.max_num_batched_tokens;
    if (e.backend == "sglang") {
        add("--tp-size", std::to_string(p.tp));
        add("--page-size", std::to_string(e.sglang.page_size));
        add("--schedule-policy", e.sglang.schedule_policy);
        if (e.sglang.chunked_prefill_size > 0) add("--chunked-prefill-size", std::to_string(e.sglang.chunked_prefill_size));
        if (e.sglang.max_running_requests > 0) add("--max-running-requests", std::to_string(e.sglang.max_running_requests));
        add("--max-prefill-tokens", std::to_string(e.sglang.max_prefill_tokens));
        add("--mem-fraction-static", num(e.gpu_memory_utilization));
        if (!e.enable_prefix_caching) f.push_back("--disable-radix-cache");
        if (e.sglang.enable_mixed_chunk) f.push_back("--enable-mixed-chunk");
        if (e.max_model_len > 0) add("--context-length", std::to_string(e.max_model_len));
    } else if (e.backend == "trtllm") {
        add("--tp_size", std::to_string(p.tp));
        add("--max_batch_size", std::to_string(e.trtllm.max_batch_size));
        add("--max_num_tokens", std::to_string(e.trtllm.max_num_tokens));
        add("--kv_cache_free_gpu_memory_fraction", num(e.gpu_memory_utilization));
        if (e.max_model_len > 0) add("--max_seq_len", std::to_string(e.max_model_len));
    } else {
        add("--tensor-parallel-size", std::to_string(p.tp));
        add("--block-size", std::to_string(e.block_size));
        if (seqs > 0) add("--max-num-seqs", std::to_string(seqs));
        if (tokens > 0) add("--max-num-batched-tokens", std::to_string(tokens));
        add("--gpu-memory-utilization", num(e.gpu_memory_utilization));
        f.push_back(e.enable_prefix_caching ? "--enable-prefix-caching" : "--no-enable-prefix-caching");
        f.push_back(e.enable_chunked_prefill ? "--enable-chunked-prefill" : "--no-enable-chunked-prefill");
        if (e.max_model_len > 0) add("--max-model-len", std::to_string(e.max_model_len));
    }
    if (o.timing.weight_dtype == "fp8") add("--quantization", "fp8");
    if (o.timing.kv_dtype == "fp8")
        add(e.backend == "sglang" ? "--kv-cache-dtype" : e.backend == "trtllm" ? "--kv_cache_dtype" : "--kv-cache-dtype",
            e.backend == "sglang" ? "fp8_e4m3" : "fp8");
    return f;
}

std::string join_shell(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
    return out;
}

}  // namespace

Deployment make_deployment(const sc::ScenarioOptions& o, const DeploymentOptions& d) {
    Deployment dep;
    const std::string model = served_model_id(o.model.name);
    const std::string backend = o.engine.backend;
    const std::string image = !d.image.empty() ? d.image
                              : fmt::format("nvcr.io/nvidia/ai-dynamo/{}-runtime:<version>",
                                            backend == "trtllm" ? "tensorrtllm" : backend);
    std::vector<Pool> pools;
    if (o.disagg.enabled) {
        pools.push_back({"prefill", o.disagg.prefill.workers, o.disagg.prefill.tp > 0 ? o.disagg.prefill.tp : o.hardware.tp,
                         o.disagg.prefill.max_num_seqs, o.disagg.prefill.max_num_batched_tokens});
        pools.push_back({"decode", o.disagg.decode.workers, o.disagg.decode.tp > 0 ? o.disagg.decode.tp : o.hardware.tp,
                         o.disagg.decode.max_num_seqs, o.disagg.decode.max_num_batched_tokens});
    } else {
        pools.push_back({"agg", o.fleet.workers, o.hardware.tp, 0, 0});
    }

    // Frontend router flags (Dynamo: --router-mode round-robin | random | kv).
    std::vector<std::string> router{"--router-mode"};
    const std::string& pol = o.router.policy;
    if (pol == "kv" || pol == "least_loaded") {
        router.push_back("kv");
        const double w = pol == "kv" ? o.router.overlap_score_weight : 0.0;
        router.insert(router.end(), {"--kv-overlap-score-weight", num(w), "--router-temperature", num(o.router.temperature)});
        if (!o.router.use_kv_events) router.push_back("--no-kv-events");
        if (o.router.replica_sync) router.push_back("--router-replica-sync");
        if (pol == "least_loaded")
            dep.notes.push_back("router.policy = least_loaded has no Dynamo mode: written as the KV router with "
                                "--kv-overlap-score-weight 0 (load balancing on active blocks only)");
    } else if (pol == "random") {
        router.push_back("random");
    } else {
        router.push_back("round-robin");
        if (pol != "round_robin")
            dep.notes.push_back(fmt::format("router.policy = {} has no Dynamo mode: written as round-robin", pol));
    }

    YAML::Emitter y;
    y << YAML::BeginMap;
    y << YAML::Key << "apiVersion" << YAML::Value << "nvidia.com/v1alpha1";
    y << YAML::Key << "kind" << YAML::Value << "DynamoGraphDeployment";
    y << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << d.name
      << YAML::EndMap;
    y << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "services" << YAML::Value << YAML::BeginMap;
    auto container = [&](const std::vector<std::string>& command, const std::vector<std::string>& args) {
        y << YAML::Key << "extraPodSpec" << YAML::Value << YAML::BeginMap << YAML::Key << "mainContainer" << YAML::Value
          << YAML::BeginMap << YAML::Key << "image" << YAML::Value << image;
        y << YAML::Key << "command" << YAML::Value << YAML::Flow << command;
        y << YAML::Key << "args" << YAML::Value << YAML::Flow << args;
        y << YAML::EndMap << YAML::EndMap;
    };
    // Frontend (router).
    y << YAML::Key << "Frontend" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "dynamoNamespace" << YAML::Value << d.name;
    y << YAML::Key << "componentType" << YAML::Value << "frontend";
    y << YAML::Key << "replicas" << YAML::Value << o.router.replicas;
    container({"python3", "-m", "dynamo.frontend"}, router);
    y << YAML::EndMap;
    const std::string worker_module = backend == "sglang" ? "dynamo.sglang" : backend == "trtllm" ? "dynamo.trtllm" : "dynamo.vllm";
    const std::string prefix = backend == "sglang" ? "Sglang" : backend == "trtllm" ? "Trtllm" : "Vllm";
    for (const Pool& p : pools) {
        const std::string svc = prefix + (p.role == "agg" ? "Worker" : p.role == "prefill" ? "PrefillWorker" : "DecodeWorker");
        y << YAML::Key << svc << YAML::Value << YAML::BeginMap;
        y << YAML::Key << "dynamoNamespace" << YAML::Value << d.name;
        y << YAML::Key << "componentType" << YAML::Value << "worker";
        if (p.role != "agg") y << YAML::Key << "subComponentType" << YAML::Value << p.role;
        y << YAML::Key << "replicas" << YAML::Value << p.workers;
        y << YAML::Key << "resources" << YAML::Value << YAML::BeginMap << YAML::Key << "limits" << YAML::Value
          << YAML::BeginMap << YAML::Key << "gpu" << YAML::Value << YAML::DoubleQuoted << std::to_string(p.tp) << YAML::EndMap << YAML::EndMap;
        std::vector<std::string> args{backend == "vllm" ? "--model" : "--model-path", model};
        for (auto& f : engine_flags(o, p)) args.push_back(std::move(f));
        if (p.role == "prefill") {
            if (backend == "vllm") args.push_back("--is-prefill-worker");
            else args.insert(args.end(), {"--disaggregation-mode", "prefill"});
        } else if (p.role == "decode" && backend != "vllm") {
            args.insert(args.end(), {"--disaggregation-mode", "decode"});
        }
        container({"python3", "-m", worker_module}, args);
        y << YAML::EndMap;
    }
    if (o.disagg.enabled) {
        // SLA planner: the scenario's SLA as its targets (docs/deploy.md).
        y << YAML::Key << "Planner" << YAML::Value << YAML::BeginMap;
        y << YAML::Key << "dynamoNamespace" << YAML::Value << d.name;
        y << YAML::Key << "componentType" << YAML::Value << "planner";
        y << YAML::Key << "replicas" << YAML::Value << 1;
        std::vector<std::string> args{"--environment=kubernetes", "--backend=" + backend, "--adjustment-interval=180",
                                      fmt::format("--prefill-engine-num-gpu={}", pools[0].tp),
                                      fmt::format("--decode-engine-num-gpu={}", pools[1].tp),
                                      fmt::format("--max-gpu-budget={}", pools[0].workers * pools[0].tp +
                                                                              pools[1].workers * pools[1].tp)};
        if (o.sla.ttft_ms > 0) args.push_back("--ttft=" + num(o.sla.ttft_ms));
        if (o.sla.tpot_ms > 0) args.push_back("--itl=" + num(o.sla.tpot_ms));
        container({"python3", "-m", "planner_sla"}, args);
        y << YAML::EndMap;
    }
    y << YAML::EndMap << YAML::EndMap << YAML::EndMap;
    dep.yaml = std::string(y.c_str()) + "\n";

    // Standalone engine commands, one per pool (each replica runs the same line on its own GPUs).
    std::string& sh = dep.engine_args;
    sh += fmt::format("# {} on {} x {}; one line per worker pool, run once per replica.\n", model, o.hardware.gpu,
                      backend);
    for (const Pool& p : pools) {
        const std::string flags = join_shell(engine_flags(o, p));
        sh += fmt::format("# {} pool: {} replica(s) x {} GPU(s)\n", p.role, p.workers, p.tp);
        if (backend == "sglang")
            sh += fmt::format("python3 -m sglang.launch_server --model-path {} {}{}\n", model, flags,
                              p.role == "agg" ? "" : " --disaggregation-mode " + p.role);
        else if (backend == "trtllm")
            sh += fmt::format("trtllm-serve {} {}\n", model, flags);
        else
            sh += fmt::format("vllm serve {} {}{}\n", model, flags,
                              p.role == "agg" ? ""
                                              : " --kv-transfer-config '{\"kv_connector\":\"NixlConnector\",\"kv_role\":\"kv_both\"}'");
    }
    sh += "# Dynamo frontend: python3 -m dynamo.frontend " + join_shell(router) + "\n";
    return dep;
}

}  // namespace dynosim::framework
