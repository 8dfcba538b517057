#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "model/result.hpp"

namespace lwm2md {

/// Collects config problems as "FILE:LINE: key 'K': WHAT" so that one run reports every
/// mistake in a file, in file order, instead of making the user fix them one at a time.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void add(std::uint32_t line, std::string_view key, std::string_view what);
  bool empty() const { return issues_.empty(); }
  /// All problems, sorted by line, one per line of the message.
  Error toError() const;

 private:
  struct Issue {
    std::uint32_t line;
    std::string text;
  };
  std::string file_;
  std::vector<Issue> issues_;
};

/// Typed, checked access to one TOML table. Every key asked for is remembered as known, so
/// finish() can report the ones nobody asked for: a misspelt key must not silently fall back to
/// its default. Getters return nullopt when the key is absent or invalid (the latter reported).
class TableReader {
 public:
  /// `prefix` is how keys are named in messages: "" at the top, "server[1]." in a server.
  TableReader(Diagnostics& diagnostics, const toml::table& table, std::string prefix);

  /// The node, or nullptr if absent; marks the key as known.
  const toml::node* get(std::string_view key);
  bool has(std::string_view key) { return get(key) != nullptr; }

  std::optional<std::string> string(std::string_view key);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
  std::optional<double> number(std::string_view key, double min, double max);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::vector<std::string>> stringArray(std::string_view key);
  const toml::table* table(std::string_view key);

  /// Reports a problem with `key`: at its value's line, or the table's line when it is absent.
  void fail(std::string_view key, std::string_view what);
  /// Reports every key in the table that no getter asked for.
  void finish();

  std::string name(std::string_view key) const { return prefix_ + std::string(key); }
  std::uint32_t lineOf(std::string_view key) const;
  std::uint32_t tableLine() const;
  Diagnostics& diagnostics() { return diagnostics_; }

 private:
  std::string suggestionFor(std::string_view unknown) const;

  Diagnostics& diagnostics_;
  const toml::table& table_;
  std::string prefix_;
  std::vector<std::string> known_;
};

/// Line of a node in its document (1 when toml++ recorded none, e.g. for the root table).
std::uint32_t lineOf(const toml::node& node);

}  // namespace lwm2md
