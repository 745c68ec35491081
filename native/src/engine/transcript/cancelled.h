// A job stopped because its caller asked: thrown from inside any family's work when the job's `cancelled` check
// returns true (checked before every encoder pass and decoding step, so a job stops within one step).
#pragma once

#include <stdexcept>

namespace verbatim {

class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("the job was cancelled") {}
};

}  // namespace verbatim
