// An HTTP response as a plain value; handlers build it, the FastCGI front writes it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/weave_error.h"

namespace weave {

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void SetHeader(std::string_view name, std::string value) {
    for (auto& [existing, old_value] : headers) {
      if (existing == name) {
        old_value = std::move(value);
        return;
      }
    }
    headers.emplace_back(std::string(name), std::move(value));
  }
  const std::string* Header(std::string_view name) const {
    for (const auto& [existing, value] : headers) {
      if (existing == name) {
        return &value;
      }
    }
    return nullptr;
  }
};

const char* StatusReason(int status);

// An error status with a numeric Weave error code as body, as Mozilla's servers answered.
Response WeaveCodeResponse(int status, WeaveError code);

// A plain-text answer (text/plain; charset=utf-8).
Response TextResponse(int status, std::string_view text);

// 503 with the headers that make clients back off (Retry-After, X-Weave-Backoff) instead of
// retrying at once; body is a JSON string.
Response UnavailableResponse(std::string_view body, int retry_after_seconds);

}  // namespace weave
