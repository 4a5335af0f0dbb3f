// Keys fetched ahead with a request's next cache read, handed out once.
#include "cache/read_ahead_cache.h"

#include <algorithm>

namespace weave {

void ReadAheadCache::Forget() {
  wanted_.clear();
  fetched_.clear();
}

void ReadAheadCache::Want(std::string_view key) {
  if (wanted_.size() < kMaxWanted &&
      std::find(wanted_.begin(), wanted_.end(), key) == wanted_.end()) {
    wanted_.emplace_back(key);
  }
}

std::vector<std::optional<std::string>> ReadAheadCache::GetMany(
    const std::vector<std::string>& keys) {
  std::vector<std::optional<std::string>> values(keys.size());
  std::vector<std::string> asked;
  std::vector<size_t> positions;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (const auto found = fetched_.find(keys[i]); found != fetched_.end()) {
      values[i] = std::move(found->second);
      fetched_.erase(found);
    } else {
      asked.push_back(keys[i]);
      positions.push_back(i);
    }
  }
  if (asked.empty()) {
    return values;
  }
  const size_t own = asked.size();
  std::vector<std::string> wanted;
  wanted.swap(wanted_);
  for (std::string& key : wanted) {
    if (std::find(asked.begin(), asked.end(), key) == asked.end()) {
      asked.push_back(std::move(key));
    }
  }
  std::vector<std::optional<std::string>> answers = inner_->GetMany(asked);
  for (size_t i = 0; i < own; ++i) {
    values[positions[i]] = std::move(answers[i]);
  }
  for (size_t i = own; i < asked.size(); ++i) {
    fetched_[asked[i]] = std::move(answers[i]);
  }
  return values;
}

void ReadAheadCache::Drop(std::string_view key) {
  if (!fetched_.empty()) {
    fetched_.erase(std::string(key));
  }
}

void ReadAheadCache::Set(std::string_view key, std::string_view value, int ttl_seconds) {
  Drop(key);
  inner_->Set(key, value, ttl_seconds);
}

bool ReadAheadCache::Add(std::string_view key, std::string_view value, int ttl_seconds) {
  Drop(key);
  return inner_->Add(key, value, ttl_seconds);
}

bool ReadAheadCache::CompareAndSwap(std::string_view key, std::string_view expected,
                                    std::string_view value, int ttl_seconds) {
  Drop(key);
  return inner_->CompareAndSwap(key, expected, value, ttl_seconds);
}

bool ReadAheadCache::Delete(std::string_view key) {
  Drop(key);
  return inner_->Delete(key);
}

}  // namespace weave
