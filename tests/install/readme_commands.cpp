#include "readme_commands.hpp"

#include <cstddef>
#include <sstream>

namespace lwm2md::test {

namespace {

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

std::string trimLeft(const std::string& text) {
  const auto start = text.find_first_not_of(" \t");
  return start == std::string::npos ? std::string{} : text.substr(start);
}

/// The heading's level ("## X" -> 2), 0 for a line that is no heading.
std::size_t headingLevel(const std::string& line) {
  std::size_t level = 0;
  while (level < line.size() && line[level] == '#') ++level;
  return level > 0 && level < line.size() && line[level] == ' ' ? level : 0;
}

}  // namespace

std::vector<std::string> shellCommands(const std::string& markdown, const std::string& heading,
                                       const std::string& program) {
  std::vector<std::string> commands;
  const std::size_t level = headingLevel(heading);
  std::istringstream lines(markdown);
  std::string line;
  bool inSection = false;
  bool inFence = false;  // any fenced block: headings inside one are not headings
  bool inShell = false;  // a ```sh block
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (startsWith(trimLeft(line), "```")) {
      inShell = !inFence && trimLeft(line) == "```sh";
      inFence = !inFence;
      continue;
    }
    if (!inFence) {
      const std::size_t lineLevel = headingLevel(line);
      if (lineLevel > 0 && lineLevel <= level) inSection = line == heading;
      continue;
    }
    if (!inSection || !inShell) continue;
    const std::string command = trimLeft(line);
    if (command == program || startsWith(command, program + " ")) commands.push_back(command);
  }
  return commands;
}

std::optional<std::string> onBus(const std::string& command, const std::string& address) {
  std::string result = command;
  int found = 0;
  std::size_t pos = 0;
  // Word by word, so that a longer option such as --system-x is left alone; the rest of the
  // line stays byte for byte what the README shows.
  while (pos < result.size()) {
    const auto start = result.find_first_not_of(" \t", pos);
    if (start == std::string::npos) break;
    auto end = result.find_first_of(" \t", start);
    if (end == std::string::npos) end = result.size();
    const std::string word = result.substr(start, end - start);
    if (word == "--system" || word == "--user") {
      ++found;
      const std::string replacement = "--address=" + address;
      result.replace(start, end - start, replacement);
      end = start + replacement.size();
    }
    pos = end;
  }
  if (found != 1) return std::nullopt;
  return result;
}

}  // namespace lwm2md::test
