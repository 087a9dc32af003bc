// The ask/tell interface every search strategy is reached through: a type-erased value type (after
// pagmo2's `algorithm`). A strategy is a plain copyable class with ask(), tell() and name(); Optimizer owns
// it by value. ask() returns the next point to evaluate, or nullopt: "nothing to propose until more trials
// are told" while trials are pending, "finished" when none are. tell() gets every finished trial, in ask
// order. supports_pending() (optional, default false) says whether ask() may be called again before the
// previous points are told; the evaluator runs trials in parallel only then.
#pragma once
#include <concepts>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "optimizers/problem.hpp"

namespace dynosim::optimizers {

// Thrown by ask() when a strategy's proposal is unusable (an optimizer plugin answering NaN or an error
// status): the study records that one ask as a failed trial at `point()` (the proposal with each unusable
// coordinate at its dimension's low bound), tells the strategy so, and goes on.
class ProposalError : public std::runtime_error {
public:
    ProposalError(const std::string& what, Point point) : std::runtime_error(what), point_(std::move(point)) {}
    const Point& point() const { return point_; }

private:
    Point point_;
};

template <class T>
concept OptimizerImpl = std::copy_constructible<T> && requires(T opt, const T copt, const Trial& done) {
    { opt.ask() } -> std::same_as<std::optional<Point>>;
    opt.tell(done);
    { copt.name() } -> std::convertible_to<std::string_view>;
};

class Optimizer {
public:
    template <class T>
        requires(!std::same_as<T, Optimizer>) && OptimizerImpl<T>
    explicit Optimizer(T impl) : self_(std::make_unique<Model<T>>(std::move(impl))) {}
    Optimizer(const Optimizer& o) : self_(o.self_->clone()) {}
    Optimizer(Optimizer&&) noexcept = default;
    Optimizer& operator=(const Optimizer& o) {
        if (this != &o) self_ = o.self_->clone();
        return *this;
    }
    Optimizer& operator=(Optimizer&&) noexcept = default;

    std::optional<Point> ask() { return self_->ask(); }
    void tell(const Trial& done) { self_->tell(done); }
    std::string_view name() const { return self_->name(); }
    bool supports_pending() const { return self_->supports_pending(); }

    // The concrete strategy, or nullptr when it is another type (tests and reports).
    template <class T>
    T* extract() {
        auto* m = dynamic_cast<Model<T>*>(self_.get());
        return m ? &m->impl : nullptr;
    }

private:
    struct Base {
        virtual ~Base() = default;
        virtual std::unique_ptr<Base> clone() const = 0;
        virtual std::optional<Point> ask() = 0;
        virtual void tell(const Trial&) = 0;
        virtual std::string_view name() const = 0;
        virtual bool supports_pending() const = 0;
    };
    template <class T>
    struct Model final : Base {
        explicit Model(T i) : impl(std::move(i)) {}
        std::unique_ptr<Base> clone() const override { return std::make_unique<Model>(impl); }
        std::optional<Point> ask() override { return impl.ask(); }
        void tell(const Trial& t) override { impl.tell(t); }
        std::string_view name() const override { return impl.name(); }
        bool supports_pending() const override {
            if constexpr (requires { impl.supports_pending(); }) return impl.supports_pending();
            else return false;  // safe default: the evaluator serialises ask/tell
        }
        T impl;
    };
    std::unique_ptr<Base> self_;
};

}  // namespace dynosim::optimizers
