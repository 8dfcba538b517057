#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "io_test_support.hpp"
#include "model/content.hpp"

namespace lwm2md::test {

/// The Device object instance of the LwM2M TS read examples (the same values as the TLV
/// example of TS 1.1 §7.4.3 and the SenML/JSON examples of §7.4.4-7.4.6).
inline InstanceData tsDeviceInstance() {
  using T = ResourceType;
  return InstanceData{
      0,
      {single(0, T::String, std::string("Open Mobile Alliance")),
       single(1, T::String, std::string("Lightweight M2M Client")),
       single(2, T::String, std::string("345000123")), single(3, T::String, std::string("1.0")),
       multiple(6, T::Integer, {{0, std::int64_t{1}}, {1, std::int64_t{5}}}),
       multiple(7, T::Integer, {{0, std::int64_t{3800}}, {1, std::int64_t{5000}}}),
       multiple(8, T::Integer, {{0, std::int64_t{125}}, {1, std::int64_t{900}}}),
       single(9, T::Integer, std::int64_t{100}), single(10, T::Integer, std::int64_t{15}),
       multiple(11, T::Integer, {{0, std::int64_t{0}}}),
       single(13, T::Time, std::int64_t{1367491215}), single(14, T::String, std::string("+02:00")),
       single(16, T::String, std::string("U"))}};
}

inline Content tsDeviceContent(Path path = Path(3, 0)) {
  Content content;
  content.path = path;
  content.instances.push_back(tsDeviceInstance());
  return content;
}

/// One instance of the types object (io_test_support.hpp) holding every ResourceType, single
/// and multiple, with values at the edges of their ranges.
inline InstanceData allTypesInstance(std::uint16_t iid = 0) {
  using T = ResourceType;
  return InstanceData{
      iid,
      {single(ridFor(T::String), T::String, std::string("h\xC3\xA9llo \"q\" \\ \xE2\x82\xAC")),
       single(ridFor(T::Integer), T::Integer, std::numeric_limits<std::int64_t>::min()),
       single(ridFor(T::UnsignedInteger), T::UnsignedInteger,
              std::numeric_limits<std::uint64_t>::max()),
       single(ridFor(T::Float), T::Float, 0.1), single(ridFor(T::Boolean), T::Boolean, true),
       single(ridFor(T::Opaque), T::Opaque, Opaque{0x00, 0xFB, 0xFF, 0x10}),
       single(ridFor(T::Time), T::Time, std::int64_t{1367491215}),
       single(ridFor(T::Objlnk), T::Objlnk, Objlnk{65535, 65535}),
       single(ridFor(T::Corelnk), T::Corelnk, std::string("</3/0>;ct=110")),
       multiple(ridFor(T::String, true), T::String,
                {{0, std::string("")}, {65534, std::string("last")}}),
       multiple(ridFor(T::Integer, true), T::Integer,
                {{0, std::numeric_limits<std::int64_t>::max()}, {1, std::int64_t{-1}}}),
       multiple(ridFor(T::UnsignedInteger, true), T::UnsignedInteger, {{3, std::uint64_t{0}}}),
       multiple(ridFor(T::Float, true), T::Float,
                {{0, -2.5}, {1, 1e300}, {2, 3.0}, {3, -0.0}, {4, 65504.0}, {5, 100000.0}}),
       multiple(ridFor(T::Boolean, true), T::Boolean, {{0, false}, {1, true}}),
       multiple(ridFor(T::Opaque, true), T::Opaque, {{0, Opaque{}}, {1, Opaque{0xFF}}}),
       multiple(ridFor(T::Time, true), T::Time, {{0, std::int64_t{-1}}}),
       multiple(ridFor(T::Objlnk, true), T::Objlnk, {{0, Objlnk{3, 0}}, {1, Objlnk{0, 65534}}}),
       multiple(ridFor(T::Corelnk, true), T::Corelnk, {{7, std::string("</1>")}})}};
}

}  // namespace lwm2md::test
