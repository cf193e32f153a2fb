// The tables of prediction methods and MSA sources compiled into this build, and the given-A3M source.
#include <algorithm>
#include <string>

#include "io/error.hpp"
#include "pipeline/method.hpp"
#include "pipeline/method_coevolution.hpp"
#include "pipeline/method_network.hpp"
#include "pipeline/msa_builtin.hpp"

namespace trifold::pipeline {
namespace {

class GivenA3mSource final : public MsaSource {
 public:
  explicit GivenA3mSource(fs::path p) : path_(std::move(p)) {}
  std::string name() const override { return "given-a3m"; }
  std::string settings() const override { return "a3m=" + path_.filename().string() + "\n"; }
  std::vector<StageInput> inputs() const override { return {{fs::absolute(path_), true}}; }
  A3m search(const std::string& id, const std::string& sequence) override {
    A3m a = read_a3m(path_);
    std::string q = a.aligned(0);
    if (q != sequence) {
      // Name the first difference: two 20-residue sequences that differ in one letter gave no clue where.
      const size_t n = std::min(q.size(), sequence.size());
      size_t i = 0;
      while (i < n && q[i] == sequence[i]) ++i;
      std::string where = "; one is a prefix of the other";
      if (i < n) {
        where = "; first difference at residue " + std::to_string(i + 1) + ": '";
        where.append(1, q[i]).append("' in the alignment, '").append(1, sequence[i]).append("' in the sequence");
      }
      throw InputError(path_.string() + ": the alignment's first row (" + std::to_string(q.size()) +
                       " residues) is not the sequence of target '" + id + "' (" + std::to_string(sequence.size()) +
                       " residues)" + where);
    }
    return a;
  }

 private:
  fs::path path_;
};

}  // namespace

const std::vector<MethodInfo>& methods() {
  static const std::vector<MethodInfo> table = {
      {"coevolution", "MSA coevolution (Potts) contacts folded with restraints; no weights needed",
       make_coevolution_method},
      {"network", "RoseTTAFold v1 e2e network (CPU): refined backbone with predicted lDDT; needs --weights",
       make_network_method},
  };
  return table;
}

std::unique_ptr<Method> make_method(const Settings& settings) {
  std::string name = resolved_method(settings);
  std::string available;
  for (const auto& m : methods()) {
    if (name == m.name) return m.make(settings);
    available += (available.empty() ? "" : ", ") + std::string(m.name);
  }
  if (name == "network")
    throw InputError("the network method is not available yet in this build (available: " +
                     (available.empty() ? std::string("none") : available) + ")");
  if (name == "coevolution")
    throw InputError("the coevolution method is not part of this build (available: " +
                     (available.empty() ? std::string("none") : available) + ")");
  throw InputError("unknown method '" + name + "' (available: " + (available.empty() ? std::string("none") : available) + ")");
}

std::unique_ptr<MsaSource> make_search_source(const Settings& settings) {
  if (settings.db.empty())
    throw InputError("no MSA: give --db DB for the built-in MSA search, or --a3m FILE with an alignment");
  return make_builtin_search_source(settings);
}

std::unique_ptr<MsaSource> make_given_a3m_source(const fs::path& a3m) {
  if (!fs::is_regular_file(a3m)) throw InputError("alignment file not found: " + a3m.string());
  return std::make_unique<GivenA3mSource>(a3m);
}

}  // namespace trifold::pipeline
