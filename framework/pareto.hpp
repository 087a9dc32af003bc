// Pareto fronts of minimization vectors: non-dominated sorting (Deb's fast sort, O(M N^2)) and the
// hypervolume a front dominates up to a reference point: exact sweeps for 2 objectives (O(N log N)) and 3
// (slices along the third, O(N^2 log N)); pagmo2's exact algorithms (WFG and friends) beyond. 1 objective:
// the length ref - best. The default reference point is documented in docs/studies.md: per objective, the
// worst value among the points plus 10% of their range (1 where the range is 0), so every point counts.
#pragma once
#include <cstddef>
#include <vector>

namespace dynosim::framework {

using Vec = std::vector<double>;

// a dominates b: no worse in every objective and better in one (minimization).
bool dominates(const Vec& a, const Vec& b);
// Front index of every point (0 = non-dominated).
std::vector<std::size_t> non_dominated_ranks(const std::vector<Vec>& points);
// Indices of the non-dominated points, in input order.
std::vector<std::size_t> pareto_front(const std::vector<Vec>& points);
// Volume dominated by the points and bounded by `ref`; points not strictly better than ref in every
// objective add nothing.
double hypervolume(const std::vector<Vec>& points, const Vec& ref);
// Worst value + 10% of the range per objective (+1 when the range is 0). Empty for no points.
Vec default_reference(const std::vector<Vec>& points);

}  // namespace dynosim::framework
