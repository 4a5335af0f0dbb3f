// The only user of libcurl: SMTP for mail, HTTPS POST for captcha verification.
#include <memory>
#include <string>

#include <curl/curl.h>

#include "core/errors.h"
#include "core/json_object.h"
#include "core/mail_text.h"
#include "reg/mailer.h"

namespace weave {
namespace {

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
using CurlList = std::unique_ptr<curl_slist, SlistDeleter>;

CurlHandle NewHandle() {
  static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  CurlHandle handle(initialized ? curl_easy_init() : nullptr);
  if (!handle) {
    throw BackendError("curl: cannot initialise");
  }
  curl_easy_setopt(handle.get(), CURLOPT_NOSIGNAL, 1L);
  return handle;
}

void Perform(CURL* handle, const char* what) {
  const CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) {
    throw BackendError(std::string(what) + ": " + curl_easy_strerror(code));
  }
}

// Feeds a message to curl's upload callback.
struct Upload {
  std::string data;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t wanted = size * count;
  const size_t left = upload->data.size() - upload->offset;
  const size_t n = wanted < left ? wanted : left;
  upload->data.copy(buffer, n, upload->offset);
  upload->offset += n;
  return n;
}

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Envelope addresses never carry a line break (no command injection through an address).
std::string OneLine(std::string_view text) {
  std::string out;
  for (const char c : text) {
    out.push_back(c == '\r' || c == '\n' ? ' ' : c);
  }
  return out;
}

}  // namespace

SmtpMailer::SmtpMailer(MailConfig config, std::string_view public_url)
    : config_(std::move(config)), message_id_domain_(MessageIdDomain(public_url, config_.from)) {}

void SmtpMailer::Send(std::string_view to, std::string_view subject, std::string_view text) {
  CurlHandle handle = NewHandle();
  CURL* curl = handle.get();
  Upload message;
  message.data = ComposeTextMail({config_.from, std::string(to), std::string(subject),
                                  std::string(text), MailDate(), NewMessageId(message_id_domain_)});
  const std::string from = "<" + OneLine(config_.from) + ">";
  const std::string recipient = "<" + OneLine(to) + ">";
  CurlList recipients(curl_slist_append(nullptr, recipient.c_str()));
  curl_easy_setopt(curl, CURLOPT_URL, config_.smtp_url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, &ReadUpload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &message);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(config_.timeout_seconds));
  if (config_.starttls) {
    curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  }
  if (!config_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, config_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, config_.password.c_str());
  }
  Perform(curl, "smtp");
}

bool VerifyCaptcha(const CaptchaConfig& config, std::string_view response,
                   std::string_view remote_address) {
  CurlHandle handle = NewHandle();
  CURL* curl = handle.get();
  const auto escape = [curl](std::string_view value) {
    std::unique_ptr<char, decltype(&curl_free)> escaped(
        curl_easy_escape(curl, value.data(), static_cast<int>(value.size())), &curl_free);
    return std::string(escaped ? escaped.get() : "");
  };
  const std::string form = "secret=" + escape(config.secret) + "&response=" + escape(response) +
                           "&remoteip=" + escape(remote_address);
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, config.verify_url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  Perform(curl, "captcha verification");
  const auto answer = JsonObjectFields::Parse(body);
  return answer && answer->Bool("success").value_or(false);
}

}  // namespace weave
