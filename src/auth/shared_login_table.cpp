// The shared-memory table of verified logins: layout, the robust process-shared lock, and
// two-choice bucket placement.
#include "auth/shared_login_table.h"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <new>

#include <sys/mman.h>

#include "core/crypto.h"
#include "core/errors.h"
#include "core/log.h"

namespace weave {
namespace {

constexpr size_t kKeyBytes = 32;      // HMAC-SHA256
constexpr size_t kRecheckBytes = 16;  // RecheckDigest
constexpr size_t kSecretBytes = 32;
constexpr size_t kAlign = 64;

size_t RoundUp(size_t value, size_t unit) {
  return (value + unit - 1) / unit * unit;
}

}  // namespace

struct SharedLoginTable::Header {
  pthread_mutex_t mutex;
  uint64_t recoveries;  // times a dead holder's table was wiped
};

// Plain data only: the mapping starts zeroed, which is "unused" for every slot.
struct SharedLoginTable::Slot {
  unsigned char key[kKeyBytes];
  int64_t id;
  int64_t expires_ms;
  int64_t recheck_due_ms;
  unsigned char recheck[kRecheckBytes];
  uint8_t used;
  uint8_t has_recheck;
};

// The table's lock for one operation. Locked() is false when it could not be taken in time.
class SharedLoginTable::Guard {
 public:
  explicit Guard(SharedLoginTable& table) : table_(table) {
    timespec deadline{};
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += static_cast<long>(kLockTimeoutMs) * 1000000L;
    deadline.tv_sec += deadline.tv_nsec / 1000000000L;
    deadline.tv_nsec %= 1000000000L;
    const int rc = pthread_mutex_clocklock(&table_.header_->mutex, CLOCK_MONOTONIC, &deadline);
    if (rc == 0) {
      locked_ = true;
    } else if (rc == EOWNERDEAD) {
      // The holder died inside an operation: its slot may be half-written (a new key beside
      // an old id), so nothing in the table is trusted any more.
      std::memset(static_cast<void*>(table_.slots_), 0, table_.Capacity() * sizeof(Slot));
      ++table_.header_->recoveries;
      pthread_mutex_consistent(&table_.header_->mutex);
      locked_ = true;
      Log(LogLevel::kWarning) << "shared login table: a worker died holding its lock; "
                                 "emptied the table (each user's next login is checked again)";
    } else {
      Log(LogLevel::kWarning) << "shared login table: lock not taken (" << std::strerror(rc)
                              << "); checking the password for real";
    }
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
  ~Guard() {
    if (locked_) {
      pthread_mutex_unlock(&table_.header_->mutex);
    }
  }
  bool Locked() const { return locked_; }

 private:
  SharedLoginTable& table_;
  bool locked_ = false;
};

SharedLoginTable::SharedLoginTable(size_t entries)
    : VerifiedLogins(RandomBytes(kSecretBytes)),
      buckets_(std::max<size_t>(1, (entries + kWays - 1) / kWays)) {
  const size_t slots_offset = RoundUp(sizeof(Header), kAlign);
  mapping_bytes_ = slots_offset + Capacity() * sizeof(Slot);
  mapping_ =
      mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mapping_ == MAP_FAILED) {
    mapping_ = nullptr;
    throw BackendError(std::string("shared login table: mmap: ") + std::strerror(errno));
  }
  header_ = new (mapping_) Header{};
  slots_ = reinterpret_cast<Slot*>(static_cast<char*>(mapping_) + slots_offset);
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
  const int rc = pthread_mutex_init(&header_->mutex, &attributes);
  pthread_mutexattr_destroy(&attributes);
  if (rc != 0) {
    munmap(mapping_, mapping_bytes_);
    throw BackendError(std::string("shared login table: mutex: ") + std::strerror(rc));
  }
}

SharedLoginTable::~SharedLoginTable() {
  // The mutex is not destroyed: forked workers may still use their own view of the mapping.
  munmap(mapping_, mapping_bytes_);
}

// Two candidate buckets per key, from two different 8-byte pieces of the MAC (its bytes are
// already uniform). A key lives in either; a new key goes where a slot is free. With one
// bucket per key, about 200 of 10,000 users overflowed their buckets in the
// default 16,384 slots (60 % load), and those users' passwords were hashed again and again, each
// evicting another; with two, a table fills almost completely before anything is evicted.
std::array<SharedLoginTable::Slot*, 2> SharedLoginTable::BucketsOf(std::string_view key) const {
  uint64_t first = 0;
  uint64_t second = 0;
  std::memcpy(&first, key.data(), sizeof(first));
  std::memcpy(&second, key.data() + sizeof(first), sizeof(second));
  return {slots_ + (first % buckets_) * kWays, slots_ + (second % buckets_) * kWays};
}

SharedLoginTable::Slot* SharedLoginTable::Find(std::string_view key) const {
  for (Slot* bucket : BucketsOf(key)) {
    for (size_t way = 0; way < kWays; ++way) {
      if (bucket[way].used != 0 && std::memcmp(bucket[way].key, key.data(), kKeyBytes) == 0) {
        return &bucket[way];
      }
    }
  }
  return nullptr;
}

std::optional<VerifiedLogin> SharedLoginTable::Check(std::string_view key, int64_t now_ms) {
  if (key.size() != kKeyBytes) {
    return std::nullopt;
  }
  Guard guard(*this);
  if (!guard.Locked()) {
    return std::nullopt;
  }
  const Slot* slot = Find(key);
  if (slot == nullptr || now_ms >= slot->expires_ms) {
    return std::nullopt;
  }
  VerifiedLogin login{slot->id, slot->expires_ms, {}, slot->recheck_due_ms};
  if (slot->has_recheck != 0) {
    login.recheck_digest.assign(reinterpret_cast<const char*>(slot->recheck), kRecheckBytes);
  }
  return login;
}

// The key's own slot, else a free or expired slot of either bucket (the emptier bucket
// first, so both fill evenly), else the slot of the two buckets closest to expiry.
SharedLoginTable::Slot* SharedLoginTable::SlotFor(std::string_view key, int64_t now_ms) const {
  if (Slot* own = Find(key)) {
    return own;
  }
  auto [first, second] = BucketsOf(key);
  const auto free_ways = [now_ms](const Slot* bucket) {
    return std::count_if(bucket, bucket + kWays, [now_ms](const Slot& slot) {
      return slot.used == 0 || now_ms >= slot.expires_ms;
    });
  };
  if (free_ways(second) > free_ways(first)) {
    std::swap(first, second);
  }
  Slot* oldest = first;
  for (Slot* bucket : {first, second}) {
    for (size_t way = 0; way < kWays; ++way) {
      Slot& slot = bucket[way];
      if (slot.used == 0 || now_ms >= slot.expires_ms) {
        return &slot;
      }
      if (slot.expires_ms < oldest->expires_ms) {
        oldest = &slot;
      }
    }
  }
  return oldest;
}

void SharedLoginTable::Remember(std::string_view key, const VerifiedLogin& login, int64_t now_ms) {
  if (key.size() != kKeyBytes ||
      (!login.recheck_digest.empty() && login.recheck_digest.size() != kRecheckBytes)) {
    return;
  }
  Guard guard(*this);
  if (!guard.Locked()) {
    return;
  }
  Slot* target = SlotFor(key, now_ms);
  std::memcpy(target->key, key.data(), kKeyBytes);
  target->id = login.id;
  target->expires_ms = login.expires_ms;
  target->recheck_due_ms = login.recheck_due_ms;
  target->has_recheck = login.recheck_digest.empty() ? 0 : 1;
  std::memset(target->recheck, 0, kRecheckBytes);
  std::memcpy(target->recheck, login.recheck_digest.data(), login.recheck_digest.size());
  target->used = 1;
}

void SharedLoginTable::Forget(std::string_view key) {
  if (key.size() != kKeyBytes) {
    return;
  }
  Guard guard(*this);
  if (!guard.Locked()) {
    return;
  }
  if (Slot* slot = Find(key)) {
    std::memset(static_cast<void*>(slot), 0, sizeof(Slot));
  }
}

size_t SharedLoginTable::CountLive(int64_t now_ms) {
  Guard guard(*this);
  if (!guard.Locked()) {
    return 0;
  }
  return static_cast<size_t>(std::count_if(slots_, slots_ + Capacity(), [now_ms](const Slot& s) {
    return s.used != 0 && now_ms < s.expires_ms;
  }));
}

bool SharedLoginTable::RunLocked(const std::function<void()>& fn) {
  Guard guard(*this);
  if (!guard.Locked()) {
    return false;
  }
  fn();
  return true;
}

}  // namespace weave
