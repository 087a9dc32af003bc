#include "agent/history.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "sim/core/errors.hpp"

namespace dynosim::agent {

namespace {
std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == sep) {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    out.push_back(cur);
    return out;
}
std::string clean(std::string s) {
    for (char& c : s)
        if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    return s;
}
}  // namespace

std::vector<HistoryRow> read_history(const std::filesystem::path& tsv) {
    std::vector<HistoryRow> rows;
    std::ifstream in(tsv);
    if (!in) return rows;
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (n == 1 || line.empty()) continue;  // header
        const auto f = split(line, '\t');
        auto bad = [&](const std::string& what) {
            return sim::core::InputError(fmt::format("{}:{}: {}", tsv.string(), n, what));
        };
        if (f.size() != 8) throw bad(fmt::format("expected 8 tab-separated fields, found {}", f.size()));
        HistoryRow r;
        try {
            r.iteration = std::stoll(f[0]);
            r.commit = f[1];
            if (f[2] != "-") r.objective = std::stod(f[2]);
            if (!f[3].empty() && f[3] != "-")
                for (const auto& v : split(f[3], ';')) r.per_run.push_back(std::stod(v));
            r.verdict = f[4];
            r.build_s = std::stod(f[5]);
            r.eval_s = std::stod(f[6]);
            r.description = f[7];
        } catch (const std::exception&) {
            throw bad("a number field does not parse");
        }
        rows.push_back(r);
    }
    return rows;
}

void append_history(const std::filesystem::path& tsv, const std::string& metric, const HistoryRow& r) {
    const bool fresh = !std::filesystem::exists(tsv);
    std::ofstream out(tsv, std::ios::app);
    if (!out) throw sim::core::InputError(fmt::format("{}: cannot write", tsv.string()));
    if (fresh) out << fmt::format("iteration\tcommit\t{}\t{}_per_run\tverdict\tbuild_s\teval_s\tdescription\n", metric, metric);
    std::string per;
    for (double v : r.per_run) {
        if (!per.empty()) per += ';';
        per += fmt::format("{:.6g}", v);
    }
    out << fmt::format("{}\t{}\t{}\t{}\t{}\t{:.2f}\t{:.2f}\t{}\n", r.iteration, r.commit,
                       r.objective ? fmt::format("{:.6g}", *r.objective) : "-", per.empty() ? "-" : per, r.verdict,
                       r.build_s, r.eval_s, clean(r.description));
    out.flush();
    if (!out) throw sim::core::InputError(fmt::format("{}: cannot write", tsv.string()));
}

std::string format_history(const std::vector<HistoryRow>& rows, const std::string& metric, std::size_t last) {
    std::string s = fmt::format("{:>5} {:<10} {:>12} {:<12} {:>8} {:>8}  {}\n", "iter", "commit", metric, "verdict",
                                "build s", "eval s", "description");
    const std::size_t from = last > 0 && rows.size() > last ? rows.size() - last : 0;
    for (std::size_t i = from; i < rows.size(); ++i) {
        const HistoryRow& r = rows[i];
        s += fmt::format("{:>5} {:<10} {:>12} {:<12} {:>8.2f} {:>8.2f}  {}\n", r.iteration, r.commit.substr(0, 10),
                         r.objective ? fmt::format("{:.4f}", *r.objective) : "-", r.verdict, r.build_s, r.eval_s,
                         r.description);
    }
    return s;
}

std::string history_tail_tsv(const std::filesystem::path& tsv, std::size_t n) {
    std::ifstream in(tsv);
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    if (lines.empty()) return "(no history yet)\n";
    std::string s = lines[0] + "\n";
    const std::size_t from = lines.size() - 1 > n ? lines.size() - n : 1;
    for (std::size_t i = from; i < lines.size(); ++i) s += lines[i] + "\n";
    return s;
}

}  // namespace dynosim::agent
