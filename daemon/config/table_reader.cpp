#include "config/table_reader.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace lwm2md {

namespace {

// "short-id", "shortId" and "SHORT_ID" all normalise to "shortid": close enough to suggest.
std::string normalised(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '_' || c == '-') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string integerMessage(std::int64_t min, std::int64_t max) {
  return fmt::format("must be an integer in {}..{}", min, max);
}

}  // namespace

std::uint32_t lineOf(const toml::node& node) {
  std::uint32_t line = node.source().begin.line;
  return line == 0 ? 1 : line;
}

void Diagnostics::add(std::uint32_t line, std::string_view key, std::string_view what) {
  issues_.push_back({line, fmt::format("{}:{}: key '{}': {}", file_, line, key, what)});
}

Error Diagnostics::toError() const {
  std::vector<Issue> sorted = issues_;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Issue& a, const Issue& b) { return a.line < b.line; });
  std::string message;
  for (const Issue& issue : sorted) {
    if (!message.empty()) message += '\n';
    message += issue.text;
  }
  return badRequest(std::move(message));
}

TableReader::TableReader(Diagnostics& diagnostics, const toml::table& table, std::string prefix)
    : diagnostics_(diagnostics), table_(table), prefix_(std::move(prefix)) {}

const toml::node* TableReader::get(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  return table_.get(key);
}

std::uint32_t TableReader::tableLine() const {
  return lwm2md::lineOf(table_);
}

std::uint32_t TableReader::lineOf(std::string_view key) const {
  const toml::node* node = table_.get(key);
  return node != nullptr ? lwm2md::lineOf(*node) : tableLine();
}

void TableReader::fail(std::string_view key, std::string_view what) {
  diagnostics_.add(lineOf(key), name(key), what);
}

std::optional<std::string> TableReader::string(std::string_view key) {
  const toml::node* node = get(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* s = node->as_string()) return s->get();
  fail(key, "must be a string");
  return std::nullopt;
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max) {
  const toml::node* node = get(key);
  if (node == nullptr) return std::nullopt;
  const auto* i = node->as_integer();
  if (i == nullptr || i->get() < min || i->get() > max) {
    fail(key, integerMessage(min, max));
    return std::nullopt;
  }
  return i->get();
}

std::optional<double> TableReader::number(std::string_view key, double min, double max) {
  const toml::node* node = get(key);
  if (node == nullptr) return std::nullopt;
  std::optional<double> value;
  if (const auto* f = node->as_floating_point()) value = f->get();
  if (const auto* i = node->as_integer()) value = static_cast<double>(i->get());
  // Written so that NaN fails too.
  if (!value || !(*value >= min && *value <= max)) {
    fail(key, fmt::format("must be a number in {}..{}", min, max));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> TableReader::boolean(std::string_view key) {
  const toml::node* node = get(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* b = node->as_boolean()) return b->get();
  fail(key, "must be true or false");
  return std::nullopt;
}

std::optional<std::vector<std::string>> TableReader::stringArray(std::string_view key) {
  const toml::node* node = get(key);
  if (node == nullptr) return std::nullopt;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    fail(key, "must be an array of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const auto* s = element.as_string();
    if (s == nullptr || s->get().empty()) {
      diagnostics_.add(lwm2md::lineOf(element), fmt::format("{}[{}]", name(key), i),
                       "must be a non-empty string");
      ok = false;
      continue;
    }
    out.push_back(s->get());
  }
  if (!ok) return std::nullopt;
  return out;
}

const toml::table* TableReader::table(std::string_view key) {
  const toml::node* node = get(key);
  if (node == nullptr) return nullptr;
  if (const auto* t = node->as_table()) return t;
  fail(key, fmt::format("must be a table ([{}])", name(key)));
  return nullptr;
}

std::string TableReader::suggestionFor(std::string_view unknown) const {
  const std::string wanted = normalised(unknown);
  for (const std::string& known : known_) {
    if (normalised(known) == wanted) return fmt::format(" (did you mean '{}'?)", known);
  }
  return {};
}

void TableReader::finish() {
  for (const auto& [key, node] : table_) {
    if (std::find(known_.begin(), known_.end(), key.str()) != known_.end()) continue;
    const char* what = node.is_table() ? "unknown table" : "unknown key";
    diagnostics_.add(lwm2md::lineOf(node), name(key.str()),
                     std::string(what) + suggestionFor(key.str()));
  }
}

}  // namespace lwm2md
