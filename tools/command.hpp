// The `trifold` subcommand table and the options every subcommand shares.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace trifold::cli {

namespace po = boost::program_options;

struct Command {
  const char* name;
  const char* summary;                                   // one line for `trifold --help`
  int (*run)(const std::vector<std::string>& args);      // args exclude the program and subcommand names
};

// Every subcommand, in the order `trifold --help` lists them (tools/commands.cpp).
const std::vector<Command>& commands();

// Options shared by all subcommands: --threads, --verbose, --quiet, --help.
po::options_description common_options();

// Parses `args` against `visible` (plus positional names), applies the common options (log level, OpenMP
// threads) and returns the variables map. Returns false when --help was given (help already printed).
// Throws InputError for unknown or malformed options.
bool parse(const std::string& command, const std::string& usage, const std::vector<std::string>& args,
           const po::options_description& visible, const po::positional_options_description& positional,
           po::variables_map& vm);

// For commands that write one file after long work: refuses, before the work, an output that is a folder
// (InputError) or whose folder is missing or not writable (IoError). `option` names it in messages ("--out").
void check_output_file(const std::string& option, const std::string& path);

// "100,300,600" -> {100, 300, 600}. Every item must be a whole integer >= `min` (and fit an int); anything else
// (an empty list, "1x0", "300,", a negative) is an InputError naming `option` and the text.
std::vector<int> parse_int_list(const std::string& option, const std::string& text, int min);

}  // namespace trifold::cli
