// HMMER tblout and m8 hit table readers.
#include "msa/hit_tables.hpp"

#include <cstdlib>
#include <sstream>

#include "io/error.hpp"
#include "io/file_util.hpp"

namespace trifold::msa {

std::vector<TableHit> read_hmmer_tblout(const std::filesystem::path& path) {
  std::istringstream in(read_file(path));
  std::vector<TableHit> out;
  std::string line;
  long lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    std::string target, tacc, query, qacc, evalue;
    if (!(f >> target >> tacc >> query >> qacc >> evalue))
      throw InputError(located(path.string(), lineno, "malformed HMMER table row"));
    out.push_back({query, target, std::strtod(evalue.c_str(), nullptr)});
  }
  return out;
}

std::vector<TableHit> read_m8(const std::filesystem::path& path, int evalue_column) {
  std::istringstream in(read_file(path));
  std::vector<TableHit> out;
  std::string line;
  long lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty()) continue;
    std::vector<std::string> cols;
    std::istringstream f(line);
    std::string c;
    while (std::getline(f, c, '\t')) cols.push_back(c);
    if (static_cast<int>(cols.size()) <= evalue_column)
      throw InputError(located(path.string(), lineno, "m8 row has too few columns"));
    out.push_back({cols[0], cols[1], std::strtod(cols[evalue_column].c_str(), nullptr)});
  }
  return out;
}

}  // namespace trifold::msa
