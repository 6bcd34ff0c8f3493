//===- sim/sweep/reducer.cc - Top-k, Pareto front and band ----------------===//
#include "sim/sweep/reducer.h"

#include <algorithm>
#include <limits>

namespace moeplan::plan {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool Less(double oa, int64_t ia, double ob, int64_t ib) {
  return oa != ob ? oa < ob : ia < ib;
}
bool EntryLess(const Entry& a, const Entry& b) {
  return Less(a.objective, a.index, b.objective, b.index);
}
// Merging offers an entry kept in several sets once per set: keep each index once.
bool Contains(const std::vector<Entry>& list, double objective, int64_t index) {
  Entry probe{objective, index, 0, {}};
  return std::binary_search(list.begin(), list.end(), probe, EntryLess);
}
void InsertSorted(std::vector<Entry>& list, const Entry& e) {
  list.insert(std::upper_bound(list.begin(), list.end(), e, EntryLess), e);
}

}  // namespace

bool Reducer::WantsTop(double objective, int64_t index) const {
  if (options_.top_k <= 0 || Contains(top_, objective, index)) return false;
  if (static_cast<int64_t>(top_.size()) < options_.top_k) return true;
  return Less(objective, index, top_.back().objective, top_.back().index);
}

double Reducer::BandLimitValue() const {
  if (band_.empty()) return kInf;
  return band_.front().objective + options_.band_eps * std::abs(band_.front().objective);
}

bool Reducer::WantsBand(double objective, int64_t index) const {
  if (options_.band_eps < 0 || Contains(band_, objective, index)) return false;
  if (objective > BandLimitValue()) return false;
  if (static_cast<int64_t>(band_.size()) < options_.band_limit) return true;
  return Less(objective, index, band_.back().objective, band_.back().index);
}

bool Reducer::WantsFront(double objective, int64_t index, double params) const {
  if (!options_.pareto || Contains(front_, objective, index)) return false;
  for (const Entry& e : front_) {
    if (e.objective <= objective && e.params <= params &&
        (e.objective < objective || e.params < params || e.index < index)) {
      return false;
    }
  }
  return true;
}

bool Reducer::Wants(double objective, int64_t index, double params) const {
  return WantsTop(objective, index) || WantsBand(objective, index) ||
         WantsFront(objective, index, params);
}

void Reducer::Offer(const Entry& e) {
  if (WantsTop(e.objective, e.index)) {
    InsertSorted(top_, e);
    if (static_cast<int64_t>(top_.size()) > options_.top_k) top_.pop_back();
  }
  if (WantsBand(e.objective, e.index)) {
    InsertSorted(band_, e);
    const double limit = BandLimitValue();
    while (!band_.empty() && band_.back().objective > limit) band_.pop_back();
    if (static_cast<int64_t>(band_.size()) > options_.band_limit) {
      band_.pop_back();
      band_truncated_ = true;
    }
  } else if (options_.band_eps >= 0 && e.objective <= BandLimitValue() &&
             !Contains(band_, e.objective, e.index)) {
    band_truncated_ = true;
  }
  if (WantsFront(e.objective, e.index, e.params)) {
    // Drop the points the new one dominates, then insert.
    front_.erase(std::remove_if(front_.begin(), front_.end(),
                                [&](const Entry& f) {
                                  return f.objective >= e.objective && f.params >= e.params &&
                                         (f.objective > e.objective || f.params > e.params ||
                                          f.index > e.index);
                                }),
                 front_.end());
    InsertSorted(front_, e);
  }
}

void Reducer::Merge(const Reducer& other) {
  for (const Entry& e : other.top_) Offer(e);
  for (const Entry& e : other.band_) Offer(e);
  for (const Entry& e : other.front_) Offer(e);
  band_truncated_ = band_truncated_ || other.band_truncated_;
}

double Reducer::PruneThreshold() const {
  if (options_.pareto || !options_.Any()) return kInf;
  double threshold = -kInf;
  if (options_.top_k > 0) {
    if (static_cast<int64_t>(top_.size()) < options_.top_k) return kInf;
    threshold = std::max(threshold, top_.back().objective);
  }
  if (options_.band_eps >= 0) threshold = std::max(threshold, BandLimitValue());
  return threshold;
}

std::vector<Entry> Reducer::Band() const {
  std::vector<Entry> out;
  const double limit = BandLimitValue();
  for (const Entry& e : band_) {
    if (e.objective <= limit) out.push_back(e);
  }
  return out;
}

nlohmann::json Reducer::ToJson() const {
  auto list = [](const std::vector<Entry>& entries) {
    nlohmann::json out = nlohmann::json::array();
    for (const Entry& e : entries) {
      out.push_back(
          {{"objective", e.objective}, {"index", e.index}, {"params", e.params}, {"row", e.row}});
    }
    return out;
  };
  return {{"top", list(top_)},
          {"band", list(band_)},
          {"front", list(front_)},
          {"band_truncated", band_truncated_}};
}

Result<Reducer> Reducer::FromJson(const nlohmann::json& json, const ReduceOptions& options) {
  Reducer r(options);
  try {
    for (const char* key : {"top", "band", "front"}) {
      for (const auto& e : json.at(key)) {
        r.Offer(Entry{e.at("objective").get<double>(), e.at("index").get<int64_t>(),
                      e.at("params").get<double>(), e.at("row").get<std::string>()});
      }
    }
    r.band_truncated_ = r.band_truncated_ || json.at("band_truncated").get<bool>();
  } catch (const nlohmann::json::exception& e) {
    return Error{std::string("sweep state: ") + e.what()};
  }
  return r;
}

}  // namespace moeplan::plan
