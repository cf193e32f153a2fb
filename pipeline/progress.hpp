// Progress reporting: a single updating line on a terminal, plain log lines otherwise (batch jobs, pipes).
#pragma once

#include <memory>

#include "pipeline/stage.hpp"

namespace trifold::pipeline {

class BatchProgress : public Progress {
 public:
  virtual void target_started(size_t index, size_t total, const std::string& target) = 0;
  virtual void target_finished(const std::string& target, const std::string& state) = 0;
};

// A terminal display when stderr is a terminal (isatty) and plain log lines otherwise; `force_plain` always
// gives log lines.
std::unique_ptr<BatchProgress> make_progress(bool force_plain = false);

}  // namespace trifold::pipeline
