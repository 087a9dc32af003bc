#include "framework/validation.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "sim/core/errors.hpp"
#include "sim/core/rng.hpp"
#include "sim/hw/gpu.hpp"
#include "sim/hw/model.hpp"

namespace dynosim::framework {

namespace sc = sim::scenario;
namespace wl = sim::workload;
using sim::core::InputError;

namespace {

// Setup and workload columns every runs table must have.
const std::vector<std::string> kRequired = {
    "model",          "hardware",        "precision",          "tp",
    "dp",             "cpu_offload",     "gpu_mem_util",       "mbt",
    "engine",         "max_model_len",   "max_num_seqs",       "block_size",
    "prefix_caching", "chunked_prefill", "sys_prompt_len",     "question_len",
    "output_len",     "num_system_prompts", "users_per_prompt", "stages_rate_rps_x_duration",
    "total_kv_blocks"};
// Optional descriptive columns.
const std::vector<std::string> kOptional = {"folder", "exp_id", "engine_version", "arrivals", "workload",
                                            "expected_num_requests"};
// Measured columns: summary_* or s<i>_*.
const std::regex kMeasured(R"((summary|s[0-9]+)_((e2e|ttft)_(mean|p90|p99)|itl_mean)_ms)");

std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(i);
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Splits one CSV line (RFC 4180 quotes; no embedded newlines).
std::vector<std::string> split_csv(const std::string& line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                out.back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                out.back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.emplace_back();
        } else if (c != '\r') {
            out.back() += c;
        }
    }
    for (auto& f : out) f = trim(f);
    return out;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string read_gz(const std::filesystem::path& p) {
    gzFile f = gzopen(p.string().c_str(), "rb");
    if (!f) throw InputError(p.string() + ": cannot open");
    std::string out;
    char buf[1 << 16];
    int n = 0;
    while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    const bool bad = n < 0;
    gzclose(f);
    if (bad) throw InputError(p.string() + ": not a readable gzip file");
    return out;
}

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw InputError(p.string() + ": cannot open");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

double mean_of(const std::vector<double>& v) {
    if (v.empty()) return 0;
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
}

double ape(double pred, double meas) { return meas != 0 ? std::abs(pred - meas) / std::abs(meas) * 100.0 : 0.0; }

}  // namespace

std::vector<LoadStage> parse_stages(const std::string& text) {
    std::vector<LoadStage> out;
    std::stringstream ss(text);
    std::string part;
    while (std::getline(ss, part, ';')) {
        part = trim(part);
        if (part.empty()) continue;
        const auto x = part.find('x');
        char* end = nullptr;
        LoadStage s;
        bool ok = x != std::string::npos;
        if (ok) {
            s.rate_rps = std::strtod(part.c_str(), &end);
            ok = end == part.c_str() + x;
        }
        if (ok) {
            std::string d = part.substr(x + 1);
            if (!d.empty() && d.back() == 's') d.pop_back();
            s.duration_s = std::strtod(d.c_str(), &end);
            ok = !d.empty() && end == d.c_str() + d.size();
        }
        if (!ok || !(s.rate_rps > 0) || !(s.duration_s > 0) || !std::isfinite(s.rate_rps) ||
            !std::isfinite(s.duration_s))
            throw InputError(fmt::format("stages_rate_rps_x_duration = '{}': expected RATExDURATIONs[;...] with "
                                         "positive numbers, e.g. 5x600s;10x600s",
                                         text));
        out.push_back(s);
    }
    if (out.empty()) throw InputError(fmt::format("stages_rate_rps_x_duration = '{}': no stage", text));
    return out;
}

RunsTable read_runs_csv(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path.string() + ": cannot open");
    RunsTable t;
    t.source = path.string();
    std::string line;
    if (!std::getline(in, line)) throw InputError(path.string() + ": empty file (no header line)");
    t.columns = split_csv(line);
    std::set<std::string> seen;
    for (const auto& c : t.columns) {
        if (!seen.insert(c).second) throw InputError(fmt::format("{}: column '{}' appears twice", t.source, c));
        const bool known = std::find(kRequired.begin(), kRequired.end(), c) != kRequired.end() ||
                           std::find(kOptional.begin(), kOptional.end(), c) != kOptional.end() ||
                           std::regex_match(c, kMeasured);
        if (!known)
            throw InputError(fmt::format("{}: unknown column '{}' (setup, workload and measured columns of "
                                         "serving/sim2real-trainval/README.md only)",
                                         t.source, c));
    }
    for (const auto& c : kRequired)
        if (!seen.count(c)) throw InputError(fmt::format("{}: missing column '{}'", t.source, c));
    std::size_t lineno = 1;
    while (std::getline(in, line)) {
        ++lineno;
        if (trim(line).empty()) continue;
        auto f = split_csv(line);
        if (f.size() != t.columns.size())
            throw InputError(fmt::format("{}:{}: {} fields, the header has {}", t.source, lineno, f.size(),
                                         t.columns.size()));
        t.rows.push_back(std::move(f));
    }
    return t;
}

RunSpec parse_run(const RunsTable& t, std::size_t row) {
    const auto& f = t.rows.at(row);
    auto get = [&](const std::string& c) -> std::string {
        const auto it = std::find(t.columns.begin(), t.columns.end(), c);
        return it == t.columns.end() ? std::string() : f[static_cast<std::size_t>(it - t.columns.begin())];
    };
    auto bad = [&](const std::string& c, const std::string& v, const char* rule) {
        return InputError(fmt::format("column '{}' = '{}': {}", c, v, rule));
    };
    auto num = [&](const std::string& c) {
        const std::string v = get(c);
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(x)) throw bad(c, v, "not a number");
        return x;
    };
    auto integer = [&](const std::string& c, std::int64_t lo, std::int64_t dflt) -> std::int64_t {
        if (get(c).empty() && dflt >= lo) return dflt;
        const double x = num(c);
        if (x != std::floor(x) || x < static_cast<double>(lo)) throw bad(c, get(c), "not an integer in range");
        return static_cast<std::int64_t>(x);
    };
    auto boolean = [&](const std::string& c) {
        const std::string v = lower(get(c));
        if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
        if (v == "false" || v == "0" || v == "no" || v == "off") return false;
        throw bad(c, get(c), "expected true or false");
    };
    RunSpec r;
    r.folder = get("folder");
    r.id = !get("exp_id").empty() ? get("exp_id") : !r.folder.empty() ? r.folder : fmt::format("row {}", row + 1);
    r.model = get("model");
    if (r.model.empty()) throw bad("model", "", "empty");
    r.hardware = get("hardware");
    r.precision = get("precision");
    r.tp = static_cast<std::int32_t>(integer("tp", 1, -1));
    r.dp = static_cast<std::int32_t>(integer("dp", 1, 1));
    r.cpu_offload = get("cpu_offload");
    r.gpu_mem_util = get("gpu_mem_util").empty() ? 0.9 : num("gpu_mem_util");
    if (!(r.gpu_mem_util > 0 && r.gpu_mem_util <= 1)) throw bad("gpu_mem_util", get("gpu_mem_util"), "must be in (0, 1]");
    r.max_num_batched_tokens = static_cast<std::int32_t>(integer("mbt", 0, 0));
    r.engine = lower(get("engine").empty() ? std::string("vllm") : get("engine"));
    r.max_model_len = static_cast<std::int32_t>(integer("max_model_len", 0, 0));
    r.max_num_seqs = static_cast<std::int32_t>(integer("max_num_seqs", 0, 0));
    r.block_size = static_cast<std::int32_t>(integer("block_size", 1, 16));
    r.prefix_caching = get("prefix_caching").empty() ? true : boolean("prefix_caching");
    r.chunked_prefill = get("chunked_prefill").empty() ? true : boolean("chunked_prefill");
    r.arrivals = lower(get("arrivals").empty() ? std::string("poisson") : get("arrivals"));
    r.workload = get("workload");
    r.sys_prompt_len = static_cast<std::int32_t>(integer("sys_prompt_len", 0, 0));
    r.question_len = static_cast<std::int32_t>(integer("question_len", 0, -1));
    r.output_len = static_cast<std::int32_t>(integer("output_len", 1, -1));
    r.num_system_prompts = static_cast<std::int32_t>(integer("num_system_prompts", 1, 1));
    r.users_per_prompt = static_cast<std::int32_t>(integer("users_per_prompt", 1, 1));
    try {
        r.stages = parse_stages(get("stages_rate_rps_x_duration"));
    } catch (const InputError& e) {
        throw InputError(fmt::format("column {}", e.what()));
    }
    r.total_kv_blocks = integer("total_kv_blocks", 2, 0);
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        if (!std::regex_match(t.columns[i], kMeasured) || f[i].empty()) continue;
        const double v = num(t.columns[i]);
        if (v > 0) r.measured[t.columns[i]] = v;
    }
    return r;
}

std::pair<std::int32_t, std::int32_t> prompt_set(const RunSpec& run, const ValidateOptions& o) {
    if (o.prompt_groups > 0 && o.prompts_per_group > 0) return {o.prompt_groups, o.prompts_per_group};
    return {std::max(1, run.num_system_prompts), std::max(1, run.users_per_prompt)};
}

wl::Workload make_run_workload(const RunSpec& run, const ValidateOptions& o) {
    wl::Workload w;
    w.source = fmt::format("validate:{}", run.id);
    sim::core::Rng rng(sim::core::hash_combine(o.seed, 0x76616c6964617465ULL));
    const auto [groups, per_group] = prompt_set(run, o);
    const std::int32_t users = groups * per_group;
    const std::int32_t input = std::max(1, run.sys_prompt_len + run.question_len + o.framing_tokens);
    // Block hashes at block_size granularity: the group's system prompt blocks are shared by the group; the
    // rest (question, framing) is unique to the request.
    const std::int32_t bs = std::max(1, run.block_size);
    const std::int32_t shared_blocks = run.sys_prompt_len / bs;
    const std::int32_t total_blocks = (input + bs - 1) / bs;
    // inference-perf's shared_prefix generator builds `users` fixed prompts (group system prompt + one
    // question each), shuffles them once and sends them in that order, cycling (request k gets prompt
    // order[k % users]): a prompt seen before is a full prefix-cache hit but for its last block.
    std::vector<std::int32_t> order(static_cast<std::size_t>(users));
    for (std::int32_t i = 0; i < users; ++i) order[static_cast<std::size_t>(i)] = i;
    for (std::size_t i = order.size(); i > 1; --i)
        std::swap(order[i - 1], order[static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(i)))]);
    double t0 = 0;
    std::uint64_t serial = 0;
    for (const auto& st : run.stages) {
        const auto n = static_cast<std::size_t>(std::llround(st.rate_rps * st.duration_s));
        std::vector<double> times(n);
        for (auto& t : times) t = t0 + rng.uniform() * st.duration_s;
        std::sort(times.begin(), times.end());
        for (double t : times) {
            wl::Request r;
            r.arrival_ns = static_cast<wl::TimeNs>(std::llround(t * 1e9));
            r.input_tokens = input;
            r.output_tokens = run.output_len;
            const std::int32_t user = order[static_cast<std::size_t>(serial % static_cast<std::uint64_t>(users))];
            const std::uint64_t group = static_cast<std::uint64_t>(user / per_group);
            r.client_id = user;
            r.hash_block_tokens = bs;
            r.block_hashes.reserve(static_cast<std::size_t>(total_blocks));
            std::uint64_t h = sim::core::hash_combine(0x7379737072ULL, group);
            for (std::int32_t b = 0; b < total_blocks; ++b) {
                h = b < shared_blocks ? sim::core::hash_combine(h, static_cast<std::uint64_t>(b))
                                      : sim::core::hash_combine(h, 0x717565ULL + (static_cast<std::uint64_t>(user) << 20) +
                                                                       static_cast<std::uint64_t>(b));
                r.block_hashes.push_back(h);
            }
            ++serial;
            w.requests.push_back(std::move(r));
        }
        t0 += st.duration_s;
    }
    wl::finalize(w);
    return w;
}

std::string model_family(const std::string& model) {
    std::string name = model;
    while (!name.empty() && (name.back() == '/' || name.back() == '\\')) name.pop_back();
    if (name.ends_with("config.json")) name = std::filesystem::path(name).parent_path().string();
    if (const auto s = name.find_last_of("/\\"); s != std::string::npos) name = name.substr(s + 1);
    if (const auto s = name.find("--"); s != std::string::npos) name = name.substr(s + 2);  // org--name folders
    name = lower(name);
    static const std::regex size_or_variant(R"(([0-9.]+[bm]|[0-9]+x[0-9.]+b|[0-9]+e|instruct|chat|hf|base|it|fp8.*|awq|gptq|[0-9]{4}))");
    std::string out;
    std::stringstream ss(name);
    std::string tok;
    while (std::getline(ss, tok, '-')) {
        if (std::regex_match(tok, size_or_variant)) break;
        out += out.empty() ? tok : "-" + tok;
    }
    return out.empty() ? name : out;
}

double cpu_offload_gib(const std::string& value, const ValidateOptions& o) {
    const std::string v = lower(trim(value));
    if (v.empty() || v == "false" || v == "0" || v == "none" || v == "no" || v == "off") return 0;
    if (v == "true" || v == "yes" || v == "on" || v == "1") return o.cpu_offload_default_gib;
    // A size: "16", "16gib", "16gb" (GiB, vLLM's --kv-offloading-size unit).
    std::string num = v;
    for (const char* unit : {"gib", "gb", "g"})
        if (num.ends_with(unit)) {
            num.resize(num.size() - std::string(unit).size());
            break;
        }
    num = trim(num);
    char* end = nullptr;
    const double gib = std::strtod(num.c_str(), &end);
    if (num.empty() || end != num.c_str() + num.size() || !std::isfinite(gib) || !(gib > 0))
        throw InputError(
            fmt::format("cannot model cpu_offload = '{}': expected empty/False (no offload), True (the "
                        "study's {} GiB CPU KV pool) or a size in GiB such as 16 or 16GiB",
                        value, o.cpu_offload_default_gib));
    return gib;
}

sc::ScenarioOptions make_run_scenario(const RunSpec& run, const ValidateOptions& o) {
    // Declared before the first throw: GCC 12 destroys a not-yet-constructed NRVO variable when an
    // exception leaves the function ahead of its declaration.
    sc::ScenarioOptions s;
    const double offload_gib = cpu_offload_gib(run.cpu_offload, o);
    if (run.arrivals != "poisson")
        throw InputError(fmt::format("cannot model arrivals = '{}': only poisson", run.arrivals));
    if (run.engine != "vllm" && run.engine != "sglang" && run.engine != "trtllm")
        throw InputError(fmt::format("cannot model engine = '{}': vllm, sglang or trtllm", run.engine));
    // Model: a Hugging Face id resolves to data/models/<org>--<name>; anything else is a path.
    const std::filesystem::path data = o.data_dir.empty() ? sc::find_data_dir(".") : o.data_dir;
    std::filesystem::path model_path = run.model;
    std::error_code ec;
    if (!std::filesystem::exists(model_path, ec)) {
        std::string id = run.model;
        if (const auto slash = id.find('/'); slash != std::string::npos) id.replace(slash, 1, "--");
        model_path = data / "models" / id;
        if (data.empty() || !std::filesystem::exists(model_path / "config.json", ec))
            throw InputError(fmt::format("cannot model model = '{}': no config.json at {} (put the model's Hugging "
                                         "Face config.json there or give a path)",
                                         run.model, model_path.string()));
    }
    s.model.name = std::filesystem::absolute(model_path, ec).string();
    try {
        s.hardware.gpu = sim::hw::find_gpu(run.hardware).name;
    } catch (const InputError& e) {
        throw InputError(fmt::format("cannot model hardware = '{}': {}", run.hardware, e.what()));
    }
    s.hardware.tp = run.tp;
    s.fleet.workers = run.dp;
    s.router.policy = run.dp > 1 ? "least_loaded" : "round_robin";
    s.timing = o.timing;
    const std::string prec = lower(run.precision);
    if (prec == "fp16" || prec == "bf16" || prec.empty() || prec == "auto") {
        s.timing.weight_dtype = "bf16";
    } else if (prec == "fp8") {
        s.timing.weight_dtype = "fp8";  // vLLM keeps the KV cache in the activation dtype (kv_cache_dtype auto)
    } else {
        throw InputError(fmt::format("cannot model precision = '{}': FP16, BF16 or FP8", run.precision));
    }
    s.timing.kv_dtype = "bf16";
    // DP with EP (MoE): experts spread over each worker's TP group (see docs/fidelity.md, known gaps).
    s.timing.table.ep = run.dp > 1 && run.tp > 1 ? run.tp : 1;
    if (!data.empty() && s.timing.table.data_dir == "data:") s.timing.table.data_dir = data.string();
    s.engine.backend = run.engine;
    s.engine.max_num_batched_tokens = run.max_num_batched_tokens;
    s.engine.max_num_seqs = run.max_num_seqs;
    s.engine.max_model_len = run.max_model_len;
    s.engine.block_size = run.block_size;
    s.engine.enable_prefix_caching = run.prefix_caching;
    s.engine.enable_chunked_prefill = run.chunked_prefill;
    // vLLM V1 plans one step ahead by default since 0.13 (async scheduling; the runs are vLLM 0.15.1).
    s.engine.async_scheduling = run.engine == "vllm";
    s.engine.gpu_memory_utilization = run.gpu_mem_util;
    s.engine.num_gpu_blocks_override = run.total_kv_blocks;
    if (offload_gib > 0) {
        // vLLM's native offloading connector (--kv-offloading-size, total over the TP ranks): every full
        // block the engine computes is stored to a CPU LRU pool, and a prompt block missing on the GPU but
        // held there is loaded back before the request runs. That is the KVBM host tier with the
        // "register" trigger (docs/kvbm.md). Each TP rank copies its shard over its own host link.
        s.kvbm.host.capacity_gb = offload_gib * 1073741824.0 / 1e9;
        s.kvbm.host.bandwidth_gbps = sim::hw::find_gpu(s.hardware.gpu).pcie_bw * run.tp / 1e9;
        s.kvbm.host.policy = "lru";
        s.kvbm.offload_trigger = "register";
    }
    s.sim.seed = static_cast<std::int64_t>(o.seed);
    if (auto problems = s.validate(); !problems.empty()) throw InputError("cannot model: " + problems.front());
    return s;
}

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

LatencyStats latency_stats(const std::vector<double>& e2e_ms, const std::vector<double>& ttft_ms,
                           const std::vector<double>& output_tokens) {
    LatencyStats s;
    s.count = e2e_ms.size();
    if (s.count == 0) return s;
    s.e2e_mean = mean_of(e2e_ms);
    s.e2e_p90 = percentile(e2e_ms, 90);
    s.e2e_p99 = percentile(e2e_ms, 99);
    s.ttft_mean = mean_of(ttft_ms);
    s.ttft_p90 = percentile(ttft_ms, 90);
    s.ttft_p99 = percentile(ttft_ms, 99);
    s.output_mean = mean_of(output_tokens);
    s.itl_mean = s.output_mean > 1 ? (s.e2e_mean - s.ttft_mean) / (s.output_mean - 1) : 0;
    return s;
}

namespace {

double stat_value(const LatencyStats& s, const std::string& metric) {
    if (metric == "e2e_mean_ms") return s.e2e_mean;
    if (metric == "e2e_p90_ms") return s.e2e_p90;
    if (metric == "e2e_p99_ms") return s.e2e_p99;
    if (metric == "ttft_mean_ms") return s.ttft_mean;
    if (metric == "ttft_p90_ms") return s.ttft_p90;
    if (metric == "ttft_p99_ms") return s.ttft_p99;
    return s.itl_mean;
}

// Per-request E2E / TTFT (ms) and output tokens of finished requests, optionally only those arriving in
// [from_ns, to_ns).
LatencyStats stats_between(const sim::metrics::Recorder& rec, wl::TimeNs from_ns, wl::TimeNs to_ns,
                           double frontend_ms) {
    std::vector<double> e2e, ttft, out;
    for (const auto& r : rec.records()) {
        if (r.status != sim::metrics::RequestStatus::Finished || r.arrival_ns < from_ns || r.arrival_ns >= to_ns)
            continue;
        e2e.push_back(static_cast<double>(r.finish_ns - r.arrival_ns) * 1e-6 + frontend_ms);
        ttft.push_back(static_cast<double>(r.first_token_ns - r.arrival_ns) * 1e-6 + frontend_ms);
        out.push_back(r.generated);
    }
    return latency_stats(e2e, ttft, out);
}

}  // namespace

RowResult validate_run(const RunSpec& run, const ValidateOptions& o) {
    const auto start = std::chrono::steady_clock::now();
    RowResult res;
    res.id = run.id;
    res.folder = run.folder;
    res.model = run.model;
    res.family = model_family(run.model);
    res.hardware = run.hardware;
    res.workload = run.workload;
    try {
        sc::ScenarioOptions s = make_run_scenario(run, o);
        // Scores come from the per-request records; the list of every inter-token gap is never read, so the
        // gaps go to the streaming histogram (no per-token storage, no selection over millions of gaps).
        s.metrics.itl_histogram = "on";
        const sc::Result r = sc::run_scenario(s, make_run_workload(run, o));
        res.requests = r.workload->requests.size();
        res.kv_blocks = r.stats.kv_blocks_per_worker;
        for (const auto& rec : r.recorder->records())
            if (rec.status != sim::metrics::RequestStatus::Finished) ++res.unfinished;
        std::map<std::string, LatencyStats> by_scope;
        by_scope["summary"] = stats_between(*r.recorder, 0, sim::core::kTimeMax, o.frontend_ms);
        double t0 = 0;
        for (std::size_t i = 0; i < run.stages.size(); ++i) {
            const double t1 = t0 + run.stages[i].duration_s;
            by_scope[fmt::format("s{}", i)] = stats_between(*r.recorder, static_cast<wl::TimeNs>(std::llround(t0 * 1e9)),
                                                            static_cast<wl::TimeNs>(std::llround(t1 * 1e9)),
                                                            o.frontend_ms);
            t0 = t1;
        }
        for (const auto& [col, meas] : run.measured) {
            const auto us = col.find('_');
            MetricError m;
            m.column = col;
            m.scope = col.substr(0, us);
            m.metric = col.substr(us + 1);
            const auto it = by_scope.find(m.scope);
            if (it == by_scope.end() || it->second.count == 0) continue;  // a stage the row does not run
            m.measured = meas;
            m.predicted = stat_value(it->second, m.metric);
            m.ape_pct = ape(m.predicted, meas);
            res.metrics.push_back(m);
        }
    } catch (const std::exception& e) {
        res.error = e.what();
        res.metrics.clear();
    }
    res.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return res;
}

std::vector<RowResult> validate_table(const RunsTable& t, const ValidateOptions& o, int jobs) {
    std::vector<RowResult> out(t.rows.size());
    auto one = [&](std::size_t i) {
        try {
            out[i] = validate_run(parse_run(t, i), o);
        } catch (const std::exception& e) {
            out[i].id = fmt::format("row {}", i + 1);
            out[i].error = e.what();
        }
    };
    const auto n = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(std::max(1, jobs)), t.rows.size()));
    if (n <= 1) {
        for (std::size_t i = 0; i < t.rows.size(); ++i) one(i);
        return out;
    }
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> pool;
    for (int k = 0; k < n; ++k)
        pool.emplace_back([&] {
            for (std::size_t i; (i = next++) < t.rows.size();) one(i);
        });
    for (auto& th : pool) th.join();
    return out;
}

std::vector<Aggregate> aggregate(const std::vector<RowResult>& rows) {
    // (by, group, metric) -> APEs, in first-seen order of metrics.
    std::map<std::tuple<std::string, std::string, std::string>, std::vector<double>> m;
    std::vector<std::tuple<std::string, std::string, std::string>> order;
    auto add = [&](const std::string& by, const std::string& group, const std::string& metric, double v) {
        auto key = std::make_tuple(by, group, metric);
        auto& vec = m[key];
        if (vec.empty()) order.push_back(key);
        vec.push_back(v);
    };
    for (const auto& r : rows) {
        if (!r.error.empty()) continue;
        for (const auto& e : r.metrics) {
            add("stage", e.scope, e.metric, e.ape_pct);
            if (e.scope != "summary") continue;
            add("all", "all", e.metric, e.ape_pct);
            add("gpu", r.hardware, e.metric, e.ape_pct);
            add("family", r.family, e.metric, e.ape_pct);
            add("workload", r.workload.empty() ? "-" : r.workload, e.metric, e.ape_pct);
        }
    }
    static const std::vector<std::string> by_order = {"all", "gpu", "family", "workload", "stage"};
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
        const auto ia = std::find(by_order.begin(), by_order.end(), std::get<0>(a)) - by_order.begin();
        const auto ib = std::find(by_order.begin(), by_order.end(), std::get<0>(b)) - by_order.begin();
        return std::tie(ia, std::get<1>(a), std::get<2>(a)) < std::tie(ib, std::get<1>(b), std::get<2>(b));
    });
    std::vector<Aggregate> out;
    for (const auto& key : order) {
        const auto& v = m[key];
        Aggregate a;
        a.by = std::get<0>(key);
        a.group = std::get<1>(key);
        a.metric = std::get<2>(key);
        a.n = v.size();
        a.median_ape = percentile(v, 50);
        a.mean_ape = mean_of(v);
        out.push_back(a);
    }
    return out;
}

std::string rows_csv(const std::vector<RowResult>& rows) {
    std::string out = "id,folder,model,family,hardware,workload,scope,metric,measured,predicted,ape_pct,requests,"
                      "unfinished,kv_blocks,wall_s,error\n";
    for (const auto& r : rows) {
        const std::string head = fmt::format("{},{},{},{},{},{}", csv_field(r.id), csv_field(r.folder),
                                             csv_field(r.model), csv_field(r.family), csv_field(r.hardware),
                                             csv_field(r.workload));
        if (!r.error.empty()) {
            out += fmt::format("{},,,,,,,,,{:.4f},{}\n", head, r.wall_s, csv_field(r.error));
            continue;
        }
        for (const auto& m : r.metrics)
            out += fmt::format("{},{},{},{:.4f},{:.4f},{:.3f},{},{},{},{:.4f},\n", head, m.scope, m.metric, m.measured,
                               m.predicted, m.ape_pct, r.requests, r.unfinished, r.kv_blocks, r.wall_s);
    }
    return out;
}

std::string summary_csv(const std::vector<Aggregate>& agg) {
    std::string out = "by,group,metric,n,median_ape_pct,mean_ape_pct\n";
    for (const auto& a : agg)
        out += fmt::format("{},{},{},{},{:.3f},{:.3f}\n", a.by, csv_field(a.group), a.metric, a.n, a.median_ape,
                           a.mean_ape);
    return out;
}

std::string format_summary(const std::vector<Aggregate>& agg, const std::vector<RowResult>& rows) {
    std::string out;
    std::size_t ok = 0;
    std::vector<double> walls;
    for (const auto& r : rows) {
        if (r.error.empty()) ++ok;
        walls.push_back(r.wall_s);
    }
    out += fmt::format("{} rows, {} simulated, {} could not be modelled; wall per row median {:.3f} s, max {:.3f} s\n",
                       rows.size(), ok, rows.size() - ok, percentile(walls, 50),
                       walls.empty() ? 0.0 : *std::max_element(walls.begin(), walls.end()));
    for (const auto& r : rows)
        if (!r.error.empty()) out += fmt::format("  row {}: {}\n", r.id, r.error);
    std::string last;
    for (const auto& a : agg) {
        const std::string head = a.by + ":" + a.group;
        if (head != last) {
            out += fmt::format("{:<28}", head);
            last = head;
        } else {
            out += fmt::format("{:<28}", "");
        }
        out += fmt::format("{:<14} n={:<3} median APE {:6.2f}%   mean APE {:6.2f}%\n", a.metric, a.n, a.median_ape,
                           a.mean_ape);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------------
// Replay

std::vector<ReplayResult> replay_dir(const std::filesystem::path& dir, const ValidateOptions& o,
                                     const RunsTable* runs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) throw InputError(dir.string() + ": not a folder");
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const std::string n = e.path().filename().string();
        if (n.ends_with(".json.gz") && !n.ends_with("_ground_truth.json.gz")) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<ReplayResult> out;
    for (const auto& file : files) {
        const auto start = std::chrono::steady_clock::now();
        const std::string fname = file.filename().string();
        const std::string name = fname.substr(0, fname.size() - std::string(".json.gz").size());
        const auto truth_file = dir / (name + "_ground_truth.json.gz");
        if (!std::filesystem::exists(truth_file, ec)) continue;
        nlohmann::json j, truth;
        try {
            j = nlohmann::json::parse(read_gz(file));
            truth = nlohmann::json::parse(read_gz(truth_file));
        } catch (const nlohmann::json::exception& e) {
            throw InputError(fmt::format("{}: {}", file.string(), e.what()));
        }
        // Setup: the runs table's row for this folder when given, else the replay file's own facts.
        RunSpec run;
        bool from_table = false;
        if (runs)
            for (std::size_t i = 0; i < runs->rows.size(); ++i) {
                RunSpec r = parse_run(*runs, i);
                if (r.folder == name) {
                    run = r;
                    from_table = true;
                    break;
                }
            }
        const auto& cfg = j.at("config");
        if (!from_table) {
            run.id = name;
            run.folder = name;
            run.model = j.at("model_id").get<std::string>();
            run.hardware = "H100";
            run.precision = "FP16";
            run.tp = cfg.value("tensor_parallelism", 1);
            run.max_num_seqs = cfg.value("max_num_seqs", 0);
            run.max_num_batched_tokens = cfg.value("max_num_batched_tokens", 0);
            run.block_size = cfg.value("block_size", 16);
            run.total_kv_blocks = cfg.value("kv_blocks_total_gpu", 0);
            run.stages = {{1, 1}};
        }
        // Forced output length: the load profile's output_len (ignore_eos), else the table's; the recorded
        // per-request counts are re-tokenized stream text and stray from it.
        std::int32_t out_len = from_table ? run.output_len : 0;
        const auto profile = dir / (name + "-run") / "profile.yaml";
        if (std::filesystem::exists(profile, ec)) {
            try {
                const auto p = nlohmann::json::parse(read_text(profile));
                out_len = p.at("data").at("shared_prefix").at("output_len").get<std::int32_t>();
                if (!from_table) {
                    const auto& sp = p.at("data").at("shared_prefix");
                    run.num_system_prompts = sp.value("num_unique_system_prompts", 1);
                    run.users_per_prompt = sp.value("num_users_per_system_prompt", 1);
                    run.sys_prompt_len = sp.value("system_prompt_len", 0);
                }
            } catch (const nlohmann::json::exception&) {
                // not the JSON form of the profile: keep the table's or the recorded lengths
            }
        }
        const sc::ScenarioOptions s = make_run_scenario(run, o);
        // The recorded requests, with the run's prefix groups assigned per request (the file does not say
        // which group a request belonged to).
        wl::Workload w;
        w.source = file.string();
        sim::core::Rng rng(sim::core::hash_combine(o.seed, 0x7265706c6179ULL));
        const auto [groups, per_group] = prompt_set(run, o);
        const std::int32_t users = groups * per_group;
        const std::int32_t bs = std::max(1, run.block_size);
        std::vector<std::pair<std::uint64_t, wl::Request>> recorded;
        for (const auto& q : j.at("requests")) {
            if (q.value("has_error", false)) continue;
            wl::Request r;
            r.arrival_ns = static_cast<wl::TimeNs>(q.at("arrival_time_us").get<double>() * 1e3);
            r.input_tokens = std::max(1, q.at("input_tokens").get<std::int32_t>());
            r.output_tokens = out_len > 0 ? out_len : std::max(1, q.at("output_tokens").get<std::int32_t>());
            recorded.emplace_back(q.at("index").get<std::uint64_t>(), std::move(r));
        }
        // In arrival order already, so finalize keeps this order and request i is recorded[i].
        std::stable_sort(recorded.begin(), recorded.end(),
                         [](const auto& a, const auto& b) { return a.second.arrival_ns < b.second.arrival_ns; });
        // Prompts: the file does not say which of the load generator's fixed prompts a request carried; as in
        // make_run_workload, the `users` prompts are shuffled once and cycled in arrival order (each prompt
        // recurs every `users` requests, so its whole prefix is cached), the system prompt shared per group.
        std::vector<std::int32_t> order(static_cast<std::size_t>(users));
        for (std::int32_t i = 0; i < users; ++i) order[static_cast<std::size_t>(i)] = i;
        for (std::size_t i = order.size(); i > 1; --i)
            std::swap(order[i - 1], order[static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(i)))]);
        std::vector<std::uint64_t> index;
        for (auto& [i, r] : recorded) {
            const std::int32_t user = order[w.requests.size() % order.size()];
            const std::uint64_t group = static_cast<std::uint64_t>(user / per_group);
            r.hash_block_tokens = bs;
            std::uint64_t h = sim::core::hash_combine(0x7379737072ULL, group);
            for (std::int32_t b = 0; b < (r.input_tokens + bs - 1) / bs; ++b) {
                h = b < run.sys_prompt_len / bs
                        ? sim::core::hash_combine(h, static_cast<std::uint64_t>(b))
                        : sim::core::hash_combine(h, 0x717565ULL + (static_cast<std::uint64_t>(user) << 20) +
                                                         static_cast<std::uint64_t>(b));
                r.block_hashes.push_back(h);
            }
            index.push_back(i);
            w.requests.push_back(std::move(r));
        }
        wl::finalize(w);
        const sc::Result res = sc::run_scenario(s, std::move(w));
        std::map<std::uint64_t, std::size_t> pos;
        for (std::size_t i = 0; i < index.size(); ++i) pos[index[i]] = i;
        ReplayResult rr;
        rr.name = name;
        rr.requests = index.size();
        rr.output_tokens = out_len;
        std::vector<double> te, ta, ee, ea, mt, pt, me, pe;
        for (const auto& g : truth) {
            if (g.value("has_error", false)) continue;
            const auto it = pos.find(g.at("index").get<std::uint64_t>());
            if (it == pos.end()) continue;
            const auto& rec = res.recorder->records()[it->second];
            if (rec.status != sim::metrics::RequestStatus::Finished) continue;
            ReplayRequestError e;
            e.index = it->first;
            e.measured_ttft_ms = g.at("ttft_s").get<double>() * 1e3;
            e.measured_e2e_ms = g.at("e2e_s").get<double>() * 1e3;
            e.predicted_ttft_ms = static_cast<double>(rec.first_token_ns - rec.arrival_ns) * 1e-6 + o.frontend_ms;
            e.predicted_e2e_ms = static_cast<double>(rec.finish_ns - rec.arrival_ns) * 1e-6 + o.frontend_ms;
            te.push_back(std::abs(e.predicted_ttft_ms - e.measured_ttft_ms));
            ta.push_back(ape(e.predicted_ttft_ms, e.measured_ttft_ms));
            ee.push_back(std::abs(e.predicted_e2e_ms - e.measured_e2e_ms));
            ea.push_back(ape(e.predicted_e2e_ms, e.measured_e2e_ms));
            mt.push_back(e.measured_ttft_ms);
            pt.push_back(e.predicted_ttft_ms);
            me.push_back(e.measured_e2e_ms);
            pe.push_back(e.predicted_e2e_ms);
            rr.per_request.push_back(e);
        }
        rr.compared = rr.per_request.size();
        const double qs[3] = {50, 90, 99};
        for (int k = 0; k < 3; ++k) {
            rr.ttft_abs_ms[k] = percentile(te, qs[k]);
            rr.ttft_ape[k] = percentile(ta, qs[k]);
            rr.e2e_abs_ms[k] = percentile(ee, qs[k]);
            rr.e2e_ape[k] = percentile(ea, qs[k]);
        }
        rr.ttft_mean_meas = mean_of(mt);
        rr.ttft_mean_pred = mean_of(pt);
        rr.e2e_mean_meas = mean_of(me);
        rr.e2e_mean_pred = mean_of(pe);
        rr.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        out.push_back(std::move(rr));
    }
    if (out.empty())
        throw InputError(dir.string() + ": no <name>.json.gz with a <name>_ground_truth.json.gz beside it");
    return out;
}

std::string replay_csv(const ReplayResult& r) {
    std::string out = "index,measured_ttft_ms,predicted_ttft_ms,measured_e2e_ms,predicted_e2e_ms\n";
    for (const auto& e : r.per_request)
        out += fmt::format("{},{:.3f},{:.3f},{:.3f},{:.3f}\n", e.index, e.measured_ttft_ms, e.predicted_ttft_ms,
                           e.measured_e2e_ms, e.predicted_e2e_ms);
    return out;
}

std::string format_replay(const std::vector<ReplayResult>& rs) {
    std::string out;
    for (const auto& r : rs) {
        out += fmt::format("{}: {} requests replayed, {} compared (output {} tokens forced), {:.2f} s wall\n", r.name,
                           r.requests, r.compared, r.output_tokens, r.wall_s);
        out += fmt::format("  TTFT mean measured {:.2f} ms, predicted {:.2f} ms; per-request |error| p50/p90/p99 "
                           "{:.2f}/{:.2f}/{:.2f} ms, APE {:.1f}/{:.1f}/{:.1f}%\n",
                           r.ttft_mean_meas, r.ttft_mean_pred, r.ttft_abs_ms[0], r.ttft_abs_ms[1], r.ttft_abs_ms[2],
                           r.ttft_ape[0], r.ttft_ape[1], r.ttft_ape[2]);
        out += fmt::format("  E2E  mean measured {:.1f} ms, predicted {:.1f} ms; per-request |error| p50/p90/p99 "
                           "{:.1f}/{:.1f}/{:.1f} ms, APE {:.1f}/{:.1f}/{:.1f}%\n",
                           r.e2e_mean_meas, r.e2e_mean_pred, r.e2e_abs_ms[0], r.e2e_abs_ms[1], r.e2e_abs_ms[2],
                           r.e2e_ape[0], r.e2e_ape[1], r.e2e_ape[2]);
    }
    return out;
}

}  // namespace dynosim::framework
