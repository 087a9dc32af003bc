// Warm start: an optimizer wrapper that first proposes given points (a previous study's Pareto front, the
// deployment running now), then hands over to the wrapped optimizer. The seeded trials are not told to the
// wrapped optimizer (it never asked for them, and population methods map tells to their own asks); they
// count against the budget and enter the study's front like any trial. Tells arrive in ask order, so the
// first `seeds` tells are the seeds'.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "optimizers/optimizer.hpp"

namespace dynosim::framework {

class WarmStart {
public:
    // Duplicate seeds (equal after canonical()) are proposed once.
    WarmStart(optimizers::Optimizer inner, const optimizers::Space& space, const std::vector<optimizers::Point>& seeds)
        : inner_(std::move(inner)), name_("warm-start " + std::string(inner_.name())) {
        for (const auto& s : seeds) {
            optimizers::Point c = space.canonical(s);
            if (std::find(seeds_.begin(), seeds_.end(), c) == seeds_.end()) seeds_.push_back(std::move(c));
        }
    }
    std::optional<optimizers::Point> ask() {
        if (asked_ < seeds_.size()) return seeds_[asked_++];
        return inner_.ask();
    }
    void tell(const optimizers::Trial& t) {
        if (told_ < seeds_.size()) {
            ++told_;
            return;
        }
        inner_.tell(t);
    }
    std::string_view name() const { return name_; }
    // Seeds may be proposed before earlier ones are told; after them the wrapped optimizer decides.
    bool supports_pending() const { return inner_.supports_pending(); }

private:
    optimizers::Optimizer inner_;
    std::string name_;
    std::vector<optimizers::Point> seeds_;
    std::size_t asked_ = 0, told_ = 0;
};

}  // namespace dynosim::framework
