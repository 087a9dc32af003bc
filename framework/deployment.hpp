// Launch settings for a simulated deployment: a Dynamo deployment description (a DynamoGraphDeployment
// YAML: frontend with its router mode and weights, aggregated or prefill/decode workers with their
// replicas, TP and engine flags, and an SLA planner for disaggregated fleets) and the matching standalone
// engine command lines (`vllm serve`, `python3 -m sglang.launch_server`, `trtllm-serve`), one per worker
// pool. Written by `dynosim watch` for each recommendation; docs/deploy.md maps every flag to its key.
#pragma once
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace dynosim::framework {

struct DeploymentOptions {
    std::string name = "dynosim-recommended";  // metadata.name and the Dynamo namespace
    // Container image of the workers; empty = the Dynamo runtime image of the backend (placeholder tag).
    std::string image;
};

struct Deployment {
    std::string yaml;                 // DynamoGraphDeployment
    std::string engine_args;          // shell lines, one command per worker pool
    std::vector<std::string> notes;   // settings with no exact Dynamo equivalent, and what was written instead
};

// The Hugging Face id served for a built-in model name (a config path is passed through).
std::string served_model_id(const std::string& model);
Deployment make_deployment(const sim::scenario::ScenarioOptions& o, const DeploymentOptions& d = {});

}  // namespace dynosim::framework
