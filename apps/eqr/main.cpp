// The `eqr` tool: dispatches `eqr <command> [options]` to the registered subcommands (see shared CLI contract).
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "support/cli.hpp"
#include "eqr/backends/cpu/threads.hpp"
#include "eqr/config.hpp"

namespace {
void print_overview(std::ostream& out) {
  out << "eqr " << eqr::version << " — equivariant learned reconstruction\n\n"
      << "usage: eqr <command> [options]   (eqr <command> --help for its options)\n"
      << "global options: --threads N (cap worker threads; default: EQR_NUM_THREADS or all cores)\n\ncommands:\n";
  for (const auto& c : eqr::cli::commands()) out << "  " << c.name << std::string(14 - std::strlen(c.name), ' ') << c.summary << "\n";
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    print_overview(std::cout);
    return argc < 2 ? 2 : 0;
  }
  const std::string name = argv[1];
  const eqr::cli::Command* command = nullptr;
  for (const auto& c : eqr::cli::commands())
    if (name == c.name) command = &c;
  if (command == nullptr) {
    std::cerr << "eqr: unknown command '" << name << "'\n\n";
    print_overview(std::cerr);
    return 2;
  }
  eqr::cli::Args args(name, std::vector<std::string>(argv + 2, argv + argc));
  try {
    if (args.flag("help")) {
      std::cout << "usage: eqr " << command->name << " " << command->help << "\n";
      return 0;
    }
    const auto threads = args.integer("threads");
    if (threads && *threads < 1) throw eqr::cli::usage_error("--threads: expected a positive integer, found " + std::to_string(*threads));
    const eqr::cpu::ThreadLimit limit(threads ? static_cast<int>(*threads) : 0);
    return command->run(args);
  } catch (const eqr::cli::usage_error& e) {
    std::cerr << "eqr " << name << ": " << e.what() << "\n(see 'eqr " << name << " --help')\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "eqr " << name << ": error: " << e.what() << "\n";
    return 1;
  }
}
