#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lwm2md::bench {

/// A process's memory as the kernel accounts it, in KiB.
struct MemoryFigures {
  long vmRss = 0;         // /proc/PID/status VmRSS: resident, shared pages included
  long rssAnon = 0;       // /proc/PID/status RssAnon: resident anonymous (heap, stacks, .bss)
  long anonymous = 0;     // /proc/PID/smaps_rollup Anonymous
  long privateDirty = 0;  // /proc/PID/smaps_rollup Private_Dirty: what the process alone costs
};
std::optional<MemoryFigures> readMemory(pid_t pid);

/// One thread's scheduler counters (/proc/PID/task/TID/schedstat) and name.
struct TaskSched {
  pid_t tid = 0;
  std::string comm;
  std::uint64_t runNs = 0;
  std::uint64_t timeslices = 0;  // times it was put on a CPU: every wake-up is at least one
};
std::vector<TaskSched> readTasks(pid_t pid);

/// An anonymous (or heap/stack) mapping's resident size, for explaining where memory goes.
struct AnonMapping {
  std::string name;  // "[heap]", "[stack]", "" for an unnamed mapping
  std::string range;
  long rssKiB = 0;
  long anonKiB = 0;
};
/// The `count` mappings holding the most anonymous memory, largest first.
std::vector<AnonMapping> largestAnonMappings(pid_t pid, std::size_t count);

}  // namespace lwm2md::bench
