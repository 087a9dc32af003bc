// The built-in offline proposer: one small, seeded, deterministic edit of the policy source per iteration,
// so the loop runs (and is tested) with no network. Edits happen only inside marked regions: the lines
// between a line containing "agent:begin" and one containing "agent:end" (when no file has markers, every
// line outside preprocessor directives). Comments, string and character literals are never touched.
// The edit is one of:
//   perturb   a numeric literal: a float is multiplied or divided by exp(0.1 + 0.4 |N(0,1)|) (at least
//             10%, 4 significant digits, still a float literal); an integer moves by +-max(1, 10..50% of
//             it), never below 0
//   flip      a comparison written with spaces ( < > <= >= ) to its mirror, or min <-> max
//   swap      the two operands of a binary - or / written with spaces, when both are simple terms, or two
//             different numeric literals of one region (coefficients trade places)
// Iteration i draws from Rng(hash_combine(seed, i)): the same seed gives the same sequence of edits. An
// edit already tried on the incumbent (ProposalContext::tried) is drawn again.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/proposer.hpp"

namespace dynosim::agent {

struct MutationSite {
    enum class Kind { Number, Compare, MinMax, SwapOperands } kind;
    std::string file;
    std::size_t begin = 0, end = 0;  // byte range of the token (SwapOperands: the whole "a - b")
    int line = 0;
    std::size_t region = 0;          // index of the marked region (for literal swaps)
};

// Every editable site of the sources, in file and position order.
std::vector<MutationSite> find_mutation_sites(const std::map<std::string, std::string>& sources);

class Mutator final : public Proposer {
public:
    explicit Mutator(std::uint64_t seed) : seed_(seed) {}
    // ProposerError when the sources have no editable site.
    Proposal propose(const ProposalContext& c) override;

private:
    std::uint64_t seed_;
};

}  // namespace dynosim::agent
