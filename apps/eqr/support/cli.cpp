// The `eqr` tool's argument reader and command registry.
#include "support/cli.hpp"

#include <algorithm>

namespace eqr::cli {

Args::Args(std::string command, std::vector<std::string> tokens)
    : command_(std::move(command)), tokens_(std::move(tokens)), used_(tokens_.size(), false) {}

namespace {
/// The index of `--name` or `--name=...` among the unused tokens, or npos.
std::size_t find_option(const std::vector<std::string>& tokens, const std::vector<bool>& used,
                        const std::string& name) {
  const std::string bare = "--" + name, with_value = bare + "=";
  for (std::size_t i = 0; i < tokens.size(); ++i)
    if (!used[i] && (tokens[i] == bare || tokens[i].rfind(with_value, 0) == 0)) return i;
  return std::string::npos;
}
}  // namespace

bool Args::flag(const std::string& name) {
  const std::size_t i = find_option(tokens_, used_, name);
  if (i == std::string::npos) return false;
  if (tokens_[i] != "--" + name) throw usage_error("--" + name + " takes no value, found '" + tokens_[i] + "'");
  used_[i] = true;
  return true;
}

std::optional<std::string> Args::value(const std::string& name) {
  const std::size_t i = find_option(tokens_, used_, name);
  if (i == std::string::npos) return std::nullopt;
  used_[i] = true;
  const std::string& token = tokens_[i];
  if (token.size() > name.size() + 2) return token.substr(name.size() + 3);
  if (i + 1 >= tokens_.size() || used_[i + 1])
    throw usage_error("--" + name + " expects a value, found none");
  used_[i + 1] = true;
  return tokens_[i + 1];
}

std::string Args::required(const std::string& name) {
  auto v = value(name);
  if (!v) throw usage_error("missing required option --" + name);
  return *v;
}

long parse_integer(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  long v = 0;
  try {
    v = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw usage_error(what + ": expected an integer, found '" + text + "'");
  return v;
}

double parse_real(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw usage_error(what + ": expected a number, found '" + text + "'");
  return v;
}

std::optional<long> Args::integer(const std::string& name) {
  auto v = value(name);
  if (!v) return std::nullopt;
  return parse_integer(*v, "--" + name);
}

std::optional<double> Args::real(const std::string& name) {
  auto v = value(name);
  if (!v) return std::nullopt;
  return parse_real(*v, "--" + name);
}

long Args::integer(const std::string& name, long fallback) { return integer(name).value_or(fallback); }
double Args::real(const std::string& name, double fallback) { return real(name).value_or(fallback); }

std::optional<std::string> Args::positional() {
  for (std::size_t i = 0; i < tokens_.size(); ++i)
    if (!used_[i] && tokens_[i].rfind("--", 0) != 0) {
      used_[i] = true;
      return tokens_[i];
    }
  return std::nullopt;
}

void Args::finish() const {
  for (std::size_t i = 0; i < tokens_.size(); ++i)
    if (!used_[i]) throw usage_error("unknown or unexpected argument '" + tokens_[i] + "' for 'eqr " + command_ + "'");
}

namespace {
std::vector<Command>& registry() {
  static std::vector<Command> all;
  return all;
}
}  // namespace

bool register_command(const Command& command) {
  auto& all = registry();
  all.insert(std::upper_bound(all.begin(), all.end(), command,
                              [](const Command& a, const Command& b) { return std::string(a.name) < b.name; }),
             command);
  return true;
}

const std::vector<Command>& commands() { return registry(); }

}  // namespace eqr::cli
