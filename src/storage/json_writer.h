// RapidJSON writing straight into a std::string (the response body).
#pragma once

#include <rapidjson/writer.h>

#include <string>

namespace weave {

// The output stream concept RapidJSON's Writer expects.
class StringSink {
 public:
  using Ch = char;
  explicit StringSink(std::string& out) : out_(out) {}
  void Put(char c) { out_.push_back(c); }
  void Flush() {}

 private:
  std::string& out_;
};

using JsonWriter = rapidjson::Writer<StringSink>;

}  // namespace weave
