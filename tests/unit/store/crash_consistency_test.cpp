// Kills a process in the middle of saving, over and over, and checks that what is on disk is
// always a complete state: the last one known saved, or the one being written when the kill
// came. The writer (state_writer.cpp) saves generations n, n+1, ... and announces each.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "generated_state.hpp"
#include "store/state_codec.hpp"
#include "store/state_store.hpp"
#include "temp_dir.hpp"

namespace lwm2md {
namespace {

using namespace std::chrono_literals;

// The highest generation the writer announced as saved (0 when none).
std::uint64_t lastAnnounced(const std::string& output) {
  std::uint64_t last = 0;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (lines.eof()) break;  // no newline yet: not a complete announcement
    if (line.rfind("saved ", 0) == 0) last = std::stoull(line.substr(6));
  }
  return last;
}

TEST(StateStoreCrash, KilledWriterAlwaysLeavesACompleteState) {
  const char* writer = std::getenv("LWM2MD_STATE_WRITER");
  ASSERT_NE(writer, nullptr) << "LWM2MD_STATE_WRITER is not set (run through meson test)";
  test::TempDir temp("lwm2md-crash");
  ASSERT_TRUE(temp.ok());
  const std::string dir = temp.file("state");
  StateStore store(dir);

  constexpr int kIterations = 160;
  const auto budget = std::chrono::steady_clock::now() + 25s;
  const unsigned seed = std::random_device{}();
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delayUs(0, 40000);
  SCOPED_TRACE("random seed " + std::to_string(seed));

  std::uint64_t lastComplete = 0;  // highest generation known to have been saved completely
  int caughtWriting = 0;           // kills after which the state being written was on disk
  int iterations = 0;
  for (; iterations < kIterations && std::chrono::steady_clock::now() < budget; ++iterations) {
    test::ChildProcess child(writer, {dir, std::to_string(lastComplete + 1)});
    ASSERT_TRUE(child.started()) << child.error();
    std::this_thread::sleep_for(std::chrono::microseconds(delayUs(random)));
    child.signal(SIGKILL);
    const auto status = child.waitExit(5s);
    ASSERT_TRUE(status.has_value()) << "the writer did not die";
    ASSERT_EQ(*status, 128 + SIGKILL) << "the writer failed on its own:\n" << child.output();

    const std::uint64_t announced = lastAnnounced(child.output());
    if (announced > lastComplete) lastComplete = announced;
    const LoadResult result = store.load();
    std::string problems;
    for (const auto& p : result.problems) problems += p + "\n";
    EXPECT_TRUE(result.problems.empty()) << problems;
    if (lastComplete == 0 && !result.state) continue;  // killed before the first save ended
    ASSERT_TRUE(result.state.has_value()) << "iteration " << iterations << ":\n" << problems;
    const std::uint64_t generation = result.state->generation;
    ASSERT_TRUE(generation == lastComplete || generation == lastComplete + 1)
        << "iteration " << iterations << ": loaded generation " << generation << ", last complete "
        << lastComplete;
    ASSERT_EQ(*result.state, test::stateForGeneration(generation))
        << "generation " << generation << " does not hold its content";
    if (generation == lastComplete + 1) ++caughtWriting;
    lastComplete = generation;

    // The previous file, once there is one, is the state before (or, when the kill fell
    // between keeping it and the final rename, the same state).
    if (auto prev = test::readFile(dir + "/state.json.prev")) {
      auto decoded = decodeState(*prev);
      ASSERT_TRUE(decoded.ok()) << decoded.error().message;
      EXPECT_TRUE(decoded->generation + 1 == generation || decoded->generation == generation)
          << "prev " << decoded->generation << ", current " << generation;
      EXPECT_EQ(*decoded, test::stateForGeneration(decoded->generation));
    }
  }
  EXPECT_GE(iterations, 150) << "ran out of time";
  EXPECT_GT(lastComplete, 10U) << "the writer hardly ever completed a save";
  RecordProperty("generations", std::to_string(lastComplete));
  RecordProperty("caught_writing", std::to_string(caughtWriting));
  std::printf("%d kills, %llu generations saved, %d kills found the in-flight state on disk\n",
              iterations, static_cast<unsigned long long>(lastComplete), caughtWriting);
}

}  // namespace
}  // namespace lwm2md
