// Load predictors of the SLA planner (Dynamo's planner/core/load/predictors.py): each sees one value per
// adjustment interval (request count, mean ISL or mean OSL) and forecasts the next interval's. Leading
// zeros (idle time before the first traffic) are skipped; non-finite values count as 0; forecasts are >= 0.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dynosim::sim::fleet {

struct PredictorOptions {
    std::string kind = "kalman";  // constant, moving_average, holt, kalman
    std::int32_t window = 5;      // moving_average
    double holt_alpha = 0.5, holt_beta = 0.3;
    double q_level = 1.0, q_trend = 0.1, r = 10.0;  // kalman
};

class LoadPredictor {
public:
    virtual ~LoadPredictor() = default;
    void observe(double y);
    // Forecast of the next value; 0 before any (non-leading-zero) observation.
    double predict() const;
    std::int64_t observations() const { return n_; }

protected:
    virtual void add(double y) = 0;
    virtual double forecast() const = 0;

private:
    std::int64_t n_ = 0;
};

// The next value is the last one.
class ConstantPredictor final : public LoadPredictor {
    void add(double y) override { last_ = y; }
    double forecast() const override { return last_; }
    double last_ = 0;
};

// Mean of the last `window` values (a ring of fixed size).
class MovingAveragePredictor final : public LoadPredictor {
public:
    explicit MovingAveragePredictor(std::int32_t window) : ring_(static_cast<std::size_t>(window), 0.0) {}

private:
    void add(double y) override;
    double forecast() const override;
    std::vector<double> ring_;
    std::size_t next_ = 0, filled_ = 0;
};

// Holt's linear trend (double exponential smoothing): level l, trend b; forecast l + b.
class HoltPredictor final : public LoadPredictor {
public:
    HoltPredictor(double alpha, double beta) : alpha_(alpha), beta_(beta) {}

private:
    void add(double y) override;
    double forecast() const override { return level_ + trend_; }
    double alpha_, beta_;
    double level_ = 0, trend_ = 0;
    std::int32_t seen_ = 0;
};

// Dynamo's Kalman predictor: 2-state local linear trend, F = [[1,1],[0,1]], H = [1,0], Q = diag(q_level,
// q_trend), R = r, P0 = 1000 I, initialised at the first observation; forecast = the predicted level.
class KalmanPredictor final : public LoadPredictor {
public:
    KalmanPredictor(double q_level, double q_trend, double r) : ql_(q_level), qt_(q_trend), r_(r) {}

private:
    void add(double y) override;
    double forecast() const override { return level_ + trend_; }
    double ql_, qt_, r_;
    double level_ = 0, trend_ = 0;
    double p00_ = 1000, p01_ = 0, p11_ = 1000;
    bool init_ = false;
};

std::unique_ptr<LoadPredictor> make_predictor(const PredictorOptions& o);

}  // namespace dynosim::sim::fleet
