// Loads the page and mail templates (operator's over built-in, per language) into one
// ctemplate cache, frozen before the first request; renders them.
#include "reg/page_templates.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <system_error>

#include <ctemplate/template_cache.h>

#include "core/log.h"
#include "core/text.h"
#include "http/accept_language.h"

namespace weave {
namespace {

struct BuiltinTemplate {
  std::string_view path;  // "en/delete_form.html", or "head.html" (every language's)
  std::string_view text;
};

// Generated from templates/ by scripts/embed-templates.py.
constexpr BuiltinTemplate kBuiltin[] = {
#include "builtin_templates.inc"
};

// Every template the server renders (account_pages.cpp, user_handlers.cpp) or includes.
constexpr std::array<std::string_view, 14> kNames = {"head.html",
                                                     "footer.html",
                                                     "reset_request.html",
                                                     "reset_choose.html",
                                                     "reset_invalid.html",
                                                     "reset_sent.html",
                                                     "reset_done.html",
                                                     "reset_no_mail.html",
                                                     "reset_managed.html",
                                                     "delete_form.html",
                                                     "delete_done.html",
                                                     "form_expired.html",
                                                     "reset_mail_subject.txt",
                                                     "reset_mail_body.txt"};

constexpr std::string_view kPragma = "{{%AUTOESCAPE context=\"HTML\"}}";
constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{256} * 1024;

bool EndsWith(std::string_view text, std::string_view end) {
  return text.size() >= end.size() && text.substr(text.size() - end.size()) == end;
}

// HTML: lines left blank by the template's markers (sections not shown) are dropped. Mail
// text: kept as written.
ctemplate::Strip StripFor(std::string_view name) {
  return EndsWith(name, ".html") ? ctemplate::STRIP_BLANK_LINES : ctemplate::DO_NOT_STRIP;
}

std::optional<std::string_view> Builtin(std::string_view path) {
  for (const BuiltinTemplate& entry : kBuiltin) {
    if (entry.path == path) {
      return entry.text;
    }
  }
  return std::nullopt;
}

// Why an operator's template text may not be used, or empty when it may.
std::string Refusal(std::string_view name, const std::string& text) {
  if (EndsWith(name, ".html") && text.compare(0, kPragma.size(), kPragma) != 0) {
    return "does not start with " + std::string(kPragma);
  }
  // A variable marker {{NAME:modifier:...}} with the modifier "none".
  for (size_t open = text.find("{{"); open != std::string::npos; open = text.find("{{", open + 2)) {
    const size_t close = text.find("}}", open);
    const std::string_view whole = text;
    const std::string_view marker =
        whole.substr(open, close == std::string::npos ? std::string::npos : close - open);
    for (size_t at = marker.find(":none"); at != std::string_view::npos;
         at = marker.find(":none", at + 1)) {
      const size_t after = at + 5;
      if (after == marker.size() || marker[after] == ':' || marker[after] == '}') {
        return "turns escaping off (:none)";
      }
    }
  }
  return {};
}

// The operator's file, or nothing (with a problem when it exists but cannot be read).
std::optional<std::string> ReadOperatorFile(const std::filesystem::path& path,
                                            std::vector<std::string>& problems) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return std::nullopt;
  }
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error || size > kMaxFileBytes) {
    problems.push_back(path.string() + ": over 256 KiB or unreadable; using the built-in one");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    problems.push_back(path.string() + ": unreadable; using the built-in one");
    return std::nullopt;
  }
  return text;
}

// The operator's language folders: lower-case tags only (the folder name is the tag).
std::vector<std::string> OperatorLanguages(const std::filesystem::path& dir) {
  std::vector<std::string> found;
  std::error_code error;
  for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    const std::string name = it->path().filename().string();
    const auto ranges = ParseAcceptLanguage(name);
    if (it->is_directory(error) && ranges.size() == 1 && ranges[0].range == name && name != "*") {
      found.push_back(name);
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

// Puts the first usable text for language/name into cache under that key: the operator's
// (the language's own before the shared one), else the built-in one. Returns it.
std::optional<std::string> LoadFirstUsable(ctemplate::TemplateCache& cache,
                                           const std::string& operator_dir,
                                           const std::string& language, std::string_view name,
                                           std::vector<std::string>& problems) {
  const std::string key = language + "/" + std::string(name);
  if (!operator_dir.empty()) {
    const std::filesystem::path dir(operator_dir);
    for (const std::filesystem::path& path : {dir / language / name, dir / name}) {
      auto text = ReadOperatorFile(path, problems);
      if (!text) {
        continue;
      }
      if (const std::string why = Refusal(name, *text); !why.empty()) {
        problems.push_back(path.string() + ": " + why + "; not used");
      } else if (!cache.StringToTemplateCache(key, *text, StripFor(name))) {
        problems.push_back(path.string() + ": does not parse; not used");
      } else {
        return text;
      }
    }
  }
  for (const std::string& path : {key, std::string(name)}) {
    const auto text = Builtin(path);
    if (text && cache.StringToTemplateCache(key, std::string(*text), StripFor(name))) {
      return std::string(*text);
    }
  }
  return std::nullopt;
}

}  // namespace

PageTemplates::PageTemplates(const std::string& operator_dir, std::vector<std::string>* problems)
    : cache_(std::make_unique<ctemplate::TemplateCache>()) {
  languages_.emplace_back(kDefaultLanguage);
  for (const BuiltinTemplate& entry : kBuiltin) {
    const size_t slash = entry.path.find('/');
    const std::string language(entry.path.substr(0, slash));
    if (slash != std::string_view::npos &&
        std::find(languages_.begin(), languages_.end(), language) == languages_.end()) {
      languages_.push_back(language);
    }
  }
  for (const std::string& language :
       operator_dir.empty() ? std::vector<std::string>() : OperatorLanguages(operator_dir)) {
    if (std::find(languages_.begin(), languages_.end(), language) == languages_.end()) {
      languages_.push_back(language);
    }
  }
  std::vector<std::string> found;
  std::map<std::string_view, std::string> defaults;  // the default language's, by name
  for (const std::string& language : languages_) {
    for (const std::string_view name : kNames) {
      const auto text = LoadFirstUsable(*cache_, operator_dir, language, name, found);
      if (language == kDefaultLanguage) {
        defaults[name] = text.value_or("");
      } else if (!text) {
        // A language only the operator has, without this template: the default's.
        found.push_back("templates: " + language + " has no usable " + std::string(name) +
                        "; using the " + std::string(kDefaultLanguage) + " one");
        cache_->StringToTemplateCache(language + "/" + std::string(name), defaults[name],
                                      StripFor(name));
      }
    }
  }
  cache_->Freeze();
  for (const std::string& problem : found) {
    Log(LogLevel::kWarning) << problem;
  }
  if (problems != nullptr) {
    problems->insert(problems->end(), found.begin(), found.end());
  }
}

PageTemplates::~PageTemplates() = default;

std::string PageTemplates::Render(const std::string& language, std::string_view name,
                                  ctemplate::TemplateDictionary& values) const {
  const bool known = std::find(languages_.begin(), languages_.end(), language) != languages_.end();
  const std::string chosen = known ? language : std::string(kDefaultLanguage);
  values.SetValue("LANG", chosen);
  if (EndsWith(name, ".html")) {
    // An included template sees only its own dictionary's values.
    for (const char* include : {"HEAD", "FOOTER"}) {
      ctemplate::TemplateDictionary* part = values.AddIncludeDictionary(include);
      part->SetFilename(chosen + "/" + LowerAscii(include) + ".html");
      part->SetValue("LANG", chosen);
    }
  }
  std::string output;
  if (!cache_->ExpandWithData(chosen + "/" + std::string(name), StripFor(name), &values, nullptr,
                              &output)) {
    Log(LogLevel::kError) << "templates: cannot expand " << chosen << "/" << name;
  }
  return output;
}

}  // namespace weave
