// Shared option handling for the `trifold` subcommands.
#include "tools/command.hpp"

#include <omp.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

#include "io/error.hpp"
#include "io/log.hpp"

namespace trifold::cli {

po::options_description common_options() {
  po::options_description o("Common options");
  o.add_options()
      ("threads,t", po::value<int>()->default_value(0), "worker threads (0 = OMP_NUM_THREADS or all cores)")
      ("verbose,v", po::bool_switch(), "print debug messages")
      ("quiet,q", po::bool_switch(), "print only warnings and errors")
      ("help,h", po::bool_switch(), "show this help");
  return o;
}

bool parse(const std::string& command, const std::string& usage, const std::vector<std::string>& args,
           const po::options_description& visible, const po::positional_options_description& positional,
           po::variables_map& vm) {
  po::options_description all;
  all.add(visible).add(common_options());
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    if (vm["help"].as<bool>()) {
      std::cout << "usage: trifold " << command << " " << usage << "\n\n" << all << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError("trifold " + command + ": " + e.what() + " (see 'trifold " + command + " --help')");
  }
  if (vm["verbose"].as<bool>()) log::set_level(log::Level::Debug);
  if (vm["quiet"].as<bool>()) log::set_level(log::Level::Warn);
  int threads = vm["threads"].as<int>();
  if (threads < 0) throw InputError("--threads must be >= 0");
  // libgomp does not fail cleanly when it cannot start a team this large (--threads 100000 crashed with
  // SIGSEGV inside GOMP_parallel); no machine TriFold runs on has more cores than this.
  constexpr int kMaxThreads = 1024;
  if (threads > kMaxThreads)
    throw InputError("--threads " + std::to_string(threads) + ": at most " + std::to_string(kMaxThreads));
  if (threads > 0) omp_set_num_threads(threads);
  // The same limit when the count comes from OMP_NUM_THREADS (--threads 0).
  if (threads == 0 && omp_get_max_threads() > kMaxThreads) {
    const char* env = std::getenv("OMP_NUM_THREADS");
    throw InputError(std::string("OMP_NUM_THREADS=") + (env ? env : "?") + ": at most " +
                     std::to_string(kMaxThreads) + " threads (or give --threads N)");
  }
  return true;
}

void check_output_file(const std::string& option, const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::is_directory(path)) throw InputError(option + " " + path + ": is a folder; give the name of the file to write");
  const fs::path parent = fs::absolute(path).parent_path();
  if (!fs::is_directory(parent)) throw IoError(option + " " + path + ": the folder " + parent.string() + " does not exist");
  if (::access(parent.c_str(), W_OK) != 0)
    throw IoError(option + " " + path + ": cannot write in " + parent.string() + ": " + std::strerror(errno));
}

std::vector<int> parse_int_list(const std::string& option, const std::string& text, int min) {
  std::vector<int> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    int v = 0;
    const auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || p != item.data() + item.size() || v < min)
      throw InputError(option + " '" + text + "': expected integers >= " + std::to_string(min) +
                       " separated by commas, got '" + item + "'");
    out.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace trifold::cli
