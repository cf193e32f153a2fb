// File writes of the pipeline. Safety against killed processes comes from renames, not from fsync: outputs are
// written into a stage's private temporary folder and renamed into place, bookkeeping files go through a
// temporary name. No fsync (each costs ~10 ms on the dev machine, 20 per target would break the 50 ms
// overhead budget); a node crash (power loss) can therefore lose recent files but a killed process cannot
// leave a complete-looking partial one.
#pragma once

#include <filesystem>
#include <string>

#include "io/fasta.hpp"

namespace trifold::pipeline {

// Plain write (for files inside a stage's private temporary folder). Throws IoError.
void write_plain(const std::filesystem::path& path, const std::string& content);
// "<path>.tmp.<pid>" then rename onto path. Throws IoError.
void write_renamed(const std::filesystem::path& path, const std::string& content);

// create_directories for an output folder the user named (--out): a path that exists as a file, or one the OS
// refuses, is an IoError naming the option and the path (std::filesystem's own error reached main as an
// "unexpected failure").
void create_output_dir(const std::filesystem::path& dir, const std::string& option = "--out");

std::string format_a3m(const A3m& a3m);  // the text write_a3m writes

}  // namespace trifold::pipeline
