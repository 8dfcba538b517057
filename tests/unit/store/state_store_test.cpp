#include "store/state_store.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "generated_state.hpp"
#include "store/state_codec.hpp"
#include "temp_dir.hpp"

namespace lwm2md {
namespace {

using test::readFile;
using test::stateForGeneration;
using test::TempDir;
using test::writeFile;

mode_t modeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::uint64_t generationIn(const std::string& path) {
  auto text = readFile(path);
  if (!text) return 0;
  auto decoded = decodeState(*text);
  EXPECT_TRUE(decoded.ok()) << path;
  return decoded.ok() ? decoded->generation : 0;
}

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(temp_.ok()); }
  std::string dir() const { return temp_.file("state"); }
  std::string file(const char* name) const { return dir() + "/" + name; }

  // Two good saves: state.json holds generation 2, state.json.prev generation 1.
  void saveTwo(StateStore& store) {
    ASSERT_TRUE(store.save(stateForGeneration(1)).ok());
    ASSERT_TRUE(store.save(stateForGeneration(2)).ok());
  }

  TempDir temp_{"lwm2md-store"};
};

TEST_F(StateStoreTest, FirstStartHasNothingAndNoProblems) {
  StateStore store(dir());
  const LoadResult result = store.load();
  EXPECT_FALSE(result.state.has_value());
  EXPECT_TRUE(result.problems.empty());
  EXPECT_FALSE(std::filesystem::exists(dir()));  // load never creates anything
}

TEST_F(StateStoreTest, SavedStateLoadsBack) {
  StateStore store(dir());
  const PersistedState state = stateForGeneration(7);
  ASSERT_TRUE(store.save(state).ok());
  const LoadResult result = store.load();
  ASSERT_TRUE(result.state.has_value());
  EXPECT_EQ(*result.state, state);
  EXPECT_TRUE(result.problems.empty());
  EXPECT_FALSE(std::filesystem::exists(file("state.json.tmp")));
  EXPECT_FALSE(std::filesystem::exists(file("state.json.prev")));  // nothing came before
}

TEST_F(StateStoreTest, SecondSaveKeepsThePreviousStateAsPrev) {
  StateStore store(dir());
  saveTwo(store);
  EXPECT_EQ(generationIn(file("state.json")), 2U);
  EXPECT_EQ(generationIn(file("state.json.prev")), 1U);
  ASSERT_TRUE(store.save(stateForGeneration(3)).ok());
  EXPECT_EQ(generationIn(file("state.json")), 3U);
  EXPECT_EQ(generationIn(file("state.json.prev")), 2U);
}

TEST_F(StateStoreTest, CreatesTheDirectory0700AndFiles0600) {
  const std::string nested = temp_.file("a/b/state");
  const mode_t old = ::umask(0);  // the modes must not depend on the caller's umask
  StateStore store(nested);
  const bool saved =
      store.save(stateForGeneration(1)).ok() && store.save(stateForGeneration(2)).ok();
  ::umask(old);
  ASSERT_TRUE(saved);
  EXPECT_EQ(modeOf(nested), 0700U);
  EXPECT_EQ(modeOf(temp_.file("a")), 0700U);
  EXPECT_EQ(modeOf(nested + "/state.json"), 0600U);
  EXPECT_EQ(modeOf(nested + "/state.json.prev"), 0600U);
}

TEST_F(StateStoreTest, TightensALeftoverTempFileAndIgnoresItOnLoad) {
  StateStore store(dir());
  ASSERT_TRUE(store.save(stateForGeneration(1)).ok());
  ASSERT_TRUE(writeFile(file("state.json.tmp"), "half a state"));
  ASSERT_EQ(::chmod(file("state.json.tmp").c_str(), 0666), 0);
  LoadResult result = store.load();
  ASSERT_TRUE(result.state.has_value());
  EXPECT_EQ(result.state->generation, 1U);
  EXPECT_TRUE(result.problems.empty());
  ASSERT_TRUE(store.save(stateForGeneration(2)).ok());
  EXPECT_EQ(modeOf(file("state.json")), 0600U);
  EXPECT_EQ(store.load().state->generation, 2U);
}

TEST_F(StateStoreTest, LoadReportsAFileOthersCanRead) {
  StateStore store(dir());
  ASSERT_TRUE(store.save(stateForGeneration(1)).ok());
  ASSERT_EQ(::chmod(file("state.json").c_str(), 0644), 0);
  const LoadResult result = store.load();
  ASSERT_TRUE(result.state.has_value());
  ASSERT_EQ(result.problems.size(), 1U);
  EXPECT_NE(result.problems[0].find("state.json: mode 0644"), std::string::npos);
}

struct Corruption {
  const char* name;
  std::string (*apply)(const std::string& good);
  const char* expected;  // in the problem message
};

class CorruptionTest : public StateStoreTest, public ::testing::WithParamInterface<Corruption> {};

TEST_P(CorruptionTest, FallsBackToPrevWithAProblemMessage) {
  StateStore store(dir());
  saveTwo(store);
  auto good = readFile(file("state.json"));
  ASSERT_TRUE(good.has_value());
  ASSERT_TRUE(writeFile(file("state.json"), GetParam().apply(*good)));

  const LoadResult result = store.load();
  ASSERT_TRUE(result.state.has_value());
  EXPECT_EQ(*result.state, stateForGeneration(1));
  ASSERT_EQ(result.problems.size(), 1U);
  const std::string& problem = result.problems[0];
  EXPECT_EQ(problem.rfind("state.json: ", 0), 0U) << problem;
  EXPECT_NE(problem.find(GetParam().expected), std::string::npos) << problem;
  const std::string suffix = ": using state.json.prev";
  EXPECT_EQ(problem.substr(problem.size() - suffix.size()), suffix) << problem;
}

TEST_P(CorruptionTest, BothFilesBadGivesNothing) {
  StateStore store(dir());
  saveTwo(store);
  for (const char* name : {"state.json", "state.json.prev"}) {
    auto good = readFile(file(name));
    ASSERT_TRUE(good.has_value());
    ASSERT_TRUE(writeFile(file(name), GetParam().apply(*good)));
  }
  const LoadResult result = store.load();
  EXPECT_FALSE(result.state.has_value());
  ASSERT_EQ(result.problems.size(), 3U);
  EXPECT_EQ(result.problems[0].rfind("state.json: ", 0), 0U);
  EXPECT_NE(result.problems[0].find(GetParam().expected), std::string::npos);
  EXPECT_EQ(result.problems[1].rfind("state.json.prev: ", 0), 0U);
  EXPECT_NE(result.problems[1].find(GetParam().expected), std::string::npos);
  EXPECT_EQ(result.problems[2], "no usable saved state");
}

INSTANTIATE_TEST_SUITE_P(
    Corruptions, CorruptionTest,
    ::testing::Values(
        Corruption{"Truncated", [](const std::string& g) { return g.substr(0, g.size() * 2 / 3); },
                   "truncated: the header announces"},
        Corruption{"FlippedByte",
                   [](const std::string& g) {
                     std::string bad = g;
                     bad[g.size() / 2] = static_cast<char>(bad[g.size() / 2] ^ 0x10);
                     return bad;
                   },
                   "checksum mismatch (half-written or corrupt)"},
        Corruption{"WrongVersion",
                   [](const std::string& g) {
                     std::string bad = g;
                     bad.replace(bad.find("version=1"), 9, "version=7");
                     return bad;
                   },
                   "format version 7 is newer than this daemon understands"},
        Corruption{"WrongFormatName",
                   [](const std::string& g) { return "acme-state" + g.substr(12); },
                   "not an lwm2md state file"},
        Corruption{"Empty", [](const std::string&) { return std::string(); }, "empty file"},
        Corruption{"Garbage",
                   [](const std::string&) { return std::string("\x00\x01garbage\xff", 10); },
                   "not an lwm2md state file"}),
    [](const ::testing::TestParamInfo<Corruption>& p) { return std::string(p.param.name); });

TEST_F(StateStoreTest, MissingCurrentFileFallsBackToPrev) {
  StateStore store(dir());
  saveTwo(store);
  ASSERT_TRUE(std::filesystem::remove(file("state.json")));
  const LoadResult result = store.load();
  ASSERT_TRUE(result.state.has_value());
  EXPECT_EQ(result.state->generation, 1U);
  ASSERT_EQ(result.problems.size(), 1U);
  EXPECT_EQ(result.problems[0], "state.json: missing: using state.json.prev");
}

TEST_F(StateStoreTest, ADamagedCurrentFileNeverReplacesAGoodPrev) {
  StateStore store(dir());
  saveTwo(store);
  ASSERT_TRUE(writeFile(file("state.json"), "lwm2md-state version=1 length=99 crc"));
  ASSERT_TRUE(store.save(stateForGeneration(3)).ok());
  EXPECT_EQ(generationIn(file("state.json")), 3U);
  EXPECT_EQ(generationIn(file("state.json.prev")), 1U);
}

TEST_F(StateStoreTest, ADirectoryInPlaceOfTheFileIsReported) {
  StateStore store(dir());
  ASSERT_TRUE(store.save(stateForGeneration(1)).ok());
  ASSERT_TRUE(std::filesystem::remove(file("state.json")));
  ASSERT_TRUE(std::filesystem::create_directory(file("state.json")));
  const LoadResult result = store.load();
  EXPECT_FALSE(result.state.has_value());
  ASSERT_FALSE(result.problems.empty());
  EXPECT_EQ(result.problems[0], "state.json: not a regular file");
}

TEST_F(StateStoreTest, SaveRefusesAnInconsistentState) {
  StateStore store(dir());
  PersistedState state;
  ResourceData key;
  key.id = 5;
  key.type = ResourceType::Opaque;
  key.value = std::string("not bytes");
  state.instances.emplace_back(0, InstanceData{0, {key}});
  const Status status = store.save(state);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message,
            "refusing to save an inconsistent state: /0/0/5: the value does not hold the opaque "
            "type");
  EXPECT_FALSE(std::filesystem::exists(file("state.json")));
}

TEST_F(StateStoreTest, ErrorsNameThePathAndTheReason) {
  ASSERT_TRUE(writeFile(temp_.file("plain"), "a file, not a directory"));
  StateStore store(temp_.file("plain/state"));
  const Status status = store.save(stateForGeneration(1));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find(temp_.file("plain")), std::string::npos)
      << status.error().message;
  EXPECT_NE(status.error().message.find("Not a directory"), std::string::npos)
      << status.error().message;

  StateStore fileAsDir(temp_.file("plain"));
  const Status second = fileAsDir.save(stateForGeneration(1));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message,
            "cannot use state directory " + temp_.file("plain") + ": Not a directory");
}

TEST_F(StateStoreTest, AFailedWriteLeavesTheOldStateInPlace) {
  StateStore store(dir());
  ASSERT_TRUE(store.save(stateForGeneration(1)).ok());
  // A write that fails part-way (as on a full disk): the file size limit makes write() fail
  // with EFBIG once the temp file passes 256 bytes.
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* oldHandler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 256;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const Status status = store.save(stateForGeneration(2));
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, oldHandler);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, "cannot write " + file("state.json.tmp") + ": File too large");
  EXPECT_FALSE(std::filesystem::exists(file("state.json.tmp")));  // cleaned up
  const LoadResult result = store.load();
  ASSERT_TRUE(result.state.has_value());
  EXPECT_EQ(*result.state, stateForGeneration(1));
  EXPECT_TRUE(result.problems.empty());
}

TEST_F(StateStoreTest, AnUnwritableTempNameFailsTheSaveCleanly) {
  StateStore store(dir());
  ASSERT_TRUE(store.save(stateForGeneration(1)).ok());
  ASSERT_TRUE(std::filesystem::create_directory(file("state.json.tmp")));
  const Status status = store.save(stateForGeneration(2));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, "cannot create " + file("state.json.tmp") + ": Is a directory");
  EXPECT_EQ(store.load().state->generation, 1U);
}

}  // namespace
}  // namespace lwm2md
