// Test helper for the crash-consistency test: saves the states of generations <start>,
// <start>+1, ... into <dir> as fast as it can and prints "saved <n>" after each save returned,
// until it is killed. Bounded all the same (60 s), so a lost helper does not run forever.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "generated_state.hpp"
#include "store/state_store.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: state-writer <dir> <first generation>\n");
    return 2;
  }
  lwm2md::StateStore store(argv[1]);
  std::uint64_t generation = std::stoull(argv[2]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto s = store.save(lwm2md::test::stateForGeneration(generation)); !s) {
      std::fprintf(stderr, "save failed: %s\n", s.error().message.c_str());
      return 1;
    }
    // One write() per line, unbuffered: a kill cannot leave the line half-announced.
    const std::string line = "saved " + std::to_string(generation) + "\n";
    if (::write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      return 1;
    ++generation;
  }
  return 0;
}
