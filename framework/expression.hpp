// Constraint expressions of a study ("fleet.workers * hardware.tp <= 8", "model.num_kv_heads % hardware.tp
// == 0", "router.policy != 'random' or fleet.workers >= 2"): numbers, 'strings', true/false, dotted names,
// + - * / %, comparisons, and/or/not, parentheses. Parsed once; evaluated per candidate point with a
// resolver that supplies each name's value, so optimizers can screen thousands of candidates cheaply.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace dynosim::framework {

using ExprValue = std::variant<double, std::string>;

class Expression {
public:
    // Throws std::invalid_argument naming the offset and what was expected.
    explicit Expression(const std::string& text);
    Expression(const Expression&);
    Expression& operator=(const Expression&);
    ~Expression();
    // Every dotted name the expression reads.
    const std::vector<std::string>& names() const { return names_; }
    // Throws std::invalid_argument on a type mismatch (e.g. a string times a number).
    ExprValue eval(const std::function<ExprValue(const std::string&)>& resolve) const;
    // For a comparison at the top, how far it is from holding (0 when it holds; e.g. "a <= 8" with a = 10
    // gives 2 / max(|8|, 1)); for other expressions 0 when truthy, 1 when not.
    double violation(const std::function<ExprValue(const std::string&)>& resolve) const;
    const std::string& text() const { return text_; }

    struct Node;

private:
    std::string text_;
    std::shared_ptr<const Node> root_;
    std::vector<std::string> names_;
};

}  // namespace dynosim::framework
