// Sending mail (password-reset codes) through an SMTP relay.
#pragma once

#include <string>
#include <string_view>

#include "core/config.h"

namespace weave {

class Mailer {
 public:
  Mailer() = default;
  Mailer(const Mailer&) = delete;
  Mailer& operator=(const Mailer&) = delete;
  virtual ~Mailer() = default;

  // False when no relay is configured. Send throws BackendError when the relay refuses.
  // subject and text are UTF-8 (text's lines end in "\n"); the mailer encodes them for SMTP.
  virtual bool IsConfigured() const = 0;
  virtual void Send(std::string_view to, std::string_view subject, std::string_view text) = 0;
};

// SMTP through libcurl (smtp://, smtps://, optional STARTTLS and login). Each mail carries
// Date and a Message-ID in the domain of public_url (else of the from address).
class SmtpMailer final : public Mailer {
 public:
  SmtpMailer(MailConfig config, std::string_view public_url);
  bool IsConfigured() const override { return !config_.smtp_url.empty(); }
  void Send(std::string_view to, std::string_view subject, std::string_view text) override;

 private:
  const MailConfig config_;
  const std::string message_id_domain_;
};

// Asks a reCAPTCHA-compatible service whether response is a solved challenge.
// Throws BackendError when the service cannot be reached.
bool VerifyCaptcha(const CaptchaConfig& config, std::string_view response,
                   std::string_view remote_address);

}  // namespace weave
