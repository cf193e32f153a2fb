// Built-in search source: database loaded once per process, shared by the targets of a batch.
#include "pipeline/msa_builtin.hpp"

#include <sstream>

#include "io/error.hpp"
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
    SequenceRecord q{id, "", sequence, 0};
    auto hits = msa::builtin_search(msa::encode_query(q), db_, opt_);
    return msa::hits_to_a3m(q, db_, hits);
  }

 private:
  fs::path path_;
  msa::SequenceDb db_;
  msa::BuiltinOptions opt_;
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
    throw InputError("sequence database not found: " + s.db.string() + " (--db: a protein FASTA, optionally gzip)");
  return std::make_unique<BuiltinSearchSource>(s.db, msa::load_sequence_db(s.db));
}

}  // namespace trifold::pipeline
