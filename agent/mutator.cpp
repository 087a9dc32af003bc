#include "agent/mutator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "sim/core/rng.hpp"

namespace dynosim::agent {

namespace {

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Marks, per byte, whether it is code an edit may touch (inside a region, outside comments and literals),
// and the region index of each byte.
struct CodeMask {
    std::vector<char> code;
    std::vector<std::size_t> region;
    std::vector<int> line;
};

CodeMask mask(const std::string& s, bool use_markers) {
    CodeMask m{std::vector<char>(s.size(), 0), std::vector<std::size_t>(s.size(), 0), std::vector<int>(s.size(), 0)};
    bool in_region = !use_markers;
    std::size_t region = 0;
    int line = 1;
    std::size_t i = 0;
    bool line_start = true, preproc = false;
    while (i < s.size()) {
        const char c = s[i];
        m.line[i] = line;
        if (c == '\n') {
            ++line;
            line_start = true;
            preproc = false;
            ++i;
            continue;
        }
        if (line_start && !std::isspace(static_cast<unsigned char>(c))) {
            line_start = false;
            preproc = c == '#';
        }
        if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {  // line comment: may hold a marker
            std::size_t e = s.find('\n', i);
            if (e == std::string::npos) e = s.size();
            const std::string comment = s.substr(i, e - i);
            if (use_markers && comment.find("agent:begin") != std::string::npos) {
                in_region = true;
                ++region;
            } else if (use_markers && comment.find("agent:end") != std::string::npos) {
                in_region = false;
            }
            for (std::size_t k = i; k < e; ++k) m.line[k] = line;
            i = e;
            continue;
        }
        if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
            std::size_t e = s.find("*/", i + 2);
            e = e == std::string::npos ? s.size() : e + 2;
            for (std::size_t k = i; k < e; ++k) {
                m.line[k] = line;
                if (s[k] == '\n') ++line;
            }
            i = e;
            continue;
        }
        if (c == '"' || c == '\'') {  // string / char literal (raw strings are not expected in policies)
            std::size_t k = i + 1;
            while (k < s.size() && s[k] != c && s[k] != '\n') k += s[k] == '\\' ? 2 : 1;
            for (std::size_t j = i; j <= k && j < s.size(); ++j) m.line[j] = line;
            i = k + 1;
            continue;
        }
        if (in_region && !preproc) {
            m.code[i] = 1;
            m.region[i] = region;
        }
        ++i;
    }
    return m;
}

bool all_code(const CodeMask& m, std::size_t b, std::size_t e) {
    for (std::size_t k = b; k < e; ++k)
        if (!m.code[k]) return false;
    return true;
}

// A simple term: identifier chain (a.b, a::b, a->b) possibly ending in "()", or a numeric literal.
std::size_t term_end(const std::string& s, std::size_t i) {
    std::size_t k = i;
    while (k < s.size()) {
        if (ident_char(s[k])) ++k;
        else if (s[k] == '.' || (s[k] == ':' && k + 1 < s.size() && s[k + 1] == ':')) k += s[k] == ':' ? 2 : 1;
        else break;
    }
    if (k + 1 < s.size() && s[k] == '(' && s[k + 1] == ')') k += 2;
    return k;
}
std::size_t term_begin(const std::string& s, std::size_t e) {  // e: one past the term's last char
    std::size_t k = e;
    if (k >= 2 && s[k - 1] == ')' && s[k - 2] == '(') k -= 2;
    while (k > 0) {
        if (ident_char(s[k - 1]) || s[k - 1] == '.') --k;
        else if (k >= 2 && s[k - 1] == ':' && s[k - 2] == ':') k -= 2;
        else break;
    }
    return k;
}

bool is_number_start(const std::string& s, std::size_t i) {
    return std::isdigit(static_cast<unsigned char>(s[i])) && (i == 0 || (!ident_char(s[i - 1]) && s[i - 1] != '.'));
}
std::size_t number_end(const std::string& s, std::size_t i) {
    std::size_t k = i;
    if (s.compare(i, 2, "0x") == 0 || s.compare(i, 2, "0X") == 0) {  // hex: kept as one token, not edited
        k += 2;
        while (k < s.size() && std::isxdigit(static_cast<unsigned char>(s[k]))) ++k;
        return k;
    }
    while (k < s.size() && (std::isdigit(static_cast<unsigned char>(s[k])) || s[k] == '.' || s[k] == '\'')) ++k;
    if (k < s.size() && (s[k] == 'e' || s[k] == 'E')) {
        ++k;
        if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
        while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) ++k;
    }
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) ++k;  // suffix (u, l, f)
    return k;
}
bool is_float_literal(const std::string& t) {
    return t.find('.') != std::string::npos || t.find('e') != std::string::npos || t.find('E') != std::string::npos;
}

std::string perturb_number(const std::string& tok, sim::core::Rng& rng) {
    std::size_t body = tok.size();
    while (body > 0 && std::isalpha(static_cast<unsigned char>(tok[body - 1])) && tok[body - 1] != 'e' &&
           tok[body - 1] != 'E')
        --body;
    const std::string suffix = tok.substr(body);
    const std::string num = tok.substr(0, body);
    if (is_float_literal(num)) {
        double v = std::strtod(num.c_str(), nullptr);
        if (v == 0) v = 0.1;
        // log-step of at least 0.1 (a 10% move) so no iteration is spent on a change below the noise
        const double step = 0.1 + 0.4 * std::abs(rng.normal());
        const double nv = v * std::exp(rng.below(2) == 0 ? step : -step);
        std::string out = fmt::format("{:.4g}", nv);
        if (out.find_first_of(".e") == std::string::npos) out += ".0";
        return out + suffix;
    }
    const long long v = std::strtoll(num.c_str(), nullptr, 10);
    const long long step = std::max<long long>(1, std::llround(static_cast<double>(v) * rng.uniform(0.1, 0.5)));
    long long nv = rng.below(2) == 0 ? v + step : v - step;
    if (nv < 0) nv = v + step;
    return std::to_string(nv) + suffix;
}

}  // namespace

std::vector<MutationSite> find_mutation_sites(const std::map<std::string, std::string>& sources) {
    bool any_marker = false;
    for (const auto& [f, s] : sources) any_marker = any_marker || s.find("agent:begin") != std::string::npos;
    std::vector<MutationSite> out;
    std::size_t region_base = 0;
    for (const auto& [file, s] : sources) {
        const CodeMask m = mask(s, any_marker);
        std::size_t max_region = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (!m.code[i]) continue;
            max_region = std::max(max_region, m.region[i]);
            const std::size_t reg = region_base + m.region[i];
            if (is_number_start(s, i)) {
                const std::size_t e = number_end(s, i);
                const std::string tok = s.substr(i, e - i);
                if (all_code(m, i, e) && tok.find_first_of("xX'") == std::string::npos)
                    out.push_back({MutationSite::Kind::Number, file, i, e, m.line[i], reg});
                i = e - 1;
                continue;
            }
            // " < ", " > ", " <= ", " >= " (spaces on both sides: not templates, shifts or arrows)
            if (i > 0 && s[i - 1] == ' ' && (s[i] == '<' || s[i] == '>')) {
                const std::size_t len = (i + 1 < s.size() && s[i + 1] == '=') ? 2 : 1;
                if (i + len < s.size() && s[i + len] == ' ' && all_code(m, i, i + len))
                    out.push_back({MutationSite::Kind::Compare, file, i, i + len, m.line[i], reg});
                i += len - 1;
                continue;
            }
            if ((s.compare(i, 3, "min") == 0 || s.compare(i, 3, "max") == 0) && (i == 0 || !ident_char(s[i - 1])) &&
                i + 3 < s.size() && (s[i + 3] == '(' || s[i + 3] == '<')) {
                out.push_back({MutationSite::Kind::MinMax, file, i, i + 3, m.line[i], reg});
                i += 2;
                continue;
            }
            if (i > 0 && i + 2 < s.size() && s[i - 1] == ' ' && s[i + 1] == ' ' && (s[i] == '-' || s[i] == '/') &&
                (i < 2 || (s[i - 2] != '=' && s[i - 2] != '(' && s[i - 2] != ','))) {
                const std::size_t le = i - 1, lb = term_begin(s, le);
                const std::size_t rb = i + 2, re = term_end(s, rb);
                const bool lhs_ok = lb < le && (lb == 0 || !(ident_char(s[lb - 1]) || s[lb - 1] == ')' || s[lb - 1] == ']'));
                const bool rhs_ok = re > rb && (re >= s.size() || (s[re] != '(' && s[re] != '[' && s[re] != '.'));
                // operands bound tighter than the operator: nothing multiplies or divides them from outside
                const bool tight_left = lb < 2 || (s[lb - 1] != ' ' || (s[lb - 2] != '*' && s[lb - 2] != '/'));
                const bool tight_right = re + 1 >= s.size() || s[re] != ' ' || (s[re + 1] != '*' && s[re + 1] != '/');
                if (lhs_ok && rhs_ok && tight_left && tight_right && all_code(m, lb, re) &&
                    s.substr(lb, le - lb) != s.substr(rb, re - rb))
                    out.push_back({MutationSite::Kind::SwapOperands, file, lb, re, m.line[i], reg});
            }
        }
        region_base += max_region + 1;
    }
    return out;
}

Proposal Mutator::propose(const ProposalContext& c) {
    const std::vector<MutationSite> sites = find_mutation_sites(c.sources);
    if (sites.empty())
        throw ProposerError("the built-in mutator found nothing to edit: mark the tunable code with '// agent:begin' "
                            "and '// agent:end' lines (numbers, comparisons, min/max, a - b terms)");
    sim::core::Rng rng(sim::core::hash_combine(seed_, static_cast<std::uint64_t>(c.iteration)));
    // Numbers weigh 3 (tuning constants is the most common useful edit), every other site 1; a literal
    // swap is drawn as a Number site with probability 1/4 when its region has another literal.
    std::vector<std::size_t> pool;
    for (std::size_t i = 0; i < sites.size(); ++i)
        for (int w = 0; w < (sites[i].kind == MutationSite::Kind::Number ? 3 : 1); ++w) pool.push_back(i);
    for (int attempt = 0; attempt < 32; ++attempt) {
        const MutationSite& site = sites[pool[rng.below(pool.size())]];
        std::string text = c.sources.at(site.file);
        const std::string tok = text.substr(site.begin, site.end - site.begin);
        std::string repl, what;
        switch (site.kind) {
            case MutationSite::Kind::Number: {
                std::vector<const MutationSite*> mates;
                for (const auto& o : sites)
                    if (o.kind == MutationSite::Kind::Number && o.region == site.region && o.file == site.file &&
                        o.begin != site.begin && c.sources.at(o.file).substr(o.begin, o.end - o.begin) != tok)
                        mates.push_back(&o);
                if (!mates.empty() && rng.below(4) == 0) {
                    const MutationSite& o = *mates[rng.below(mates.size())];
                    const std::string other = text.substr(o.begin, o.end - o.begin);
                    // replace the later one first so the earlier offsets stay valid
                    const MutationSite& a = site.begin < o.begin ? site : o;
                    const MutationSite& b = site.begin < o.begin ? o : site;
                    const std::string ta = text.substr(a.begin, a.end - a.begin), tb = text.substr(b.begin, b.end - b.begin);
                    text.replace(b.begin, b.end - b.begin, ta);
                    text.replace(a.begin, a.end - a.begin, tb);
                    Proposal p;
                    p.description = fmt::format("swap {} ({}:{}) and {} ({}:{})", ta, site.file, a.line, tb, site.file, b.line);
                    if (std::find(c.tried.begin(), c.tried.end(), p.description) != c.tried.end()) continue;
                    p.files[site.file] = text;
                    return p;
                }
                repl = perturb_number(tok, rng);
                what = "perturb";
                break;
            }
            case MutationSite::Kind::Compare:
                repl = tok == "<" ? ">" : tok == ">" ? "<" : tok == "<=" ? ">=" : "<=";
                what = "flip";
                break;
            case MutationSite::Kind::MinMax:
                repl = tok == "min" ? "max" : "min";
                what = "flip";
                break;
            case MutationSite::Kind::SwapOperands: {
                const std::size_t op = tok.find(tok.find(" - ") != std::string::npos ? " - " : " / ");
                repl = tok.substr(op + 3) + tok.substr(op, 3) + tok.substr(0, op);
                what = "swap";
                break;
            }
        }
        if (repl == tok) continue;
        text.replace(site.begin, site.end - site.begin, repl);
        Proposal p;
        p.description = fmt::format("{} {} -> {} ({}:{})", what, tok, repl, site.file, site.line);
        if (std::find(c.tried.begin(), c.tried.end(), p.description) != c.tried.end()) continue;
        p.files[site.file] = text;
        return p;
    }
    throw ProposerError("the built-in mutator drew 32 edits that change nothing or were tried already on this "
                        "incumbent; widen the marked regions");
}

}  // namespace dynosim::agent
