#include "proc_stats.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace lwm2md::bench {

namespace {

std::string procPath(pid_t pid, const std::string& file) {
  return "/proc/" + std::to_string(pid) + "/" + file;
}

// "Key:   1234 kB" -> 1234 for the key, or -1 when the line is another key.
long kibField(const std::string& line, const std::string& key) {
  if (line.compare(0, key.size(), key) != 0 || line.size() <= key.size() || line[key.size()] != ':')
    return -1;
  return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
}

std::string firstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

std::optional<MemoryFigures> readMemory(pid_t pid) {
  MemoryFigures figures;
  bool haveRss = false;
  bool haveRollup = false;
  {
    std::ifstream status(procPath(pid, "status"));
    for (std::string line; std::getline(status, line);) {
      if (long v = kibField(line, "VmRSS"); v >= 0) {
        figures.vmRss = v;
        haveRss = true;
      }
      if (long v = kibField(line, "RssAnon"); v >= 0) figures.rssAnon = v;
    }
  }
  {
    std::ifstream rollup(procPath(pid, "smaps_rollup"));
    for (std::string line; std::getline(rollup, line);) {
      if (long v = kibField(line, "Anonymous"); v >= 0) {
        figures.anonymous = v;
        haveRollup = true;
      }
      if (long v = kibField(line, "Private_Dirty"); v >= 0) figures.privateDirty = v;
    }
  }
  if (!haveRss || !haveRollup) return std::nullopt;
  return figures;
}

std::vector<TaskSched> readTasks(pid_t pid) {
  std::vector<TaskSched> tasks;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(procPath(pid, "task"), ec)) {
    TaskSched task;
    task.tid = static_cast<pid_t>(std::strtol(entry.path().filename().c_str(), nullptr, 10));
    std::istringstream sched(firstLine(entry.path() / "schedstat"));
    std::uint64_t waitNs = 0;
    if (!(sched >> task.runNs >> waitNs >> task.timeslices)) continue;
    task.comm = firstLine(entry.path() / "comm");
    std::ifstream status(entry.path() / "status");
    for (std::string line; std::getline(status, line);) {
      std::istringstream fields(line);
      std::string name;
      std::uint64_t count = 0;
      if (!(fields >> name >> count)) continue;
      if (name == "voluntary_ctxt_switches:") task.voluntarySwitches = count;
      if (name == "nonvoluntary_ctxt_switches:") task.involuntarySwitches = count;
    }
    tasks.push_back(task);
  }
  std::sort(tasks.begin(), tasks.end(),
            [](const TaskSched& a, const TaskSched& b) { return a.tid < b.tid; });
  return tasks;
}

std::vector<AnonMapping> largestAnonMappings(pid_t pid, std::size_t count) {
  std::vector<AnonMapping> mappings;
  std::ifstream smaps(procPath(pid, "smaps"));
  AnonMapping current;
  bool open = false;
  for (std::string line; std::getline(smaps, line);) {
    // A mapping header starts with "start-end perms": a hex digit, then '-'.
    const auto dash = line.find('-');
    const auto space = line.find(' ');
    if (dash != std::string::npos && space != std::string::npos && dash < space &&
        line.find(':') > space) {
      if (open && current.anonKiB > 0) mappings.push_back(current);
      current = AnonMapping{};
      current.range = line.substr(0, space);
      std::istringstream header(line);
      std::string range, perms, offset, dev, inode;
      header >> range >> perms >> offset >> dev >> inode;
      std::getline(header >> std::ws, current.name);
      open = true;
      continue;
    }
    if (long v = kibField(line, "Rss"); v >= 0) current.rssKiB = v;
    if (long v = kibField(line, "Anonymous"); v >= 0) current.anonKiB = v;
  }
  if (open && current.anonKiB > 0) mappings.push_back(current);
  std::sort(mappings.begin(), mappings.end(),
            [](const AnonMapping& a, const AnonMapping& b) { return a.anonKiB > b.anonKiB; });
  if (mappings.size() > count) mappings.resize(count);
  return mappings;
}

}  // namespace lwm2md::bench
