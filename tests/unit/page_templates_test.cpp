// Unit tests of the page templates: the built-in set, the operator's folder over it (per
// language and shared), refused templates falling back, and automatic escaping.
#include "reg/page_templates.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "core/config_loader.h"
#include "core/errors.h"
#include "test_support.h"

namespace weave {
namespace {

constexpr const char* kPragma = "{{%AUTOESCAPE context=\"HTML\"}}";

void Write(const testing::TempDir& dir, const std::string& name, const std::string& text) {
  const std::filesystem::path path = dir.File(name);
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::string Render(const PageTemplates& pages, const std::string& language, std::string_view name,
                   const std::string& username = "") {
  ctemplate::TemplateDictionary values("test");
  values.SetValue("USERNAME", username);
  values.SetValue("CSRF_TOKEN", "token");
  return pages.Render(language, name, values);
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

bool Mentions(const std::vector<std::string>& problems, const std::string& part) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const std::string& problem) { return Contains(problem, part); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(page_templates)

BOOST_AUTO_TEST_CASE(built_in_english_and_german_without_an_operator_folder) {
  std::vector<std::string> problems;
  const PageTemplates pages("/nonexistent/weave-templates", &problems);
  BOOST_TEST(problems.empty());
  BOOST_TEST((pages.Languages() == std::vector<std::string>{"en", "de"}));
  const std::string english = Render(pages, "en", "delete_form.html");
  BOOST_TEST(Contains(english, "<html lang=\"en\">"));
  BOOST_TEST(Contains(english, "<h1>Delete your Sync account</h1>"));
  BOOST_TEST(Contains(english, "<style>"));  // the shared head.html
  BOOST_TEST(Contains(Render(pages, "de", "delete_form.html"), "<h1>Sync-Konto l\xc3\xb6schen"));
  // An unknown language renders the default one.
  BOOST_TEST(Contains(Render(pages, "xx", "delete_form.html"), "<html lang=\"en\">"));
  BOOST_TEST(Render(pages, "de", "reset_mail_subject.txt") ==
             "Zur\xc3\xbc"
             "cksetzen Ihres Sync-Passworts\n");
}

BOOST_AUTO_TEST_CASE(every_built_in_page_escapes_values) {
  const PageTemplates pages("");
  for (const std::string language : {"en", "de"}) {
    for (const char* name : {"reset_request.html", "reset_choose.html", "reset_done.html",
                             "delete_form.html", "delete_done.html"}) {
      const std::string page = Render(pages, language, name, "<script>\"'&");
      BOOST_TEST(!Contains(page, "<script>"), language << "/" << name);
      BOOST_TEST(Contains(page, "&lt;script&gt;&quot;&#39;&amp;"), language << "/" << name);
    }
  }
}

BOOST_AUTO_TEST_CASE(operator_files_replace_built_in_ones) {
  const testing::TempDir dir;
  Write(dir, "footer.html", std::string(kPragma) + "<footer>ours {{LANG}}</footer>");
  Write(dir, "de/reset_sent.html", std::string(kPragma) + "<p>Post ist unterwegs</p>");
  Write(dir, "reset_sent.html", std::string(kPragma) + "<p>shared</p>");
  Write(dir, "en/reset_mail_subject.txt", "Your password\n");
  std::vector<std::string> problems;
  const PageTemplates pages(dir.Path(), &problems);
  BOOST_TEST(problems.empty());
  BOOST_TEST(Contains(Render(pages, "en", "delete_form.html"), "<footer>ours en</footer>"));
  BOOST_TEST(Contains(Render(pages, "de", "delete_form.html"), "<footer>ours de</footer>"));
  // The language's own file wins over the shared one, which wins over the built-in one.
  BOOST_TEST(Render(pages, "de", "reset_sent.html") == "<p>Post ist unterwegs</p>");
  BOOST_TEST(Render(pages, "en", "reset_sent.html") == "<p>shared</p>");
  BOOST_TEST(Render(pages, "en", "reset_mail_subject.txt") == "Your password\n");
  BOOST_TEST(Contains(Render(pages, "de", "reset_mail_subject.txt"), "Zur\xc3\xbc"));
}

BOOST_AUTO_TEST_CASE(unsafe_or_broken_operator_files_fall_back_with_a_problem) {
  const testing::TempDir dir;
  Write(dir, "en/delete_done.html", "<p>{{USERNAME}}</p>");  // no pragma
  Write(dir, "en/reset_done.html", std::string(kPragma) + "<p>{{USERNAME:none}}</p>");
  Write(dir, "en/form_expired.html", std::string(kPragma) + "{{#OPEN}}");  // no parse
  Write(dir, "de/delete_done.html", std::string(kPragma) + "<p>{{USERNAME:h:none}}</p>");
  std::vector<std::string> problems;
  const PageTemplates pages(dir.Path(), &problems);
  BOOST_TEST(problems.size() == 4U);
  BOOST_TEST(Mentions(problems, "en/delete_done.html: does not start with"));
  BOOST_TEST(Mentions(problems, "en/reset_done.html: turns escaping off"));
  BOOST_TEST(Mentions(problems, "en/form_expired.html: does not parse"));
  BOOST_TEST(Mentions(problems, "de/delete_done.html: turns escaping off"));
  const std::string done = Render(pages, "en", "delete_done.html", "<b>");
  BOOST_TEST(Contains(done, "<h1>Account deleted</h1>"));
  BOOST_TEST(Contains(done, "&lt;b&gt;"));
  BOOST_TEST(Contains(Render(pages, "en", "reset_done.html", "<b>"), "&lt;b&gt;"));
  BOOST_TEST(Contains(Render(pages, "en", "form_expired.html"), "<h1>Form expired</h1>"));
}

BOOST_AUTO_TEST_CASE(a_language_folder_adds_a_language) {
  const testing::TempDir dir;
  Write(dir, "fr/delete_form.html", std::string(kPragma) + "<h1>Supprimer {{USERNAME}}</h1>");
  Write(dir, "en/reset_sent.html", std::string(kPragma) + "<p>operator english</p>");
  Write(dir, "Not_A_Tag/delete_form.html", std::string(kPragma) + "x");
  std::vector<std::string> problems;
  const PageTemplates pages(dir.Path(), &problems);
  BOOST_TEST((pages.Languages() == std::vector<std::string>{"en", "de", "fr"}));
  BOOST_TEST(Render(pages, "fr", "delete_form.html", "<i>") == "<h1>Supprimer &lt;i&gt;</h1>");
  // What the folder lacks comes from the default language, the operator's version of it.
  BOOST_TEST(Render(pages, "fr", "reset_sent.html") == "<p>operator english</p>");
  BOOST_TEST(Contains(Render(pages, "fr", "delete_done.html"), "<html lang=\"fr\">"));
  BOOST_TEST(Mentions(problems, "fr has no usable reset_sent.html"));
}

BOOST_AUTO_TEST_CASE(templates_dir_from_the_configuration) {
  BOOST_TEST(LoadConfigText("{}").pages.templates_dir == "/etc/weave/templates");
  BOOST_TEST(LoadConfigText("pages:\n  templates_dir: /srv/look\n").pages.templates_dir ==
             "/srv/look");
  BOOST_CHECK_THROW(LoadConfigText("pages:\n  template_dir: /srv/look\n"), ConfigError);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace weave
