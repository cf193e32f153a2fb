// Score formatting shared by `trifold score` and `trifold bench score`.
#include "tools/score_output.hpp"

#include <cstdio>
#include <sstream>
#include <string>

namespace trifold::cli {

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// "; 131 of them differ in amino acid: ..." when model and native disagree on residues they share.
std::string differing_note(int differing, int aligned, structure::MatchMode match) {
  if (differing == 0) return "";
  std::string note = "; " + std::to_string(differing) + " of them differ in amino acid";
  if (10 * differing > aligned)  // more than a few point mutations
    note += match == structure::MatchMode::ResidueNumber
                ? " (different proteins, or shifted numbering? --by-sequence pairs residues by alignment)"
                : " (different proteins?)";
  return note;
}

}  // namespace

const char* match_mode_name(structure::MatchMode m) {
  return m == structure::MatchMode::Sequence ? "sequence alignment" : "residue number";
}

void print_score_report(std::ostream& os, const std::string& model, const std::string& native,
                        const structure::PairScore& s, structure::MatchMode match, bool extended) {
  const auto& t = s.tm;
  const double L = t.native_length;
  os << "Model:   " << model << "  (" << t.model_length << " residues with CA)\n"
     << "Native:  " << native << "  (" << t.native_length << " residues with CA = L; all scores normalised by L)\n"
     << "Matched: " << t.aligned << " residues in common (by " << match_mode_name(match) << ")"
     << differing_note(s.differing_residues, t.aligned, match) << "\n"
     << "RMSD     = " << fmt("%.3f", t.rmsd_common) << " Å  (CA, all " << t.aligned
     << " common residues, optimal superposition)\n"
     << "TM-score = " << fmt("%.4f", t.tm_score) << "  (d0 = " << fmt("%.2f", t.d0) << " Å, L = " << t.native_length
     << ")\n"
     << "MaxSub   = " << fmt("%.4f", t.maxsub) << "  (d0 = 3.50 Å, L = " << t.native_length << ")\n"
     << "GDT-TS   = " << fmt("%.2f", 100 * t.gdt_ts) << "  (%d<=1/2/4/8 Å: " << fmt("%.2f", 100 * t.gdt_counts[1] / L)
     << " " << fmt("%.2f", 100 * t.gdt_counts[2] / L) << " " << fmt("%.2f", 100 * t.gdt_counts[3] / L) << " "
     << fmt("%.2f", 100 * t.gdt_counts[4] / L) << "; L = " << t.native_length << ")\n"
     << "GDT-HA   = " << fmt("%.2f", 100 * t.gdt_ha) << "  (%d<=0.5/1/2/4 Å: " << fmt("%.2f", 100 * t.gdt_counts[0] / L)
     << " " << fmt("%.2f", 100 * t.gdt_counts[1] / L) << " " << fmt("%.2f", 100 * t.gdt_counts[2] / L) << " "
     << fmt("%.2f", 100 * t.gdt_counts[3] / L) << "; L = " << t.native_length << ")\n"
     << (extended ? "GDT-TS*  = " + fmt("%.2f", 100 * t.gdt_ts_ext) + ", GDT-HA* = " + fmt("%.2f", 100 * t.gdt_ha_ext) +
                        "  (* extended per-cutoff search, LGA-like; L = " + std::to_string(t.native_length) + ")\n"
                  : std::string())
     << "lDDT     = " << fmt("%.4f", s.lddt.score) << "  (all heavy atoms, radius 15 Å, thresholds 0.5/1/2/4 Å; "
     << s.lddt.conserved << "/" << s.lddt.total << " distance-thresholds conserved; " << s.lddt.covered_residues
     << "/" << s.lddt.native_residues << " native residues in model)\n"
     << "lDDT-CA  = " << fmt("%.4f", s.lddt_ca.score) << "  (CA atoms only; " << s.lddt_ca.conserved << "/"
     << s.lddt_ca.total << ")\n";
}

std::string score_tsv_header() {
  return "model\tnative\tnative_length\tmodel_length\taligned\td0\ttm_score\tmaxsub\tgdt_ts\tgdt_ha\trmsd\tlddt\t"
         "lddt_ca\tlddt_covered\terror";
}

std::string score_tsv_row(const std::string& model, const std::string& native, const structure::PairScore& s) {
  const auto& t = s.tm;
  std::ostringstream o;
  o << model << '\t' << native << '\t' << t.native_length << '\t' << t.model_length << '\t' << t.aligned << '\t'
    << fmt("%.2f", t.d0) << '\t' << fmt("%.4f", t.tm_score) << '\t' << fmt("%.4f", t.maxsub) << '\t'
    << fmt("%.2f", 100 * t.gdt_ts) << '\t' << fmt("%.2f", 100 * t.gdt_ha) << '\t' << fmt("%.3f", t.rmsd_common)
    << '\t' << fmt("%.4f", s.lddt.score) << '\t' << fmt("%.4f", s.lddt_ca.score) << '\t' << s.lddt.covered_residues
    << '\t';
  return o.str();
}

void write_score_json(JsonWriter& j, const std::string& model, const std::string& native,
                      const structure::PairScore& s, bool per_residue, bool extended) {
  const auto& t = s.tm;
  j.begin_object();
  j.key("model").string(model);
  j.key("native").string(native);
  j.key("native_length").integer(t.native_length);
  j.key("model_length").integer(t.model_length);
  j.key("aligned").integer(t.aligned);
  j.key("differing_residues").integer(s.differing_residues);
  j.key("d0").number(t.d0, 4);
  j.key("tm_score").number(t.tm_score, 4);
  j.key("maxsub").number(t.maxsub, 4);
  j.key("gdt_ts").number(100 * t.gdt_ts, 2);
  j.key("gdt_ha").number(100 * t.gdt_ha, 2);
  j.key("gdt_counts").begin_object();
  const char* names[5] = {"0.5", "1", "2", "4", "8"};
  for (int c = 0; c < 5; ++c) j.key(names[c]).integer(t.gdt_counts[c]);
  j.end_object();
  if (extended) {
    j.key("gdt_ts_ext").number(100 * t.gdt_ts_ext, 2);
    j.key("gdt_ha_ext").number(100 * t.gdt_ha_ext, 2);
  }
  j.key("rmsd").number(t.rmsd_common, 3);
  j.key("lddt").number(s.lddt.score, 4);
  j.key("lddt_conserved").integer(s.lddt.conserved);
  j.key("lddt_total").integer(s.lddt.total);
  j.key("lddt_covered_residues").integer(s.lddt.covered_residues);
  j.key("lddt_native_residues").integer(s.lddt.native_residues);
  j.key("lddt_ca").number(s.lddt_ca.score, 4);
  if (per_residue) {
    j.key("per_residue").begin_array();
    for (size_t i = 0; i < s.lddt.residues.size(); ++i) {
      const auto& r = s.lddt.residues[i];
      j.begin_object();
      j.key("resname").string(r.name);
      j.key("resnum").integer(r.seqnum);
      if (r.icode != ' ') j.key("icode").string(std::string(1, r.icode));
      j.key("in_model").boolean(r.in_model);
      if (r.in_model) {
        j.key("lddt").number(r.score, 4);
        if (i < s.lddt_ca.residues.size()) j.key("lddt_ca").number(s.lddt_ca.residues[i].score, 4);
      } else {
        j.key("lddt").null();
      }
      j.end_object();
    }
    j.end_array();
  }
  j.end_object();
}

}  // namespace trifold::cli
