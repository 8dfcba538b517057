#pragma once

#include <cstdint>

#include "store/state.hpp"

namespace lwm2md::test {

/// A state whose whole content follows from its generation number, so that a test can check
/// any state it loads against the one that generation must hold. The number of servers, key
/// lengths and a padding resource vary with the generation, so consecutive saves differ in
/// size and a kill can land anywhere in a write.
PersistedState stateForGeneration(std::uint64_t generation);

}  // namespace lwm2md::test
