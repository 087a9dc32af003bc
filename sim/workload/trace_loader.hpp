// Trace loaders: turn a recorded request trace into a Workload for replay. Two families are read:
// Mooncake JSONL (arrival ms, lengths, prefix-block hash ids) and Azure LLM CSV (wall-clock arrival,
// lengths, no prefix information; also Vidur's processed copy with relative seconds).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/workload/request.hpp"

namespace dynosim::sim::workload {

struct LoadOptions {
    // Trace format: "auto" (by extension .jsonl/.json -> mooncake, .csv -> azure, else by the first
    // non-blank character: '{' -> mooncake), "mooncake" or "azure". Default "auto".
    std::string format = "auto";
    // Tokens per entry of a Mooncake line's hash_ids, >= 1. Default 512 (Mooncake's block size).
    std::int32_t trace_block_tokens = 512;
    // When true, a malformed line is counted in Workload::skipped_lines and skipped instead of
    // failing the load. Default false.
    bool skip_bad_lines = false;

    // One message per bad field, shaped `<prefix><field> = <value>: <rule>`; empty when valid.
    std::vector<std::string> validate(const std::string& prefix = "workload.load.") const;
};

// Mooncake JSONL: one object per line with `timestamp` (ms, relative; int or float, >= 0),
// `input_length` and `output_length` (integers >= 1) and optional `hash_ids` (array of integers >= 0,
// one per trace_block_tokens tokens of the prompt, the last possibly partial). Other keys are ignored,
// except that an integer `session_id` (or `chat_id`) becomes Request::session_id. Blank lines are
// skipped. Errors read `<file>:<line>: field '<name>': <what is wrong>`. The result is finalized.
Workload load_mooncake_jsonl(const std::filesystem::path& path, const LoadOptions& opts = {});

// Azure LLM inference CSV, detected by its header: `TIMESTAMP,ContextTokens,GeneratedTokens` with
// wall-clock timestamps (`2023-11-16 18:17:03.9799600`, up to 9 fractional digits, parsed exactly to
// ns and re-based to the earliest row, which is the first row of the published traces), or Vidur's
// `arrived_at,num_prefill_tokens,num_decode_tokens` with relative seconds. Columns may come in any
// order; extra columns are ignored. Token counts must be integers >= 1 (the published traces hold no
// zero, so a zero is reported rather than silently changed). No prefix hashes. The result is finalized.
Workload load_azure_csv(const std::filesystem::path& path, const LoadOptions& opts = {});

// Dispatches on opts.format (see LoadOptions::format). Throws core::InputError for an unknown format,
// a missing file, or a malformed line (unless skip_bad_lines).
Workload load_trace(const std::filesystem::path& path, const LoadOptions& opts = {});

// The format load_trace would use for `path` under opts.format ("mooncake" or "azure").
std::string detect_trace_format(const std::filesystem::path& path, const std::string& format = "auto");

}  // namespace dynosim::sim::workload
