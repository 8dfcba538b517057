#pragma once

#include "dm/dm_request.hpp"
#include "model/result.hpp"

namespace lwm2md {

class ObjectTree;

/// Serves Device Management operations on the object tree. Each operation lives in its own
/// file (dm_read.cpp, dm_write.cpp, ...) and answers with the CoAP code the TS names, so
/// every failure maps straight onto a response.
class DataModel {
 public:
  explicit DataModel(ObjectTree& tree) : tree_(tree) {}

  /// Classifies the request (Read, Discover, Write, Execute, ...) and runs it.
  DmResponse handle(const DmRequest& request);

  DmResponse read(const DmRequest& request);
  DmResponse discover(const DmRequest& request);
  DmResponse write(const DmRequest& request, bool partialUpdate);
  DmResponse execute(const DmRequest& request);

 private:
  ObjectTree& tree_;
};

/// Turns an engine Error into a response with the reason as diagnostic payload.
DmResponse toResponse(const Error& error);

}  // namespace lwm2md
