#include "framework/expression.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace dynosim::framework {

struct Expression::Node {
    enum Kind { Num, Str, Name, Unary, Binary } kind = Num;
    double num = 0;
    std::string text;  // string literal, name, or operator
    std::shared_ptr<const Node> a, b;
};

namespace {
using NodeP = std::shared_ptr<const Expression::Node>;

class Parser {
public:
    Parser(const std::string& s, std::vector<std::string>& names) : s_(s), names_(names) {}
    NodeP parse() {
        NodeP n = parse_or();
        skip();
        if (pos_ < s_.size()) fail("an operator");
        return n;
    }

private:
    [[noreturn]] void fail(const std::string& expected) const {
        throw std::invalid_argument(fmt::format("expression '{}': at offset {}: expected {}", s_, pos_, expected));
    }
    void skip() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    bool word(const std::string& w) {
        skip();
        if (s_.compare(pos_, w.size(), w) != 0) return false;
        const std::size_t end = pos_ + w.size();
        if (std::isalpha(static_cast<unsigned char>(w[0])) && end < s_.size() &&
            (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_' || s_[end] == '.'))
            return false;
        pos_ = end;
        return true;
    }
    static NodeP bin(std::string op, NodeP a, NodeP b) {
        auto n = std::make_shared<Expression::Node>();
        n->kind = Expression::Node::Binary;
        n->text = std::move(op);
        n->a = std::move(a);
        n->b = std::move(b);
        return n;
    }
    NodeP parse_or() {
        NodeP n = parse_and();
        while (word("or") || word("||")) n = bin("or", n, parse_and());
        return n;
    }
    NodeP parse_and() {
        NodeP n = parse_not();
        while (word("and") || word("&&")) n = bin("and", n, parse_not());
        return n;
    }
    NodeP parse_not() {
        if (word("not") || (!peek("!=") && word("!"))) {
            auto n = std::make_shared<Expression::Node>();
            n->kind = Expression::Node::Unary;
            n->text.assign("not", 3);
            n->a = parse_not();
            return n;
        }
        return parse_cmp();
    }
    bool peek(const std::string& w) {
        skip();
        return s_.compare(pos_, w.size(), w) == 0;
    }
    NodeP parse_cmp() {
        NodeP n = parse_add();
        for (const char* op : {"<=", ">=", "==", "!=", "<", ">"})
            if (word(op)) return bin(op, n, parse_add());
        return n;
    }
    NodeP parse_add() {
        NodeP n = parse_mul();
        while (true) {
            if (word("+")) n = bin("+", n, parse_mul());
            else if (word("-")) n = bin("-", n, parse_mul());
            else return n;
        }
    }
    NodeP parse_mul() {
        NodeP n = parse_unary();
        while (true) {
            if (word("*")) n = bin("*", n, parse_unary());
            else if (word("/")) n = bin("/", n, parse_unary());
            else if (word("%")) n = bin("%", n, parse_unary());
            else return n;
        }
    }
    NodeP parse_unary() {
        if (word("-")) {
            auto n = std::make_shared<Expression::Node>();
            n->kind = Expression::Node::Unary;
            n->text.assign(1, '-');
            n->a = parse_unary();
            return n;
        }
        return parse_atom();
    }
    NodeP parse_atom() {
        skip();
        auto n = std::make_shared<Expression::Node>();
        if (pos_ >= s_.size()) fail("a value");
        const char c = s_[pos_];
        if (c == '(') {
            ++pos_;
            NodeP inner = parse_or();
            if (!word(")")) fail("')'");
            return inner;
        }
        if (c == '\'' || c == '"') {
            const std::size_t end = s_.find(c, pos_ + 1);
            if (end == std::string::npos) fail("a closing quote");
            n->kind = Expression::Node::Str;
            n->text = s_.substr(pos_ + 1, end - pos_ - 1);
            pos_ = end + 1;
            return n;
        }
        if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
            std::size_t used = 0;
            n->num = std::stod(s_.substr(pos_), &used);
            pos_ += used;
            return n;
        }
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            std::size_t end = pos_;
            while (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_' || s_[end] == '.'))
                ++end;
            const std::string name = s_.substr(pos_, end - pos_);
            pos_ = end;
            if (name == "true" || name == "false") {
                n->num = name == "true" ? 1 : 0;
                return n;
            }
            n->kind = Expression::Node::Name;
            n->text = name;
            if (std::find(names_.begin(), names_.end(), name) == names_.end()) names_.push_back(name);
            return n;
        }
        fail("a number, a 'string', a name or '('");
    }

    const std::string& s_;
    std::vector<std::string>& names_;
    std::size_t pos_ = 0;
};

double num(const ExprValue& v, const std::string& op) {
    if (const double* d = std::get_if<double>(&v)) return *d;
    throw std::invalid_argument(fmt::format("operator {} needs numbers, got the string '{}'", op, std::get<std::string>(v)));
}
bool truthy(const ExprValue& v) {
    if (const double* d = std::get_if<double>(&v)) return *d != 0;
    return !std::get<std::string>(v).empty();
}

ExprValue eval_node(const Expression::Node& n, const std::function<ExprValue(const std::string&)>& resolve) {
    using N = Expression::Node;
    switch (n.kind) {
    case N::Num: return n.num;
    case N::Str: return n.text;
    case N::Name: return resolve(n.text);
    case N::Unary: {
        const ExprValue a = eval_node(*n.a, resolve);
        if (n.text == "not") return truthy(a) ? 0.0 : 1.0;
        return -num(a, "-");
    }
    case N::Binary: break;
    }
    const std::string& op = n.text;
    if (op == "and") return truthy(eval_node(*n.a, resolve)) && truthy(eval_node(*n.b, resolve)) ? 1.0 : 0.0;
    if (op == "or") return truthy(eval_node(*n.a, resolve)) || truthy(eval_node(*n.b, resolve)) ? 1.0 : 0.0;
    const ExprValue a = eval_node(*n.a, resolve), b = eval_node(*n.b, resolve);
    if (op == "==" || op == "!=") {
        bool eq;
        if (a.index() != b.index()) eq = false;
        else if (a.index() == 0) eq = std::abs(std::get<double>(a) - std::get<double>(b)) < 1e-9;
        else eq = std::get<std::string>(a) == std::get<std::string>(b);
        return (eq == (op == "==")) ? 1.0 : 0.0;
    }
    const double x = num(a, op), y = num(b, op);
    if (op == "<=") return x <= y ? 1.0 : 0.0;
    if (op == ">=") return x >= y ? 1.0 : 0.0;
    if (op == "<") return x < y ? 1.0 : 0.0;
    if (op == ">") return x > y ? 1.0 : 0.0;
    if (op == "+") return x + y;
    if (op == "-") return x - y;
    if (op == "*") return x * y;
    if (op == "/") return x / y;
    if (op == "%") return y == 0 ? std::nan("") : std::fmod(x, y);
    throw std::logic_error("unknown operator " + op);
}
}  // namespace

Expression::Expression(const std::string& text) : text_(text) {
    Parser p(text_, names_);
    root_ = p.parse();
}
Expression::Expression(const Expression&) = default;
Expression& Expression::operator=(const Expression&) = default;
Expression::~Expression() = default;

ExprValue Expression::eval(const std::function<ExprValue(const std::string&)>& resolve) const {
    return eval_node(*root_, resolve);
}

double Expression::violation(const std::function<ExprValue(const std::string&)>& resolve) const {
    const Node& n = *root_;
    if (n.kind == Node::Binary && (n.text == "<=" || n.text == ">=" || n.text == "<" || n.text == ">")) {
        const ExprValue a = eval_node(*n.a, resolve), b = eval_node(*n.b, resolve);
        const double x = num(a, n.text), y = num(b, n.text);
        const double scale = std::max(std::abs(y), 1.0);
        bool ok = n.text == "<=" ? x <= y : n.text == ">=" ? x >= y : n.text == "<" ? x < y : x > y;
        if (ok) return 0;
        return std::max(std::abs(x - y) / scale, 1e-9);
    }
    return truthy(eval_node(n, resolve)) ? 0.0 : 1.0;
}

}  // namespace dynosim::framework
