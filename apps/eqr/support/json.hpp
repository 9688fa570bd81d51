/// @file apps/eqr/json.hpp
/// A minimal JSON writer for the tool's `--json` outputs (flat objects of strings, numbers and lists).
#pragma once

#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace eqr::cli {

/// Escapes a string as a JSON string literal (quotes included).
inline std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

/// A number as JSON (shortest round-trip precision; non-finite numbers become null, as JSON has no NaN).
inline std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream out;
  out << std::setprecision(std::numeric_limits<double>::max_digits10) << v;
  return out.str();
}

/// Builds one JSON object, key by key, in insertion order.
class JsonObject {
 public:
  JsonObject& add(const std::string& key, const std::string& v) { return raw(key, json_string(v)); }
  JsonObject& add(const std::string& key, const char* v) { return raw(key, json_string(v)); }
  JsonObject& add(const std::string& key, double v) { return raw(key, json_number(v)); }
  JsonObject& add(const std::string& key, int v) { return raw(key, std::to_string(v)); }
  JsonObject& add(const std::string& key, long v) { return raw(key, std::to_string(v)); }
  JsonObject& add(const std::string& key, bool v) { return raw(key, v ? "true" : "false"); }
  JsonObject& add(const std::string& key, const std::vector<std::string>& list) {
    std::string s = "[";
    for (std::size_t i = 0; i < list.size(); ++i) s += (i ? ", " : "") + json_string(list[i]);
    return raw(key, s + "]");
  }
  /// Adds an already-serialised JSON value (a nested object or array).
  JsonObject& raw(const std::string& key, const std::string& json) {
    body_ += (body_.empty() ? "" : ", ") + json_string(key) + ": " + json;
    return *this;
  }
  std::string str() const { return "{" + body_ + "}"; }

 private:
  std::string body_;
};

}  // namespace eqr::cli
