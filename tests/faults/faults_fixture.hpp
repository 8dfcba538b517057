#pragma once

// The fault tests' common ground: the e2e DaemonFixture (private bus, libcoap test server, the
// real daemon) with a LossyRelay between the daemon and the server, short CoAP transmission
// parameters and registration retry timers, and a test object with an Opaque resource for
// block-wise transfers.

#include <gmock/gmock.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "e2e_fixture.hpp"
#include "support/lossy_relay.hpp"

namespace lwm2md::test {

constexpr std::uint8_t kCreated = 0x41, kChanged = 0x44, kContent = 0x45, kNotFound = 0x84,
                       kServiceUnavailable = 0xa3;
constexpr std::uint16_t kTextPlain = 0, kOpaque = 42;
constexpr std::uint8_t kCon = 0, kPost = 0x02;

/// A test object with an Opaque resource (0), for reads far beyond one datagram.
constexpr const char* kBlobObjectDdf = R"(<?xml version="1.0" encoding="UTF-8"?>
<LWM2M>
  <Object ObjectType="MODefinition">
    <Name>Fault Blob</Name>
    <Description1>Fault test object.</Description1>
    <ObjectID>32769</ObjectID>
    <ObjectURN>urn:oma:lwm2m:x:32769</ObjectURN>
    <LWM2MVersion>1.1</LWM2MVersion>
    <ObjectVersion>1.0</ObjectVersion>
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
      <Item ID="0"><Name>Blob</Name><Operations>RW</Operations>
        <MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>
        <Type>Opaque</Type><RangeEnumeration></RangeEnumeration><Units></Units>
        <Description>Bytes.</Description></Item>
    </Resources>
  </Object>
</LWM2M>
)";

/// CoAP transmission parameters and registration retry timers of one test's daemon.
struct LinkTiming {
  double ackTimeout = 1.0;
  double ackRandomFactor = 1.5;
  unsigned maxRetransmit = 4;
  unsigned retryInitial = 1;
  unsigned retryMax = 4;
};

class FaultFixture : public DaemonFixture {
 protected:
  void SetUp() override {
    DaemonFixture::SetUp();
    ASSERT_TRUE(relay_.ok()) << relay_.error();
  }

  /// The daemon's config: server 1 reached through the relay.
  std::string faultConfig(const LinkTiming& timing, const std::string& serverExtra = "",
                          std::uint32_t lifetime = 86400) {
    const std::string objects = dir_.file("objects");
    std::filesystem::create_directories(objects);
    writeFile(objects + "/32769.xml", kBlobObjectDdf);
    return "endpoint = \"faults-gw\"\nlog_level = \"debug\"\nobject_dirs = [\"" + objects +
           "\"]\n[registration]\nretry_initial = " + std::to_string(timing.retryInitial) +
           "\nretry_max = " + std::to_string(timing.retryMax) +
           "\n[coap]\nack_timeout = " + std::to_string(timing.ackTimeout) +
           "\nack_random_factor = " + std::to_string(timing.ackRandomFactor) +
           "\nmax_retransmit = " + std::to_string(timing.maxRetransmit) +
           "\n[device]\nmanufacturer = \"lwm2md tests\"\nmodel = \"Faults\"\nserial = \"0008\"\n"
           "[[server]]\nuri = \"" +
           relay_.uri() + "\"\nshort_id = 1\nlifetime = " + std::to_string(lifetime) +
           "\nbinding = \"U\"\n" + serverExtra;
  }

  /// A request retried (bounded) when it gets no answer at all: over a lossy link a server
  /// gives up on a request after its own retransmissions, and asks again.
  std::optional<Response> persistentRequest(TestLwm2mServer& server, Method method,
                                            const std::string& path, RequestOptions options,
                                            int attempts = 4) {
    for (int i = 0; i < attempts; ++i) {
      auto response = server.request(method, path, options);
      if (response) return response;
      ++serverRequestsLost_;
    }
    return std::nullopt;
  }

  /// startObserve, asked again (bounded) when no answer came.
  std::optional<Response> persistentObserve(TestLwm2mServer& server, const std::string& path,
                                            std::chrono::milliseconds timeout, int attempts = 4) {
    for (int i = 0; i < attempts; ++i) {
      auto response = server.startObserve(path, kTextPlain, timeout);
      if (response) return response;
      ++serverRequestsLost_;
    }
    return std::nullopt;
  }

  /// The daemon's CON datagrams toward the server, grouped by message id: each group is one
  /// message and its retransmissions (arrival times at the relay).
  struct Transmissions {
    CoapHeader header;
    std::vector<std::chrono::steady_clock::time_point> times;
  };
  std::vector<Transmissions> conMessagesToServer() const {
    std::vector<Transmissions> groups;
    for (const DatagramRecord& record : relay_.records(Direction::ToServer)) {
      auto header = parseCoapHeader(record.bytes);
      if (!header || header->type != kCon) continue;
      auto it = std::find_if(groups.begin(), groups.end(), [&](const Transmissions& t) {
        return t.header.messageId == header->messageId && t.header.token == header->token;
      });
      if (it == groups.end()) {
        groups.push_back({*header, {record.received}});
      } else {
        it->times.push_back(record.received);
      }
    }
    return groups;
  }

  /// Every datagram the relay saw, one line each (for failure messages): milliseconds since
  /// the first, direction, CoAP type/code/message id, and whether it was dropped.
  std::string relayLog() const {
    struct Line {
      std::chrono::steady_clock::time_point at;
      std::string text;
    };
    std::vector<Line> lines;
    for (Direction d : {Direction::ToServer, Direction::ToClient})
      for (const DatagramRecord& r : relay_.records(d)) {
        auto h = parseCoapHeader(r.bytes);
        static const char* kTypes[] = {"CON", "NON", "ACK", "RST"};
        std::string text =
            std::string(d == Direction::ToServer ? "-> " : "<- ") +
            (h ? std::string(kTypes[h->type]) + " " + TestLwm2mServer::codeString(h->code) +
                     " mid " + std::to_string(h->messageId)
               : std::string("?")) +
            " " + std::to_string(r.bytes.size()) + " B" + (r.dropped ? " DROPPED" : "") +
            (r.duplicated ? " dup" : "");
        lines.push_back({r.received, text});
      }
    std::stable_sort(lines.begin(), lines.end(),
                     [](const Line& a, const Line& b) { return a.at < b.at; });
    std::string out;
    for (const Line& l : lines)
      out += std::to_string(
                 std::chrono::duration_cast<std::chrono::milliseconds>(l.at - lines.front().at)
                     .count()) +
             " " + l.text + "\n";
    return out;
  }

  /// Adds /3303/0 (a cached instance owned by this test's D-Bus connection).
  sdbus::ObjectPath addSensor(double value) {
    return addInstance(3303, 0, {{5700, sdbus::Variant(value)}, {5601, sdbus::Variant(value)}});
  }

  void setValues(const sdbus::ObjectPath& path, const DbusValues& values) {
    sdbus::createProxy(*client_, "org.lwm2md1", path)
        ->callMethod("Set")
        .onInterface("org.lwm2md1.Instance")
        .withArguments(values);
  }

  LossyRelay relay_{server_.port()};
  int serverRequestsLost_ = 0;
};

}  // namespace lwm2md::test
