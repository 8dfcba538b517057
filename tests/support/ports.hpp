#pragma once

#include <cstdint>

namespace lwm2md::test {

/// A UDP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed), for
/// peers that cannot bind an ephemeral port and report it, such as coap-server. 0 on failure.
uint16_t freeUdpPort();

}  // namespace lwm2md::test
