// Response helpers and HTTP reason phrases.
#include "http/response.h"

#include <string>

namespace weave {

const char* StatusReason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Request Entity Too Large";
    case 415:
      return "Unsupported Media Type";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

Response WeaveCodeResponse(int status, WeaveError code) {
  Response response;
  response.status = status;
  response.body = std::to_string(static_cast<int>(code));
  return response;
}

Response TextResponse(int status, std::string_view text) {
  Response response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = text;
  return response;
}

Response UnavailableResponse(std::string_view body, int retry_after_seconds) {
  Response response = TextResponse(503, body);
  response.content_type = "application/json";
  const std::string retry_after = std::to_string(retry_after_seconds);
  response.SetHeader("Retry-After", retry_after);
  response.SetHeader("X-Weave-Backoff", retry_after);
  return response;
}

}  // namespace weave
