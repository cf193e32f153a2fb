// One target end to end: validation, config.json, the stages (input → msa → predict), timings, done marker.
#pragma once

#include <memory>

#include "pipeline/method.hpp"
#include "pipeline/stage.hpp"
#include "pipeline/target.hpp"

namespace trifold::pipeline {

// What a target run needs besides its settings; shared by the targets of a batch.
struct Resources {
  std::shared_ptr<MsaSource> search;  // the built-in search; null when the batch has no --db
  std::shared_ptr<Method> method;     // null when settings.stop_after stops before "predict"
};

// Builds the resources for `settings`, failing fast (InputError) on a missing database, weights, or method.
// `need_search` is false when every target brings its own alignment.
Resources make_resources(const Settings& settings, bool need_search);

// The stages for `target` (the MSA source is the target's own alignment when it has one).
std::vector<std::unique_ptr<Stage>> make_stages(const Target& target, const Resources& resources);

// config.json content: every setting, the TriFold version, the method and MSA source.
std::string config_json(const Target& target, const Settings& settings, const Resources& resources);

// Validates the target, writes config.json, runs the stages in `workdir`, then timings.json and the done
// marker (see run_stages). Throws InputError for a bad target before creating any output.
RunReport run_target(const Target& target, const Settings& settings, const Resources& resources,
                     const fs::path& workdir, Progress* progress);

}  // namespace trifold::pipeline
