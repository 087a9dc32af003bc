#include <catch2/catch.hpp>
#include <vector>

#include "sim/core/simulation.hpp"

using namespace dynosim::sim::core;

namespace {
struct Recorder : Actor {
    std::vector<std::pair<TimeNs, std::uint64_t>> seen;
    void on_event(const Event& ev, Simulation& sim) override { seen.emplace_back(sim.now(), ev.payload); }
};
}  // namespace

TEST_CASE("events run in time order and same-time events in scheduling order", "[core]") {
    Simulation sim(1);
    Recorder r;
    const ActorId id = sim.add_actor(&r);
    sim.schedule_at(30, id, EventKind::Timer, 1);
    sim.schedule_at(10, id, EventKind::Timer, 2);
    sim.schedule_at(20, id, EventKind::Timer, 3);
    sim.schedule_at(10, id, EventKind::Timer, 4);
    sim.schedule_at(10, id, EventKind::Timer, 5);
    sim.run();
    const std::vector<std::pair<TimeNs, std::uint64_t>> want{{10, 2}, {10, 4}, {10, 5}, {20, 3}, {30, 1}};
    CHECK(r.seen == want);
}

TEST_CASE("a cancelled event is never delivered and the others still are", "[core]") {
    Simulation sim(1);
    Recorder r;
    const ActorId id = sim.add_actor(&r);
    sim.schedule_at(5, id, EventKind::Timer, 1);
    const EventHandle h = sim.schedule_at(5, id, EventKind::Timer, 2);
    sim.schedule_at(7, id, EventKind::Timer, 3);
    sim.cancel(h);
    sim.cancel(h);  // twice is harmless
    CHECK(sim.pending_events() == 2);
    sim.run();
    REQUIRE(r.seen.size() == 2);
    CHECK(r.seen[0].second == 1);
    CHECK(r.seen[1].second == 3);
}

TEST_CASE("run stops at the time limit and resumes where it left off", "[core]") {
    Simulation sim(1);
    Recorder r;
    const ActorId id = sim.add_actor(&r);
    for (int i = 0; i < 10; ++i) sim.schedule_at(i * 100, id, EventKind::Timer, static_cast<std::uint64_t>(i));
    sim.run(450);
    CHECK(r.seen.size() == 5);
    sim.run();
    CHECK(r.seen.size() == 10);
}

TEST_CASE("the seeded RNG repeats its stream for the same seed and differs for another", "[core]") {
    Rng a(42), b(42), c(43);
    bool differs = false;
    for (int i = 0; i < 100; ++i) {
        const auto x = a.next_u64();
        CHECK(x == b.next_u64());
        differs |= x != c.next_u64();
    }
    CHECK(differs);
    Rng g(7);
    double sum = 0;
    for (int i = 0; i < 20000; ++i) sum += g.exponential(2.0);
    CHECK(sum / 20000 == Approx(2.0).epsilon(0.05));
}
