// Built-in search source: database loaded once per process, shared by the targets of a batch.
#include "pipeline/msa_builtin.hpp"

#include <map>
#include <sstream>

#include "io/error.hpp"
#include "io/log.hpp"
#include "msa/builtin_search.hpp"
#include "msa/database.hpp"
#include "msa/msa.hpp"

namespace trifold::pipeline {
namespace {

class BuiltinSearchSource final : public MsaSource {
 public:
  BuiltinSearchSource(fs::path db_path, msa::SequenceDb db) : path_(std::move(db_path)), db_(std::move(db)) {}
  std::string name() const override { return "builtin-search"; }
  std::string settings() const override {
    // Every option that changes the hits; the SIMD level does not (same scores on every kernel).
    std::ostringstream s;
    s.precision(17);
    const auto& p = opt_.prefilter;
    s << "db=" << path_.filename().string() << "\nmax_evalue=" << opt_.max_evalue << "\nmax_hits=" << opt_.max_hits
      << "\ngap_open=" << opt_.gaps.open << "\ngap_extend=" << opt_.gaps.extend << "\nword_threshold="
      << p.word_threshold << "\ntwo_hit_window=" << p.two_hit_window << "\nxdrop_ungapped=" << p.xdrop_ungapped
      << "\nmin_ungapped_score=" << p.min_ungapped_score << "\nmax_ungapped_evalue=" << p.max_ungapped_evalue
      << "\nmax_candidates=" << p.max_candidates << "\n";
    return s.str();
  }
  std::vector<StageInput> inputs() const override { return {{fs::absolute(path_), false}}; }
  A3m search(const std::string& id, const std::string& sequence) override {
    auto it = prefetched_.find({id, sequence});
    if (it != prefetched_.end()) {
      A3m a3m = std::move(it->second);
      prefetched_.erase(it);
      return a3m;
    }
    SequenceRecord q{id, "", sequence, 0};
    auto hits = msa::builtin_search(msa::encode_query(q), db_, opt_);
    return msa::hits_to_a3m(q, db_, hits);
  }
  // builtin_search_batch: up to 32 queries share one prefilter pass over the database (docs/msa.md); each
  // result equals builtin_search's. A query that fails to encode is left to its own search() (its error).
  void prefetch(const std::vector<std::pair<std::string, std::string>>& queries) override {
    prefetched_.clear();
    std::vector<SequenceRecord> recs;
    std::vector<std::vector<uint8_t>> codes;
    for (const auto& [id, seq] : queries) {
      SequenceRecord q{id, "", seq, 0};
      try {
        codes.push_back(msa::encode_query(q));
      } catch (const InputError&) {
        continue;
      }
      recs.push_back(std::move(q));
    }
    if (recs.size() < 2) return;  // nothing to share
    log::info("builtin search: ", recs.size(), " targets in one batched database scan");
    const auto hits = msa::builtin_search_batch(codes, db_, opt_);
    for (size_t i = 0; i < recs.size(); ++i)
      prefetched_[{recs[i].name, recs[i].sequence}] = msa::hits_to_a3m(recs[i], db_, hits[i]);
  }

 private:
  fs::path path_;
  msa::SequenceDb db_;
  msa::BuiltinOptions opt_;
  std::map<std::pair<std::string, std::string>, A3m> prefetched_;  // (id, sequence) -> alignment
};

// hhblits / jackhmmer / mmseqs2 through msa::build_msa (external programs; their own databases).
class ToolSearchSource final : public MsaSource {
 public:
  explicit ToolSearchSource(msa::MsaOptions o) : opt_(std::move(o)) {}
  std::string name() const override { return std::string("search-") + msa::tool_name(opt_.tool); }
  std::string settings() const override {
    // msa_cache_key covers the tool, every result-changing setting and the databases' path/size/mtime; the
    // query enters the stage fingerprint separately (query.fasta), so a fixed one is used here.
    return std::string("tool=") + msa::tool_name(opt_.tool) + "\nkey=" +
           msa::msa_cache_key(SequenceRecord{"q", "", "A", 0}, opt_) + "\n";
  }
  std::vector<StageInput> inputs() const override { return {}; }  // in the key above
  A3m search(const std::string& id, const std::string& sequence) override {
    return msa::build_msa(SequenceRecord{id, "", sequence, 0}, opt_).a3m;
  }

 private:
  msa::MsaOptions opt_;
};

}  // namespace

std::unique_ptr<MsaSource> make_builtin_search_source(const Settings& s) {
  msa::MsaTool tool = msa::parse_tool(s.msa_tool.empty() ? "builtin" : s.msa_tool);
  if (tool != msa::MsaTool::Builtin) {
    msa::MsaOptions o;
    o.tool = tool;
    o.databases = {s.db};
    o.cpu = s.threads;
    o.work_dir = s.msa_work_dir;
    return std::make_unique<ToolSearchSource>(std::move(o));
  }
  if (!fs::is_regular_file(s.db))
    throw InputError((fs::is_directory(s.db) ? "sequence database is a folder: " : "sequence database not found: ") +
                     s.db.string() + " (--db: a protein FASTA, optionally gzip)");
  return std::make_unique<BuiltinSearchSource>(s.db, msa::load_sequence_db(s.db));
}

}  // namespace trifold::pipeline
