// Entry point of the `trifold` command: dispatches to a subcommand and turns exceptions into exit codes.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "io/error.hpp"
#include "tools/command.hpp"

namespace {

void print_usage(std::ostream& os) {
  os << "TriFold " << TRIFOLD_VERSION << ": protein structure prediction with the RoseTTAFold three-track network\n\n"
     << "usage: trifold <command> [options]   (trifold <command> --help for details)\n\ncommands:\n";
  for (const auto& c : trifold::cli::commands()) {
    std::string name = c.name;
    os << "  " << name << std::string(name.size() < 10 ? 10 - name.size() : 1, ' ') << c.summary << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  // OpenMP workers that spin after each parallel region (libgomp's default) take the cores that pthread
  // OpenBLAS's own threads need for the next product: the CPU e2e forward (full weights, L = N = 64) ran in 33 s
  // instead of 12.6 s on 2 cores, and ~30x slower CPU code was seen on 16. libgomp reads OMP_WAIT_POLICY when it
  // is loaded, before main, so set PASSIVE and execute this program once more (a policy the user set is kept;
  // if the re-execution fails, go on as before).
  if (!std::getenv("OMP_WAIT_POLICY") && setenv("OMP_WAIT_POLICY", "PASSIVE", 1) == 0) execv("/proc/self/exe", argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    print_usage(args.empty() ? std::cerr : std::cout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::cout << "trifold " << TRIFOLD_VERSION << "\n";
    return 0;
  }
  for (const auto& c : trifold::cli::commands()) {
    if (args[0] != c.name) continue;
    try {
      return c.run(std::vector<std::string>(args.begin() + 1, args.end()));
    } catch (const trifold::InputError& e) {
      std::cerr << "error: " << e.what() << "\n";
      return 2;
    } catch (const trifold::Error& e) {
      std::cerr << "error: " << e.what() << "\n";
      return 1;
    } catch (const std::bad_alloc&) {
      std::cerr << "error: out of memory\n";
      return 3;
    } catch (const std::exception& e) {
      std::cerr << "error: unexpected failure: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "error: unknown command '" << args[0] << "'\n\n";
  print_usage(std::cerr);
  return 2;
}
