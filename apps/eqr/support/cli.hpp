/// @file apps/eqr/cli.hpp
/// The `eqr` tool's small framework: a command registry and an argument reader that rejects unknown flags.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace eqr::cli {

/// A mistake on the command line (unknown flag, missing or malformed value); main prints it with usage.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The arguments of one subcommand.  Options are read by name (`--name value`, `--name=value`, or a bare
/// `--name` for booleans); `finish()` then rejects whatever was not read, so a misspelt flag is an error
/// rather than silently ignored.
class Args {
 public:
  Args(std::string command, std::vector<std::string> tokens);

  const std::string& command() const { return command_; }
  /// A boolean flag: true if `--name` is present.
  bool flag(const std::string& name);
  /// The string value of `--name`, if given.
  std::optional<std::string> value(const std::string& name);
  /// The value of a required option; throws usage_error naming it when missing.
  std::string required(const std::string& name);
  /// An integer / real option with a default; throws usage_error for a malformed number.
  long integer(const std::string& name, long fallback);
  double real(const std::string& name, double fallback);
  std::optional<long> integer(const std::string& name);
  std::optional<double> real(const std::string& name);
  /// The next positional (non-option) argument, if any.
  std::optional<std::string> positional();
  /// Throws usage_error for every argument that no call above consumed.
  void finish() const;

 private:
  std::string command_;
  std::vector<std::string> tokens_;
  std::vector<bool> used_;
};

/// One subcommand: its name, a one-line summary for `eqr --help`, its full help text, and its entry point.
struct Command {
  const char* name;
  const char* summary;
  const char* help;
  int (*run)(Args&);
};

/// Adds a command to the registry (call from a namespace-scope initialiser in the command's source file).
bool register_command(const Command& command);
/// All registered commands, sorted by name.
const std::vector<Command>& commands();

/// Parses a number, throwing usage_error that names `what` when the text is not entirely a number.
long parse_integer(const std::string& text, const std::string& what);
double parse_real(const std::string& text, const std::string& what);

}  // namespace eqr::cli
