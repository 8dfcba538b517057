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
  std::uint64_t timeslices = 0;  // times it was put on a CPU: wake-ups and preemptions alike
  /// /proc/PID/task/TID/status: how often it blocked and was woken again (a wake-up), and how
  /// often the scheduler took the CPU from it while it could run (a preemption, not a wake-up).
  std::uint64_t voluntarySwitches = 0;
  std::uint64_t involuntarySwitches = 0;
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
